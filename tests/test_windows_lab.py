"""Las reglas de ventanas en Python puro, sobre casos hechos a mano."""

from __future__ import annotations

from helpers.windows_lab import (
    count_windows,
    department,
    event_time_windows,
    session_windows,
    sliding,
    tumbling,
)


def ev(seconds: float, size: int = 1) -> dict:
    return {"event_time": int(seconds * 1000), "size_bytes": size}


def test_tumbling_and_sliding_assigners():
    assert tumbling(10_000)(12_345) == [(10_000, 20_000)]
    assert sliding(10_000, 5_000)(12_345) == [(5_000, 15_000), (10_000, 20_000)]
    assert sliding(10_000, 5_000)(10_000) == [(5_000, 15_000), (10_000, 20_000)]


def test_late_event_is_dropped_once_the_watermark_passes_its_window():
    # Llegadas: 1 s, 12 s, 3 s, 25 s, 8 s. Con 2 s de retraso la marca antes del «3 s» es 10 s.
    arrivals = [ev(1), ev(12), ev(3), ev(25), ev(8)]
    outcome = event_time_windows(arrivals, tumbling(10_000), delay_ms=2_000)
    assert [e["event_time"] for e in outcome.late] == [3_000, 8_000]
    assert outcome.frame()["n"].tolist() == [1, 1, 1]
    # Con 20 s de retraso nadie es tardío.
    relaxed = event_time_windows(arrivals, tumbling(10_000), delay_ms=20_000)
    assert relaxed.late == [] and relaxed.frame()["n"].tolist() == [3, 1, 1]


def test_allowed_lateness_updates_windows_and_counts_updates():
    arrivals = [ev(1), ev(12), ev(3), ev(45), ev(8)]
    outcome = event_time_windows(arrivals, tumbling(10_000), delay_ms=2_000, allowed_ms=30_000)
    # «3 s» llega con marca 10 s: ventana cerrada pero dentro de la tolerancia → actualización.
    # «8 s» llega con marca 43 s: 9.999 + 30 <= 43 → demasiado tarde.
    assert outcome.updates == {(0, 10_000): 1}
    assert [e["event_time"] for e in outcome.late] == [8_000]


def test_sessions_merge_touching_windows_and_split_on_gaps():
    events = [ev(0), ev(1), ev(3), ev(10), ev(11.5)]
    frame = session_windows(events, gap_ms=2_000)
    assert frame[["start_ms", "end_ms", "n"]].values.tolist() == [[0, 5_000, 3], [10_000, 13_500, 2]]


def test_count_windows_skip_the_incomplete_one():
    arrivals = [ev(s) for s in (5, 1, 2, 9, 4, 3, 7)]
    frame = count_windows(arrivals, 3)
    assert frame.values.tolist() == [[1_000, 5_001, 3], [3_000, 9_001, 3]]


def test_department_from_path():
    assert department({"path": "/srv/compartido/finanzas/2026/01/x.pdf"}) == "finanzas"
