"""Ventanas de Flink SQL vistas desde Python: conversión, reglas de tardíos y un job real.

La última prueba ejecuta TUMBLE, HOP y SESSION en Flink SQL contra el broker real sobre eventos
hechos a mano (con tardíos) y compara con ``expected_windows`` / ``expected_sessions``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import topics
from helpers.sources.sinks import write_kafka
from helpers.sources.timing import START_MS
from helpers.sql_windows import (
    MissingTopicError,
    cumulate,
    expected_sessions,
    expected_windows,
    hop,
    require_topic,
    to_ms,
    tumble,
    watermarks,
    window_rows,
    with_ms,
)

S = 1000
# (clave, segundo del evento, tamaño) en orden de llegada. El 8 y el 3 llegan cuando la marca de
# agua (retraso 5 s) ya está en 11 s: el 8 pierde su ventana fija [0, 10) pero cuenta en la
# deslizante [5, 15) y se fusiona con la sesión abierta [9, 12) de «a»; el 3 se pierde en todas.
# Las sesiones [21, 24) y [24, 27) de «b» solo se tocan: Flink las fusiona.
ROWS = [("a", 1, 10), ("b", 2, 20), ("a", 9, 30), ("b", 12, 40), ("a", 16, 50), ("a", 8, 60),
        ("b", 3, 70), ("a", 20, 80), ("b", 21, 90), ("b", 24, 95), ("a", 30, 100)]
EVENTS = [{"path": f"/srv/compartido/{key}/x{i}.txt", "size_bytes": size,
           "event_time": START_MS + sec * S, "arrival_time": START_MS + 100 * S + i}
          for i, (key, sec, size) in enumerate(ROWS)]


def folder(event) -> str:
    """La clave de sesión: la carpeta de la ruta (``a`` o ``b``)."""
    return event["path"].split("/")[3]


def windows(frame: pd.DataFrame) -> dict[tuple[int, int], int]:
    """{(inicio, fin) en segundos desde START_MS: archivos}."""
    return {((s - START_MS) // S, (e - START_MS) // S): n
            for s, e, n in zip(frame["start_ms"], frame["end_ms"], frame["archivos"])}


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


def test_watermarks_are_the_max_seen_before_minus_delay():
    marks = watermarks(EVENTS, 5 * S)
    assert marks[0] is None
    assert [(m - START_MS) // S for m in marks[1:]] == [-4, -3, 4, 7, 11, 11, 11, 15, 16, 19]


def test_assigners_match_flink_window_bounds():
    assert tumble(10 * S)(15 * S) == [(10 * S, 20 * S)]
    assert tumble(10 * S)(-1) == [(-10 * S, 0)]
    assert hop(10 * S, 5 * S)(12 * S) == [(5 * S, 15 * S), (10 * S, 20 * S)]
    assert hop(10 * S, 5 * S)(10 * S) == [(5 * S, 15 * S), (10 * S, 20 * S)]
    assert cumulate(10 * S, 30 * S)(45 * S) == [(30 * S, 50 * S), (30 * S, 60 * S)]
    assert cumulate(10 * S, 30 * S)(30 * S) == [(30 * S, e * S) for e in (40, 50, 60)]


def test_late_event_lost_in_tumble_but_counted_in_an_open_hop_window():
    fixed = windows(expected_windows(EVENTS, tumble(10 * S), delay_ms=5 * S))
    assert fixed == {(0, 10): 3, (10, 20): 2, (20, 30): 3, (30, 40): 1}  # sin el 8 ni el 3
    sliding = windows(expected_windows(EVENTS, hop(10 * S, 5 * S), delay_ms=5 * S))
    assert sliding[(5, 15)] == 3  # 9, 12 y el tardío 8
    assert sliding[(0, 10)] == 3  # 1, 2 y 9: el 8 llegó tarde para esta
    kept = [e["event_time"] for w, e in window_rows(EVENTS, hop(10 * S, 5 * S), delay_ms=5 * S)]
    assert START_MS + 3 * S not in kept and kept.count(START_MS + 8 * S) == 1
    total = expected_windows(EVENTS, tumble(10 * S), delay_ms=5 * S)["bytes"].sum()
    assert total == sum(e["size_bytes"] for e in EVENTS) - 60 - 70


def test_sessions_merge_touching_windows_and_drop_closed_ones():
    sessions = expected_sessions(EVENTS, folder, gap_ms=3 * S, delay_ms=5 * S)
    got = {(k, (s - START_MS) / S, (e - START_MS) / S, n)
           for k, s, e, n in sessions.itertuples(index=False)}
    assert got == {("a", 1, 4, 1), ("a", 8, 12, 2), ("a", 16, 19, 1), ("a", 20, 23, 1),
                   ("a", 30, 33, 1), ("b", 2, 5, 1), ("b", 12, 15, 1), ("b", 21, 27, 2)}
    touching = [{"k": "x", "event_time": t, "arrival_time": t} for t in (0, 3 * S)]
    merged = expected_sessions(touching, lambda e: e["k"], gap_ms=3 * S, delay_ms=0)
    assert merged[["start_ms", "end_ms", "archivos"]].values.tolist() == [[0, 6 * S, 2]]


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


def test_flink_sql_windows_agree_with_the_python_reference(bootstrap):
    from helpers.flink import table_env

    topic = "n05.prueba-sql-windows"
    topics.create_topic(topic, bootstrap=bootstrap)
    write_kafka(topic, EVENTS, key="path", bootstrap=bootstrap)
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
    assert windows(fixed) == windows(expected_windows(EVENTS, tumble(10 * S), delay_ms=5 * S))
    assert windows(sliding) == windows(expected_windows(EVENTS, hop(10 * S, 5 * S), delay_ms=5 * S))
    sessions = result[result["tvf"] == "SESSION"]
    got = sorted(zip(sessions["k"], sessions["start_ms"], sessions["end_ms"], sessions["archivos"]))
    want = expected_sessions(EVENTS, folder, gap_ms=3 * S, delay_ms=5 * S)
    assert got == sorted(want.itertuples(index=False, name=None))
