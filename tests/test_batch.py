"""ETL por lotes: la base simulada, la paginación (OFFSET contra keyset), el cron y la frescura."""

from __future__ import annotations

import math
import sqlite3
import statistics

import pytest

from helpers import batch
from helpers.batch import HOUR_MS, MINUTE_MS
from helpers.sources import facturas, respaldos
from helpers.sources.timing import START_MS

DDL = "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, sort INTEGER, arrival_time INTEGER)"
OFFSET_SQL = "SELECT id, k, sort FROM t ORDER BY sort LIMIT :page_size OFFSET :offset"
KEYSET_SQL = "SELECT id, k, sort FROM t WHERE id > :last_id ORDER BY id LIMIT :page_size"
KEYSET_SORT_SQL = ("SELECT id, k, sort FROM t WHERE (sort, id) > (:last_sort, :last_id) "
                   "ORDER BY sort, id LIMIT :page_size")


def _events(sorts: list[int], arrivals: list[int]) -> list[dict]:
    return [{"k": f"r{i}", "sort": s, "event_time": s, "arrival_time": a}
            for i, (s, a) in enumerate(zip(sorts, arrivals, strict=True))]


@pytest.fixture
def table() -> tuple[sqlite3.Connection, batch.Source]:
    """Diez filas con sort 10..100 que llegan en t=0, y tres «atrasadas» con sort 1..3 que
    llegan en t=1, 2 y 3."""
    conn = sqlite3.connect(":memory:")
    conn.execute(DDL)
    events = _events([10 * i for i in range(1, 11)] + [1, 2, 3], [0] * 10 + [1, 2, 3])
    source = batch.Source(conn, "t", events, ("k", "sort", "arrival_time"))
    source.advance_to(0)
    return conn, source


def _all_keys(conn: sqlite3.Connection) -> list[str]:
    return [k for (k,) in conn.execute("SELECT k FROM t")]


def test_source_inserts_in_arrival_order_and_numbers_ids(table):
    conn, source = table
    assert conn.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM t").fetchone() == (1, 10, 10)
    assert source.pending == 3
    arrived = source.advance_to(2)
    assert [e["k"] for e in arrived] == ["r10", "r11"]
    assert conn.execute("SELECT id FROM t WHERE k = 'r11'").fetchone() == (12,)
    assert source.advance_to(2) == [] and source.pending == 1
    with pytest.raises(ValueError, match="atrás"):
        source.advance_to(1)


def test_offset_reads_a_quiet_table_exactly_once(table):
    conn, _ = table
    scan = batch.paginate_offset(conn, OFFSET_SQL, page_size=3)
    assert scan.pages == 4  # 3 + 3 + 3 + 1
    assert [r["sort"] for r in scan.rows] == [10 * i for i in range(1, 11)]
    result = batch.audit([r["k"] for r in scan.rows], _all_keys(conn))
    assert (result.duplicated, result.skipped) == (0, 0)


def test_offset_skips_and_duplicates_one_row_per_insert_behind_the_cursor(table):
    conn, source = table
    scan = batch.paginate_offset(conn, OFFSET_SQL, page_size=3,
                                 between_pages=lambda page: source.advance_to(page))
    result = batch.audit([r["k"] for r in scan.rows], _all_keys(conn))
    assert result.skipped_keys == ["r10", "r11", "r12"], "las atrasadas quedan detrás del cursor"
    assert (result.duplicated, result.read, result.distinct) == (3, 13, 10)
    # la última fila de cada página reaparece al principio de la siguiente
    assert result.duplicated_keys == ["r2", "r4", "r6"]


def test_exactly_page_size_rows_needs_one_more_empty_page():
    conn = sqlite3.connect(":memory:")
    conn.execute(DDL)
    batch.Source(conn, "t", _events([1, 2, 3, 4], [0] * 4), ("k", "sort", "arrival_time")
                 ).advance_to(0)
    assert batch.paginate_offset(conn, OFFSET_SQL, 2).pages == 3
    assert batch.paginate_keyset(conn, KEYSET_SQL, 2, {"last_id": 0}).pages == 3


def test_keyset_by_id_reads_rows_inserted_mid_scan_once(table):
    conn, source = table
    scan = batch.paginate_keyset(conn, KEYSET_SQL, page_size=3, params={"last_id": 0},
                                 between_pages=lambda page: source.advance_to(page))
    result = batch.audit([r["k"] for r in scan.rows], _all_keys(conn))
    assert (result.duplicated, result.skipped, result.read) == (0, 0, 13)
    assert [r["id"] for r in scan.rows] == list(range(1, 14))


def test_keyset_by_a_key_that_does_not_grow_with_inserts_still_skips(table):
    conn, source = table
    scan = batch.paginate_keyset(conn, KEYSET_SORT_SQL, 3, {"last_sort": 0, "last_id": 0},
                                 key=("sort", "id"),
                                 between_pages=lambda page: source.advance_to(page))
    result = batch.audit([r["k"] for r in scan.rows], _all_keys(conn))
    assert (result.duplicated, result.skipped) == (0, 3)


def test_keyset_starts_after_the_checkpoint_and_checks_its_parameters(table):
    conn, _ = table
    scan = batch.paginate_keyset(conn, KEYSET_SQL, 4, {"last_id": 7})
    assert [r["id"] for r in scan.rows] == [8, 9, 10]
    with pytest.raises(ValueError, match="last_id"):
        batch.paginate_keyset(conn, KEYSET_SQL, 4, {})
    with pytest.raises(ValueError, match="page_size"):
        batch.paginate_offset(conn, OFFSET_SQL, 0)


def test_audit_counts_extra_reads_and_missing_keys():
    result = batch.audit(["a", "b", "b", "b", "c"], ["a", "b", "c", "d", "e"])
    assert (result.read, result.distinct, result.duplicated, result.skipped) == (5, 3, 2, 2)
    assert result.duplicated_keys == ["b"] and result.skipped_keys == ["d", "e"]


def test_cron_runs_until_the_first_run_that_sees_everything():
    first = START_MS + HOUR_MS
    assert batch.cron_runs(first, first) == [first]
    assert batch.cron_runs(first, first + HOUR_MS) == [first, first + HOUR_MS]
    assert batch.cron_runs(first, first + HOUR_MS + 1) == [first + i * HOUR_MS for i in range(3)]
    assert len(batch.cron_runs(first, first + HOUR_MS, every_ms=15 * MINUTE_MS)) == 5
    with pytest.raises(ValueError):
        batch.cron_runs(first, first, every_ms=0)


def test_first_run_at_or_after():
    runs = [10, 20, 30]
    assert [batch.first_run_at_or_after(t, runs) for t in (0, 10, 11, 30, 31)] == [
        10, 10, 20, 30, None]


def test_run_batches_lets_rows_arrive_before_each_job():
    conn = sqlite3.connect(":memory:")
    conn.execute(DDL)
    source = batch.Source(conn, "t", _events([1, 2, 3, 4], [5, 10, 15, 25]),
                          ("k", "sort", "arrival_time"))
    counts = batch.run_batches(
        source, [10, 20, 30], lambda now: conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    assert counts == [2, 3, 4]


def test_latest_arrived_uses_the_arrival_time_of_each_dump(tmp_path):
    dumps = respaldos.backups(3, seed=7)
    respaldos.write_dumps(dumps, tmp_path)
    at = batch.latest_arrived(tmp_path, "clientes", START_MS + HOUR_MS)
    assert at is not None and at.name == respaldos.dump_filename(dumps[0], "clientes")
    after = batch.latest_arrived(tmp_path, "productos", dumps[1].arrival_time)
    assert after is not None and after.name == respaldos.dump_filename(dumps[1], "productos")
    assert batch.latest_arrived(tmp_path, "clientes", dumps[0].arrival_time - 1) is None


def test_percentile_matches_the_statistics_module():
    values = [float(v) for v in (7, 1, 3, 10, 2, 8, 5)]
    for q in (0, 25, 50, 95, 100):
        expected = statistics.quantiles(values, n=100, method="inclusive")[q - 1] if 0 < q < 100 \
            else (min(values) if q == 0 else max(values))
        assert batch.percentile(values, q) == pytest.approx(expected)
    with pytest.raises(ValueError):
        batch.percentile([], 50)


def test_freshness_minutes_and_summary():
    minutes = batch.freshness_minutes([0, 60_000, 90_000], [120_000, 120_000, 3_690_000])
    assert minutes == [2.0, 1.0, 60.0]
    assert batch.freshness_summary(minutes) == {"mediana_min": 2.0, "p95_min": 54.2,
                                                "max_min": 60.0}


def test_freshness_for_cadence_matches_the_next_run_after_arrival():
    events = facturas.invoices(100, seed=3)
    every = MINUTE_MS
    got = batch.freshness_for_cadence(events, every, first_ms=START_MS + every)
    expected = [(START_MS + max(1, math.ceil((e["arrival_time"] - START_MS) / every)) * every
                 - e["event_time"]) / MINUTE_MS for e in events]
    assert got == expected
    assert all(0 <= m for m in got) and max(got) > 1  # hay tardíos: más que una cadencia
