"""Ventanas de Flink SQL vistas desde Python: conversión de su salida y un job real.

La última prueba ejecuta TUMBLE, HOP y SESSION en Flink SQL contra el broker real sobre los
eventos hechos a mano de ``test_window_rules`` (con tardíos) y compara con
``expected_windows`` / ``expected_sessions``: las reglas en Python puro son las de Flink.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import topics
from helpers.sources.sinks import write_kafka
from helpers.sources.archivos import department
from helpers.sources.timing import START_MS
from helpers.sql_windows import MissingTopicError, require_topic, to_ms, with_ms
from helpers.window_rules import expected_sessions, expected_windows, hop, tumble

S = 1000


def windows(frame: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(inicio, fin, archivos) de cada ventana, en orden."""
    return sorted(zip(frame["start_ms"], frame["end_ms"], frame["archivos"]))


def test_to_ms_reads_naive_as_utc_aware_and_text():
    naive = pd.Timestamp("2026-01-05 09:00:10")
    aware = pd.Timestamp("2026-01-05 03:00:10", tz="America/Mexico_City")
    got = to_ms([naive, aware, "2026-01-05 09:00:10.5"])
    assert got == [START_MS + 10 * S, START_MS + 10 * S, START_MS + 10_500]
    # Así escribe Flink un TIMESTAMP(3) en JSON: sin ceros de sobra en la fracción.
    assert to_ms(["2026-01-05 09:00:00", "2026-01-05 09:00:00.21"]) == [START_MS, START_MS + 210]
    frame = pd.DataFrame({"window_start": [naive], "window_end": [naive + pd.Timedelta(seconds=5)]})
    out = with_ms(frame)
    assert list(out.columns) == ["window_start", "window_end", "start_ms", "end_ms"]
    assert (out["start_ms"][0], out["end_ms"][0]) == (START_MS + 10 * S, START_MS + 15 * S)
    assert "start_ms" not in frame  # no cambia el original


def test_require_topic_explains_which_notebook_to_run(bootstrap):
    missing = "n05.prueba-no-existe"
    topics.delete_topic(missing, bootstrap)
    with pytest.raises(MissingTopicError, match="cuaderno 04"):
        require_topic(missing, made_by="04", bootstrap=bootstrap)
    present = "n05.prueba-existe"
    topics.create_topic(present, bootstrap=bootstrap)
    try:
        require_topic(present, made_by="04", bootstrap=bootstrap)
    finally:
        topics.delete_topic(present, bootstrap)


def test_flink_sql_windows_agree_with_the_python_reference(bootstrap, hand_events):
    from helpers.flink import table_env

    topic = "n05.prueba-sql-windows"
    topics.create_topic(topic, bootstrap=bootstrap)
    write_kafka(topic, hand_events, key="path", bootstrap=bootstrap)
    t_env = table_env()
    t_env.execute_sql(f"""
        CREATE TABLE eventos (
            path STRING, size_bytes BIGINT,
            k AS SPLIT_INDEX(path, '/', 3),
            ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
            WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
        ) WITH (
            'connector' = 'kafka', 'topic' = '{topic}',
            'properties.bootstrap.servers' = '{bootstrap}', 'properties.group.id' = 'n05.prueba',
            'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
            'scan.watermark.emit.strategy' = 'on-event', 'format' = 'json'
        )""")
    result = t_env.sql_query("""
        SELECT 'TUMBLE' AS tvf, '' AS k, window_start, window_end, COUNT(*) AS archivos
        FROM TABLE(TUMBLE(TABLE eventos, DESCRIPTOR(ts), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end
        UNION ALL
        SELECT 'HOP', '', window_start, window_end, COUNT(*)
        FROM TABLE(HOP(TABLE eventos, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
        GROUP BY window_start, window_end
        UNION ALL
        SELECT 'SESSION', k, window_start, window_end, COUNT(*)
        FROM TABLE(SESSION(TABLE eventos PARTITION BY k, DESCRIPTOR(ts), INTERVAL '3' SECOND))
        GROUP BY k, window_start, window_end""").to_pandas()
    topics.delete_topic(topic, bootstrap)
    result = with_ms(result)
    fixed = result[result["tvf"] == "TUMBLE"]
    sliding = result[result["tvf"] == "HOP"]
    for got, assign in ((fixed, tumble(10 * S)), (sliding, hop(10 * S, 5 * S))):
        assert windows(got) == windows(expected_windows(hand_events, assign, delay_ms=5 * S))
    sessions = result[result["tvf"] == "SESSION"]
    got = sorted(zip(sessions["k"], sessions["start_ms"], sessions["end_ms"], sessions["archivos"]))
    want = expected_sessions(hand_events, department, gap_ms=3 * S, delay_ms=5 * S)
    assert got == sorted(want.itertuples(index=False, name=None))


def test_notebook_05_sql_plans_and_the_source_has_the_watermark(bootstrap):
    """El SQL compartido por los cuadernos 05 y 09 se planifica; la fuente trae la marca de agua."""
    from helpers.flink import table_env
    from helpers.sql_windows import TUMBLE_10S, archivos_ddl, ventanas_ddl

    t_env = table_env()
    t_env.execute_sql(archivos_ddl("n05.prueba-ddl", bootstrap, group_id="prueba-ddl"))
    t_env.execute_sql(ventanas_ddl("n05.prueba-ddl-salida", bootstrap))
    plan = t_env.explain_sql("INSERT INTO ventanas " + TUMBLE_10S)
    assert "TUMBLE" in plan.upper() and "5000:INTERVAL SECOND" in plan
    assert "watermarkEmitStrategy=[on-event]" in plan
