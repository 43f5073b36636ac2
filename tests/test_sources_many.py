"""Las cinco fuentes del cuaderno 06: Debezium de verdad, respaldos como fotos del CDC,
escaneos de facturas con sus casos, un día determinista y cinco productores a la vez contra el broker real."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from helpers import join_rules, topics
from helpers.sources import cambios, facturas, ocr, respaldos
from helpers.sources.many import BROKEN, SOURCES, course_day, produce_concurrently


@pytest.fixture(scope="module")
def day():
    return course_day(seed=7)


def test_to_debezium_has_the_real_envelope():
    event = cambios.change_events(20, seed=3)[5]
    envelope = cambios.to_debezium(event)
    assert set(envelope) == {"before", "after", "op", "ts_ms", "source"}
    assert envelope["op"] == {"insert": "c", "update": "u", "delete": "d"}[event["op"]]
    assert envelope["source"]["ts_ms"] == event["event_time"]
    assert envelope["ts_ms"] == event["arrival_time"]
    assert envelope["source"]["table"] == event["table"]
    assert (envelope["before"], envelope["after"]) == (event["before"], event["after"])


def test_from_backups_replays_every_dump_exactly():
    dumps = respaldos.backups(4, seed=11, update_rate=0.3, delete_rate=0.05)
    events = cambios.from_backups(dumps, "clientes", seed=11)
    assert [e["event_time"] for e in events] == sorted(e["event_time"] for e in events)
    assert [e["arrival_time"] for e in events] == sorted(e["arrival_time"] for e in events)
    assert Counter(e["op"] for e in events)["read"] == len(dumps[0].tables["clientes"])
    for dump in dumps:
        state = join_rules.state_at(events, dump.event_time)
        assert sorted(state.values(), key=lambda r: r["cliente_id"]) == dump.tables["clientes"]
    for event in events:  # versiones seguidas por fila; before = after anterior
        assert event["version"] >= 1 and event["node"] == cambios.node_for("clientes", event["key"])


def test_invoice_scans_cases_delays_and_noise():
    invoices = facturas.invoices(100, seed=5)
    scans = ocr.invoice_scans(invoices, seed=5, late_rate=0.1, missing_rate=0.05, noisy_rate=0.1)
    assert len(scans) == 95
    assert Counter(s["caso"] for s in scans) == {None: 75, "tarde": 10, "ruidosa": 10}
    by_id = {i["factura_id"]: i for i in invoices}
    for scan in scans:
        invoice = by_id[scan["factura_id"]]
        delay = scan["event_time"] - invoice["event_time"]
        low, high = ocr.LATE_SCAN_DELAY_MS if scan["caso"] == "tarde" else ocr.SCAN_DELAY_MS
        assert low <= delay <= high
        readable = join_rules.read_uuid(scan["text"]) == invoice["uuid"]
        assert readable == (scan["caso"] != "ruidosa")
        assert (scan["confidence"] < ocr.LOW_CONFIDENCE) == (scan["caso"] == "ruidosa")
    assert scans == ocr.invoice_scans(invoices, seed=5)


def test_dump_events_one_per_table_and_dump():
    dumps = respaldos.backups(2, seed=7)
    events = respaldos.dump_events(dumps)
    assert [(e["respaldo"], e["tabla"]) for e in events] == [
        (0, "clientes"), (0, "productos"), (1, "clientes"), (1, "productos")]
    assert events[2]["csv"] == respaldos.dump_csv(dumps[1], "clientes")
    assert events[2]["filas"] == len(dumps[1].tables["clientes"])


def test_course_day_is_deterministic_and_broken_copies_precede_the_full_record(day):
    again = course_day(seed=7)
    assert again.records == day.records
    assert course_day(seed=8).records != day.records
    for source in SOURCES:
        records = day.records[source]
        broken = [i for i, r in enumerate(records) if r.broken]
        assert len(broken) == BROKEN.get(source, 0)
        assert len(records) == len(day.events[source]) + len(broken)
        for i in broken:
            with pytest.raises(json.JSONDecodeError):
                json.loads(records[i].value)
            assert records[i + 1].value.startswith(records[i].value)
    facturas_en_kafka = json.loads(day.records["facturas"][0].value)
    assert set(facturas_en_kafka) == set(facturas.KAFKA_FIELDS)  # sin la etiqueta «defecto»


def test_produce_concurrently_writes_every_topic(bootstrap, day):
    prefix = "prueba-n06-productores."
    for source in SOURCES:
        topics.create_topic(prefix + source, bootstrap=bootstrap)
    try:
        sent = produce_concurrently(day, prefix=prefix, bootstrap=bootstrap)
        assert sent == day.produced()
        for source in SOURCES:
            frame = topics.read_topic(prefix + source, bootstrap)
            assert len(frame) == len(day.records[source])
            assert [r.key for r in day.records[source]] == list(frame["key"])
            stamps = [int(t.timestamp() * 1000) for t in frame["timestamp"]]
            assert stamps == [r.event_time for r in day.records[source]]
    finally:
        for source in SOURCES:
            topics.delete_topic(prefix + source, bootstrap)
