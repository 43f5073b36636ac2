"""Escritores: Kafka (broker real, en orden de llegada), SQLite y archivos CSV / JSON Lines."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator

import pandas as pd
import pytest

from helpers import topics
from helpers.sources import cambios, facturas, ocr, sinks
from helpers.sources.timing import arrival_order


@pytest.fixture
def gen_topic(bootstrap: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """Un tópico ``gen-...`` propio de la prueba; se borra al terminar."""
    name = "gen-" + re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-").lower()
    yield name
    topics.delete_topic(name, bootstrap)


def test_invoices_round_trip_through_kafka_in_arrival_order(bootstrap, gen_topic):
    events = facturas.invoices(300, seed=5)
    topics.create_topic(gen_topic, 1, bootstrap=bootstrap)
    sent = sinks.write_kafka(gen_topic, events, key=facturas.KEY, fields=facturas.KAFKA_FIELDS,
                             bootstrap=bootstrap)
    assert sent == 300
    back = topics.read_topic(gen_topic, bootstrap)
    assert len(back) == 300
    values = list(back.sort_values("offset")["value"])
    expected = [{f: e[f] for f in facturas.KAFKA_FIELDS} for e in arrival_order(events)]
    assert values == expected, "en el tópico, en orden de llegada y sin la etiqueta 'defecto'"
    arrivals = [v["arrival_time"] for v in values]
    assert arrivals == sorted(arrivals)
    assert [v["event_time"] for v in values] != sorted(v["event_time"] for v in values)
    stamps = pd.to_datetime([v["event_time"] for v in values], unit="ms", utc=True)
    assert (back.sort_values("offset")["timestamp"].to_numpy() == stamps.to_numpy()).all()
    assert list(back.sort_values("offset")["key"]) == [v["factura_id"] for v in values]


def test_cdc_keys_keep_each_row_in_one_partition(bootstrap, gen_topic):
    events = cambios.change_events(200, seed=2)
    topics.create_topic(gen_topic, 3, bootstrap=bootstrap)
    assert sinks.write_kafka(gen_topic, events, key=cambios.kafka_key, bootstrap=bootstrap) == 200
    back = topics.read_topic(gen_topic, bootstrap)
    assert (back.groupby("key")["partition"].nunique() == 1).all()
    assert back["partition"].nunique() == 3
    for _, group in back.groupby("partition"):  # dentro de una partición: orden de llegada
        arrivals = [v["arrival_time"] for v in group.sort_values("offset")["value"]]
        assert arrivals == sorted(arrivals)


def test_write_kafka_refuses_fields_without_event_time_or_key():
    with pytest.raises(ValueError, match="event_time"):
        sinks.write_kafka("gen-nunca", [], key="uuid", fields=["uuid"])
    with pytest.raises(ValueError, match="factura_id"):
        sinks.write_kafka("gen-nunca", [], key="factura_id", fields=["event_time"])


def test_sqlite_table_from_dicts(tmp_path):
    database = tmp_path / "curso.db"
    events = cambios.change_events(50, seed=1)
    assert sinks.write_sqlite(database, "cambios", events) == 50
    with sqlite3.connect(database) as connection:
        columns = {row[1]: row[2] for row in connection.execute("PRAGMA table_info(cambios)")}
        assert columns["version"] == "INTEGER" and columns["op"] == "TEXT"
        assert columns["after"] == "TEXT"
        rows = connection.execute("SELECT op, before, after FROM cambios ORDER BY rowid").fetchall()
    assert rows[0][0] == "insert" and rows[0][1] is None
    assert json.loads(rows[0][2]) == events[0]["after"]
    sinks.write_sqlite(database, "cambios", events[:5], replace=False)
    sinks.write_sqlite(database, "ocr", ocr.ocr_pages(10), primary_key=None)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM cambios").fetchone() == (55,)
        assert connection.execute("SELECT typeof(confidence) FROM ocr").fetchone() == ("real",)
    with pytest.raises(ValueError):
        sinks.write_sqlite(database, "vacia", [])


def test_sqlite_primary_key_and_open_connection():
    rows = [{"id": 1, "nombre": "Ana"}, {"id": 2, "nombre": "Luis", "ciudad": "León"}]
    connection = sqlite3.connect(":memory:")
    sinks.write_sqlite(connection, "clientes de prueba", rows, primary_key="id")
    assert connection.execute('SELECT * FROM "clientes de prueba"').fetchall() == [
        (1, "Ana", None), (2, "Luis", "León")]
    with pytest.raises(sqlite3.IntegrityError):
        sinks.write_sqlite(connection, "clientes de prueba", rows[:1], replace=False)


def test_csv_and_jsonl_files(tmp_path):
    events = cambios.change_events(20, seed=3)
    path = sinks.write_csv(tmp_path / "sub" / "cambios.csv", events)
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert len(rows) == 20 and rows[0]["before"] == "" and json.loads(rows[0]["after"])
    assert sinks.csv_text(events, ["op", "key"]).splitlines()[0] == "op,key"
    lines = sinks.write_jsonl(tmp_path / "cambios.jsonl", events).read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == events
    assert sinks.jsonl_text([{"ñ": "á"}]) == '{"ñ": "á"}\n'
