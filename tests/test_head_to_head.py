"""Lotes contra streaming (cuaderno 08): eventos, regla de rechazo, lotes y Flink SQL real."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict

import pytest
from kafka import KafkaProducer

from helpers import topics
from helpers.head_to_head import (
    BAD_RATE,
    REASONS,
    batch_report,
    batch_run,
    create_destination,
    create_source,
    encode,
    flink_report,
    insert_events,
    make_events,
    read_report,
    reject_reason,
    rejected_sql,
    report_sql,
    run_batches,
    source_ddl,
    window_start,
)
from helpers.sources.timing import START_MS


def python_report(events, window_ms=5_000):
    """La respuesta con Python puro: {(cliente, inicio): (facturas, total)} y los malos por id."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    bad = {}
    for e in events:
        reason = reject_reason(e["cliente"], e["monto"])
        if reason:
            bad[e["id"]] = reason
        else:
            group = groups[(e["cliente"], e["ts"] - e["ts"] % window_ms)]
            group[0] += 1
            group[1] += e["monto"]
    return {k: tuple(v) for k, v in groups.items()}, bad


def test_make_events_is_seeded_ordered_and_has_exact_bad_fraction():
    events = make_events(1_000, seed=3, rate_per_s=100)
    assert events == make_events(1_000, seed=3, rate_per_s=100)
    assert events != make_events(1_000, seed=4, rate_per_s=100)
    assert [e["id"] for e in events] == list(range(1, 1_001))
    assert events[0]["ts"] == START_MS and events[-1]["ts"] == START_MS + 9_990
    reasons = Counter(reject_reason(e["cliente"], e["monto"]) for e in events)
    assert reasons == {None: 980, REASONS[0]: 10, REASONS[1]: 10}
    assert round(1_000 * BAD_RATE) == 20


def test_encode_is_compact_json_of_about_60_bytes():
    event = make_events(1)[0]
    raw = encode(event)
    assert json.loads(raw) == event and b" " not in raw
    sizes = [len(encode(e)) for e in make_events(2_000)]
    assert 50 <= sum(sizes) / len(sizes) <= 70


@pytest.mark.parametrize(("cliente", "monto", "reason"), [
    ("C001", 1, None), ("", 100, "cliente_vacio"), (None, 100, "cliente_vacio"),
    ("C001", 0, "monto_no_positivo"), ("C001", -5, "monto_no_positivo"), ("", -5, "cliente_vacio"),
])
def test_reject_reason(cliente, monto, reason):
    assert reject_reason(cliente, monto) == reason


def test_window_start_is_epoch_aligned():
    assert window_start(START_MS + 4_999, 5_000) == START_MS
    assert window_start(START_MS + 5_000, 5_000) == START_MS + 5_000


def test_batch_report_matches_pure_python_for_any_number_of_runs():
    events = make_events(3_000, rate_per_s=500)
    groups, bad = python_report(events)
    for runs in (1, 7):
        report, rejected = batch_report(events, runs=runs, page_size=256)
        got = {(r.cliente, r.window_start_ms): (r.facturas, r.total) for r in report.itertuples()}
        assert got == groups
        assert (report["window_end_ms"] - report["window_start_ms"]).eq(5_000).all()
        assert dict(zip(rejected["id"], rejected["motivo"])) == bad
        assert list(rejected["id"]) == sorted(bad)


def test_batch_run_reads_only_new_rows_and_upserts():
    events = make_events(100, rate_per_s=10)
    connection = sqlite3.connect(":memory:")
    create_source(connection)
    create_destination(connection)
    insert_events(connection, events[:60])
    first = batch_run(connection, 0, page_size=25)
    assert (first.last_id, first.rows_read, first.pages) == (60, 60, 3)
    insert_events(connection, events[60:])
    second = batch_run(connection, first.last_id, page_size=25)
    assert second.ids == list(range(61, 101))
    assert batch_run(connection, second.last_id).rows_read == 0
    report, _ = read_report(connection)
    valid = sum(reject_reason(e["cliente"], e["monto"]) is None for e in events)
    assert report["facturas"].sum() == valid


def test_run_batches_counts_writes():
    events = make_events(2_000, rate_per_s=200)
    result = run_batches(events, runs=4)
    assert result.inserts == 2_000 and len(result.runs) == 4
    assert sum(r.rows_read for r in result.runs) == 2_000
    # La ventana que cruza el corte entre corridas se actualiza dos veces: más upserts que filas.
    assert result.upserts >= len(result.report)
    assert result.rejected["motivo"].isin(REASONS).all()


def test_sql_texts_name_the_pieces():
    ddl = source_ddl("f", "t", bootstrap="127.0.0.1:1", bounded=False)
    assert "WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND" in ddl
    assert "scan.bounded.mode" not in ddl
    assert "scan.bounded.mode" in source_ddl("f", "t", bootstrap="x")
    assert "TUMBLE(TABLE f, DESCRIPTOR(rowtime), INTERVAL '5' SECOND)" in report_sql("f")
    assert "motivo_rechazo(cliente, monto) IS NULL" in report_sql("f", python_udf=True)
    assert "CASE" in rejected_sql("f") and "motivo_rechazo" in rejected_sql("f", python_udf=True)


def test_flink_sql_and_python_udf_equal_batch_row_by_row(bootstrap, topic_name):
    events = make_events(3_000, rate_per_s=300)
    topics.create_topic(topic_name, bootstrap=bootstrap)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for event in events:
        producer.send(topic_name, value=encode(event), timestamp_ms=event["ts"])
    producer.flush()
    producer.close()
    expected_report, expected_rejected = batch_report(events)
    try:
        for python_udf in (False, True):
            report, rejected = flink_report(topic_name, python_udf=python_udf, bootstrap=bootstrap)
            assert report.equals(expected_report), python_udf
            assert rejected.equals(expected_rejected), python_udf
        # El reporte lleva al cliente como clave (key.fields): orden por cliente y compactable.
        raw = topics.read_topic(topic_name + ".reporte-sql", bootstrap)
        assert len(raw) and all(json.loads(k) == {"cliente": v["cliente"]}
                                for k, v in zip(raw["key"], raw["value"]))
    finally:
        for suffix in ("", ".reporte-sql", ".rechazados-sql", ".reporte-udf", ".rechazados-udf"):
            topics.delete_topic(topic_name + suffix, bootstrap)
