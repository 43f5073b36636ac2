"""Las reglas de ``helpers.join_rules`` a mano, y contra Flink SQL real sobre el broker real.

La última prueba manda el CDC, las facturas y los escaneos de ``course_day`` a Kafka, ejecuta en
un solo job el estado ``upsert-kafka``, el temporal join y el interval join (como el cuaderno 06)
y compara cada resultado con Python puro.
"""

from __future__ import annotations

import json

import pandas as pd

from helpers import join_rules, topics
from helpers.sources.many import Record, course_day, produce_concurrently

U1 = "3f2b8c1e-1a2b-4c3d-8e9f-0123456789ab"
U2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def _cdc(op, key, t, before=None, after=None):
    return {"op": op, "key": key, "before": before, "after": after, "event_time": t}


ROW_1 = {"cliente_id": 1, "rfc": "R1", "nombre": "Ana", "email": "a@x", "ciudad": "León",
         "segmento": "pyme"}
ROW_1B = {**ROW_1, "ciudad": "Toluca"}
EVENTS = [_cdc("read", "1", 0, after=ROW_1), _cdc("update", "1", 100, ROW_1, ROW_1B),
          _cdc("delete", "1", 200, before=ROW_1B)]


def test_changelog_kinds_and_state_at():
    assert [(c.kind, c.row["ciudad"]) for c in join_rules.changelog(EVENTS)] == [
        ("+I", "León"), ("-U", "León"), ("+U", "Toluca"), ("-D", "Toluca")]
    assert join_rules.changelog(EVENTS, keys=["2"]) == []
    assert join_rules.state_at(EVENTS, 99) == {"1": ROW_1}
    assert join_rules.state_at(EVENTS, 100) == {"1": ROW_1B}
    assert join_rules.state_at(EVENTS) == {}


def test_temporal_join_uses_the_version_at_the_invoice_time():
    invoices = [{"factura_id": f"F{t}", "rfc_receptor": "R1", "event_time": t}
                for t in (-1, 0, 99, 100, 150, 200, 300)]
    got = join_rules.temporal_join(invoices, EVENTS)
    cities = {k: None if v is None else (v["ciudad"], v["version_desde"]) for k, v in got.items()}
    assert cities == {"F-1": None, "F0": ("León", 0), "F99": ("León", 0), "F100": ("Toluca", 100),
                      "F150": ("Toluca", 100), "F200": None, "F300": None}
    snapshot = join_rules.snapshot_join(invoices, [ROW_1B])
    wrong = join_rules.misattributed(got, snapshot)
    assert wrong == {"F-1": ["cliente"], "F0": ["ciudad"], "F99": ["ciudad"],
                     "F200": ["cliente"], "F300": ["cliente"]}


def test_read_uuid_and_interval_join_bounds():
    assert join_rules.read_uuid(f"Folio fiscal (UUID): {U1}\nfin") == U1
    assert join_rules.read_uuid("Fo1io (U|ID): 3f2b8c1e-1a2b-4c3d-8e9f-01234567~9ab") is None
    invoices = [{"factura_id": "A", "uuid": U1, "event_time": 1_000},
                {"factura_id": "B", "uuid": U2, "event_time": 1_000}]
    scans = [{"document_id": "S1", "text": f"UUID {U1}", "event_time": 1_000 + 600_000},
             {"document_id": "S2", "text": f"UUID {U2}", "event_time": 1_000 + 600_001},
             {"document_id": "S3", "text": f"UUID {U1}", "event_time": 999}]
    result = join_rules.interval_join(invoices, scans, 600_000)
    assert result.matched == [("A", "S1")]  # la cota incluye su borde; S3 es anterior
    assert result.lonely_invoices == ["B"] and result.lonely_scans == ["S2", "S3"]


def test_interval_state_is_bounded_only_with_a_bound():
    invoices = [{"event_time": t} for t in range(0, 100_000, 1_000)]
    moments = range(0, 200_000, 10_000)
    bounded = join_rules.interval_state(invoices, 5_000, 2_000, moments)
    forever = join_rules.interval_state(invoices, None, 2_000, moments)
    assert max(bounded) == 8 and bounded[-1] == 0  # de t − 7 s a t
    assert forever == sorted(forever) and forever[-1] == 100


def test_expected_rejections_reads_json_confidence_and_the_invoice():
    day = course_day(seed=7)
    reasons = join_rules.expected_rejections(day.records)
    for source in ("archivos", "respaldos", "cambios"):  # solo pueden fallar por JSON cortado
        assert reasons[source] == ["json_invalido" if r.broken else None
                                   for r in day.records[source]]
    labels = [e["defecto"] for e in sorted(day.events["facturas"],
                                           key=lambda e: (e["arrival_time"], e["event_time"]))]
    assert reasons["facturas"] == labels
    assert reasons["ocr"].count("ocr_ilegible") == 12
    bad = Record("k", b"[1, 2]", 0, 0, False)  # JSON válido, pero no un objeto
    assert join_rules.expected_rejections({"archivos": [bad]}) == {"archivos": ["json_invalido"]}
    no_confidence = Record("k", b'{"document_id": "D1"}', 0, 0, False)
    no_xml = Record("k", b'{"factura_id": "A-1"}', 0, 0, False)
    assert join_rules.expected_rejections({"ocr": [no_confidence], "facturas": [no_xml]}) == {
        "ocr": ["campo_faltante"], "facturas": ["campo_faltante"]}


def _kafka(topic: str, fmt: str, bootstrap: str, extra: str = "") -> str:
    return (f"'connector' = 'kafka', 'topic' = '{topic}', 'properties.bootstrap.servers' = "
            f"'{bootstrap}', 'properties.group.id' = 'prueba-n06', 'scan.startup.mode' = "
            "'earliest-offset', 'scan.bounded.mode' = 'latest-offset', "
            f"'scan.watermark.emit.strategy' = 'on-event', 'format' = '{fmt}'{extra}")


def test_flink_state_temporal_and_interval_joins_agree_with_python(bootstrap):
    from helpers.flink import table_env

    prefix = "prueba-n06-joins."
    day = course_day(seed=7)
    outputs = ("estado", "temporal", "intervalo")
    for name in (*day.records, *outputs):
        topics.create_topic(prefix + name, bootstrap=bootstrap)
    produce_concurrently(day, prefix=prefix, bootstrap=bootstrap)
    t_env = table_env()
    skip = ", 'debezium-json.ignore-parse-errors' = 'true'"
    time_cols = "ts TIMESTAMP_LTZ(3) {}, WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE"
    source_ts = time_cols.format("METADATA FROM 'value.source.timestamp' VIRTUAL")
    kafka_ts = time_cols.format("METADATA FROM 'timestamp'")
    cdc = _kafka(prefix + "cambios", "debezium-json", bootstrap, skip)
    t_env.execute_sql(f"""CREATE TABLE cdc (cliente_id INT, rfc STRING, ciudad STRING, {source_ts},
        PRIMARY KEY (cliente_id) NOT ENFORCED) WITH ({cdc})""")
    t_env.execute_sql(f"""CREATE TABLE por_rfc (rfc STRING, ciudad STRING, {source_ts},
        PRIMARY KEY (rfc) NOT ENFORCED) WITH ({cdc})""")
    t_env.execute_sql(f"""CREATE TABLE facturas (factura_id STRING, uuid STRING, rfc_receptor STRING,
        {kafka_ts}) WITH ({_kafka(prefix + 'facturas', 'json', bootstrap)})""")
    t_env.execute_sql(f"""CREATE TABLE escaneos (document_id STRING, `text` STRING,
        uuid_leido AS REGEXP_EXTRACT(`text`, '{join_rules.UUID_PATTERN}', 0), {kafka_ts})
        WITH ({_kafka(prefix + 'ocr', 'json', bootstrap)})""")
    sink = f"'properties.bootstrap.servers' = '{bootstrap}'"
    t_env.execute_sql(f"""CREATE TABLE estado (cliente_id INT, rfc STRING, ciudad STRING,
        PRIMARY KEY (cliente_id) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
        'topic' = '{prefix}estado', {sink}, 'key.format' = 'json', 'value.format' = 'json')""")
    for name, columns in (("temporal", "factura_id STRING, ciudad STRING"),
                          ("intervalo", "factura_id STRING, document_id STRING")):
        t_env.execute_sql(f"""CREATE TABLE {name} ({columns}) WITH ('connector' = 'kafka',
            'topic' = '{prefix}{name}', {sink}, 'format' = 'json')""")
    job = t_env.create_statement_set()
    job.add_insert_sql("INSERT INTO estado SELECT cliente_id, rfc, ciudad FROM cdc")
    job.add_insert_sql("""INSERT INTO temporal SELECT f.factura_id, c.ciudad FROM facturas AS f
        LEFT JOIN por_rfc FOR SYSTEM_TIME AS OF f.ts AS c ON f.rfc_receptor = c.rfc""")
    job.add_insert_sql("""INSERT INTO intervalo SELECT f.factura_id, e.document_id
        FROM facturas AS f FULL OUTER JOIN escaneos AS e ON f.uuid = e.uuid_leido
        AND e.ts BETWEEN f.ts AND f.ts + INTERVAL '10' MINUTE""")
    job.execute().wait()
    results = {name: topics.read_topic(prefix + name, bootstrap) for name in outputs}
    for name in (*day.records, *outputs):
        topics.delete_topic(prefix + name, bootstrap)

    events = day.events["cambios"]
    last: dict[int, dict | None] = {}
    for key, value in zip(results["estado"]["key"], results["estado"]["value"]):
        last[json.loads(key)["cliente_id"]] = value
    expected_state = {int(k): {c: v[c] for c in ("cliente_id", "rfc", "ciudad")}
                      for k, v in join_rules.state_at(events).items()}
    assert {k: v for k, v in last.items() if v is not None} == expected_state
    last_dump = day.dumps[-1].tables["clientes"]
    assert sorted(r["cliente_id"] for r in last_dump) == sorted(expected_state)

    temporal = pd.DataFrame(list(results["temporal"]["value"]))
    want = join_rules.temporal_join(day.events["facturas"], events)
    cities = temporal["ciudad"].where(temporal["ciudad"].notna(), None)
    assert dict(zip(temporal["factura_id"], cities)) == {
        k: None if v is None else v["ciudad"] for k, v in want.items()}

    pairs = pd.DataFrame(list(results["intervalo"]["value"]))
    both = pairs.dropna()
    expected = join_rules.interval_join(day.events["facturas"], day.events["ocr"], 600_000)
    assert sorted(zip(both["factura_id"], both["document_id"])) == expected.matched
    assert sorted(pairs.loc[pairs["document_id"].isna(), "factura_id"]) == expected.lonely_invoices
    assert sorted(pairs.loc[pairs["factura_id"].isna(), "document_id"]) == expected.lonely_scans
