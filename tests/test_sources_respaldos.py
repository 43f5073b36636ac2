"""Respaldos CSV: tablas iniciales, cambios entre volcados y escritura a una carpeta."""

from __future__ import annotations

import csv
import io
import os

import pytest

from helpers.sources import respaldos
from helpers.sources.rfc import is_valid_rfc


@pytest.fixture(scope="module")
def dumps() -> list[respaldos.Dump]:
    return respaldos.backups(8, seed=13, customers=100, products=50)


def test_consecutive_dumps_differ_by_exactly_the_recorded_changes(dumps):
    assert dumps[0].changes == []
    for old, new in zip(dumps, dumps[1:]):
        recorded = sorted(new.changes, key=lambda c: (c["table"], c["key"]))
        found = [c for table in respaldos.KEYS
                 for c in respaldos.diff_tables(table, old.tables[table], new.tables[table])]
        assert found == recorded


def test_change_counts_follow_the_rates(dumps):
    sizes = {"clientes": 100, "productos": 50}
    for new in dumps[1:]:
        for table in respaldos.KEYS:
            ops = [c["op"] for c in new.changes if c["table"] == table]
            n = sizes[table]
            assert (ops.count("update"), ops.count("insert"), ops.count("delete")) == (
                round(0.10 * n), round(0.04 * n), round(0.02 * n))
            sizes[table] = n + ops.count("insert") - ops.count("delete")
            assert len(new.tables[table]) == sizes[table]


def test_changes_are_well_formed(dumps):
    deleted: set[tuple[str, int]] = set()
    for old, new in zip(dumps, dumps[1:]):
        for change in new.changes:
            row_id = (change["table"], change["key"])
            assert row_id not in deleted, "una clave borrada no se vuelve a usar"
            if change["op"] == "insert":
                assert change["before"] is None
            if change["op"] == "delete":
                assert change["after"] is None
                deleted.add(row_id)
            if change["op"] == "update":
                assert change["before"] != change["after"]
                assert old.event_time < _ms(change["after"]["actualizado_en"]) <= new.event_time
        # Los respaldos salen cada hora y llegan después, en orden.
        assert new.event_time - old.event_time == respaldos.HOUR_MS
        assert old.arrival_time < new.arrival_time and new.arrival_time > new.event_time


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_rows_are_plausible(dumps):
    customers = dumps[-1].tables["clientes"]
    assert all(is_valid_rfc(c["rfc"]) for c in customers)
    assert len({c["rfc"] for c in customers}) == len(customers)
    assert {c["segmento"] for c in customers} <= set(respaldos.SEGMENTS)
    assert all("@example." in c["email"] for c in customers)
    products = dumps[-1].tables["productos"]
    assert all(len(p["clave_prod_serv"]) == 8 and p["precio"] > 0 for p in products)


def test_more_dumps_do_not_change_the_first_ones(dumps):
    assert respaldos.backups(3, seed=13, customers=100, products=50) == dumps[:3]
    assert respaldos.initial_tables(13, customers=100, products=50) == dumps[0].tables
    assert respaldos.backups(2, seed=14) != respaldos.backups(2, seed=13)


def test_csv_text_round_trips_and_is_deterministic(dumps):
    text = respaldos.dump_csv(dumps[2], "clientes")
    assert text == respaldos.dump_csv(respaldos.backups(3, seed=13, customers=100,
                                                        products=50)[2], "clientes")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == respaldos.COLUMNS["clientes"]
    ids = [c["cliente_id"] for c in dumps[2].tables["clientes"]]
    assert [int(r["cliente_id"]) for r in rows] == ids
    assert rows[5]["nombre"] == dumps[2].tables["clientes"][5]["nombre"]
    assert text != respaldos.dump_csv(respaldos.backups(3, seed=14)[2], "clientes")


def test_write_dumps_names_files_and_sets_arrival_mtime(dumps, tmp_path):
    paths = respaldos.write_dumps(dumps[:3], tmp_path / "respaldos")
    assert [p.name for p in paths] == [
        "clientes_20260105T0900.csv", "productos_20260105T0900.csv",
        "clientes_20260105T1000.csv", "productos_20260105T1000.csv",
        "clientes_20260105T1100.csv", "productos_20260105T1100.csv",
    ]
    assert paths[2].read_text(encoding="utf-8") == respaldos.dump_csv(dumps[1], "clientes")
    assert int(os.stat(paths[2]).st_mtime) == dumps[1].arrival_time // 1000
