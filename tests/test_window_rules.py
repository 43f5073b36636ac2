"""Las reglas de ventanas de Flink en Python puro (``helpers.window_rules``), con casos a mano.

Los cuadernos 04 (DataStream) y 05 (SQL) comparan lo que calcula Flink con estas funciones;
``tests/test_sql_windows.py`` comprueba contra un job real de Flink SQL que las reglas coinciden.
"""

from __future__ import annotations

from helpers.sources.archivos import department
from helpers.sources.timing import START_MS
from helpers.window_rules import (
    count_windows,
    cumulate,
    event_time_windows,
    expected_sessions,
    expected_windows,
    hop,
    tumble,
    watermarks,
    window_rows,
)

S = 1000


def ev(seconds: float, size: int = 1) -> dict:
    return {"event_time": int(seconds * S), "size_bytes": size}


def windows(frame) -> dict[tuple[int, int], int]:
    """{(inicio, fin) en segundos desde START_MS: archivos}."""
    return {((s - START_MS) // S, (e - START_MS) // S): n
            for s, e, n in zip(frame["start_ms"], frame["end_ms"], frame["archivos"])}


def test_assigners_match_flink_window_bounds():
    assert tumble(10 * S)(15 * S) == [(10 * S, 20 * S)]
    assert tumble(10 * S)(-1) == [(-10 * S, 0)]
    assert hop(10 * S, 5 * S)(12 * S) == [(5 * S, 15 * S), (10 * S, 20 * S)]
    assert hop(10 * S, 5 * S)(10 * S) == [(5 * S, 15 * S), (10 * S, 20 * S)]
    assert cumulate(10 * S, 30 * S)(45 * S) == [(30 * S, 50 * S), (30 * S, 60 * S)]
    assert cumulate(10 * S, 30 * S)(30 * S) == [(30 * S, e * S) for e in (40, 50, 60)]


def test_watermarks_are_the_max_seen_before_minus_delay(hand_events):
    marks = watermarks(hand_events, 5 * S)
    assert marks[0] is None
    assert [(m - START_MS) // S for m in marks[1:]] == [-4, -3, 4, 7, 11, 11, 11, 15, 16, 19]
    assert watermarks(hand_events, None) == [None] * len(hand_events)  # sin marca: nada tarde


def test_late_event_is_dropped_once_the_watermark_passes_its_window():
    # Llegadas: 1 s, 12 s, 3 s, 25 s, 8 s. Con 2 s de retraso la marca antes del «3 s» es 10 s.
    arrivals = [ev(1), ev(12), ev(3), ev(25), ev(8)]
    outcome = event_time_windows(arrivals, tumble(10 * S), delay_ms=2 * S)
    assert [e["event_time"] for e in outcome.late] == [3 * S, 8 * S]
    assert outcome.frame()["n"].tolist() == [1, 1, 1]
    # Con 20 s de retraso nadie es tardío.
    relaxed = event_time_windows(arrivals, tumble(10 * S), delay_ms=20 * S)
    assert relaxed.late == [] and relaxed.frame()["n"].tolist() == [3, 1, 1]


def test_allowed_lateness_updates_windows_and_counts_updates():
    arrivals = [ev(1), ev(12), ev(3), ev(45), ev(8)]
    outcome = event_time_windows(arrivals, tumble(10 * S), delay_ms=2 * S, allowed_ms=30 * S)
    # «3 s» llega con marca 10 s: ventana cerrada pero dentro de la tolerancia → actualización.
    # «8 s» llega con marca 43 s: 9.999 + 30 <= 43 → demasiado tarde.
    assert outcome.updates == {(0, 10 * S): 1}
    assert [e["event_time"] for e in outcome.late] == [8 * S]


def test_late_event_lost_in_tumble_but_counted_in_an_open_hop_window(hand_events):
    fixed = windows(expected_windows(hand_events, tumble(10 * S), delay_ms=5 * S))
    assert fixed == {(0, 10): 3, (10, 20): 2, (20, 30): 3, (30, 40): 1}  # sin el 8 ni el 3
    sliding = windows(expected_windows(hand_events, hop(10 * S, 5 * S), delay_ms=5 * S))
    assert sliding[(5, 15)] == 3  # 9, 12 y el tardío 8
    assert sliding[(0, 10)] == 3  # 1, 2 y 9: el 8 llegó tarde para esta
    rows = window_rows(hand_events, hop(10 * S, 5 * S), delay_ms=5 * S)
    kept = [e["event_time"] for _, e in rows]
    assert START_MS + 3 * S not in kept and kept.count(START_MS + 8 * S) == 1
    total = expected_windows(hand_events, tumble(10 * S), delay_ms=5 * S)["bytes"].sum()
    assert total == sum(e["size_bytes"] for e in hand_events) - 60 - 70


def test_window_rows_come_in_arrival_order(hand_events):
    pairs = list(window_rows(hand_events, hop(10 * S, 5 * S), delay_ms=5 * S))
    order = [hand_events.index(e) for _, e in pairs]
    assert order == sorted(order)
    assert pairs[0] == ((START_MS - 5 * S, START_MS + 5 * S), hand_events[0])


def test_sessions_merge_touching_windows_and_drop_closed_ones(hand_events):
    sessions = expected_sessions(hand_events, department, gap_ms=3 * S, delay_ms=5 * S)
    got = {(k, (s - START_MS) / S, (e - START_MS) / S, n)
           for k, s, e, n in sessions.itertuples(index=False)}
    assert got == {("a", 1, 4, 1), ("a", 8, 12, 2), ("a", 16, 19, 1), ("a", 20, 23, 1),
                   ("a", 30, 33, 1), ("b", 2, 5, 1), ("b", 12, 15, 1), ("b", 21, 27, 2)}
    touching = [{"k": "x", "event_time": t} for t in (0, 3 * S)]
    merged = expected_sessions(touching, lambda e: e["k"], gap_ms=3 * S, delay_ms=0)
    assert merged[["start_ms", "end_ms", "archivos"]].values.tolist() == [[0, 6 * S, 2]]


def test_sessions_without_watermark_keep_every_event():
    events = [ev(3), ev(0), ev(10), ev(1), ev(11.5)]  # desordenados: sin marca, nada se pierde
    frame = expected_sessions(events, gap_ms=2 * S)
    assert frame[["start_ms", "end_ms", "archivos"]].values.tolist() == [
        [0, 5 * S, 3], [10 * S, 13_500, 2]]
    # El puente: un evento que toca dos sesiones las une en una sola.
    bridged = expected_sessions([ev(0), ev(4), ev(2)], gap_ms=2 * S)
    assert bridged[["start_ms", "end_ms", "archivos"]].values.tolist() == [[0, 6 * S, 3]]


def test_count_windows_skip_the_incomplete_one():
    arrivals = [ev(s) for s in (5, 1, 2, 9, 4, 3, 7)]
    frame = count_windows(arrivals, 3)
    assert frame.values.tolist() == [[1 * S, 5_001, 3], [3 * S, 9_001, 3]]


def test_department_from_path():
    assert department({"path": "/srv/compartido/finanzas/2026/01/x.pdf"}) == "finanzas"
