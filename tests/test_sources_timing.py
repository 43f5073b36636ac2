"""Tiempos del evento y de llegada: qué es «desordenado» y «tardío», y en qué fracción."""

from __future__ import annotations

import random

import pytest

from helpers.sources import seeding, timing
from helpers.sources.timing import LATE, ON_TIME, OUT_OF_ORDER, Timing

N = 2000


def _events(pairs: list[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"event_time": e, "arrival_time": a} for e, a in pairs]


def test_classification_follows_the_written_definition():
    # En orden de llegada: 0 s, 20 s, 5 s (15 s detrás del máximo: tardío),
    # 18 s (2 s detrás: desordenado), 30 s, 20 s (10 s detrás: justo en el límite, desordenado),
    # 19.999 s (10.001 s detrás: tardío), 30 s (empata con el máximo: a tiempo).
    events = _events([
        (0, 1), (20_000, 2), (5_000, 3), (18_000, 4), (30_000, 5), (20_000, 6), (19_999, 7),
        (30_000, 8),
    ])
    assert timing.classify_arrivals(events) == [
        ON_TIME, ON_TIME, LATE, OUT_OF_ORDER, ON_TIME, OUT_OF_ORDER, LATE, ON_TIME,
    ]
    # Otra tolerancia de la marca de agua, otra clasificación.
    assert timing.classify_arrivals(events, late_after_ms=20_000)[2] == OUT_OF_ORDER


def test_classification_does_not_depend_on_input_order():
    events = _events([(0, 10), (5_000, 1), (1_000, 2)])  # llegan 5 s, 1 s y luego 0 s
    assert timing.classify_arrivals(events) == [OUT_OF_ORDER, ON_TIME, OUT_OF_ORDER]
    assert [e["event_time"] for e in timing.arrival_order(events)] == [5_000, 1_000, 0]


def test_schedule_starts_at_the_fixed_start_and_is_deterministic():
    first = timing.schedule(50, random.Random(3))
    assert first == timing.schedule(50, random.Random(3))
    assert first != timing.schedule(50, random.Random(4))
    assert first[0].event_time == timing.START_MS == 1_767_603_600_000
    assert all(b.event_time - a.event_time in range(200, 1801) for a, b in zip(first, first[1:]))
    assert all(s.arrival_time > s.event_time for s in first)


def test_delay_classes_match_the_definition_with_default_timing():
    """Normales → a tiempo; desordenados → desordenados; tardíos → tardíos (salvo al final)."""
    stamps = timing.schedule(N, random.Random(11))
    events = _events(list(stamps))
    observed = timing.classify_arrivals(events)
    extra = [s.arrival_time - s.event_time for s in stamps]
    planned = [LATE if d >= 30_000 else OUT_OF_ORDER if d >= 3_000 else ON_TIME for d in extra]
    assert planned.count(OUT_OF_ORDER) == 0.10 * N and planned.count(LATE) == 0.05 * N
    for plan, seen in zip(planned, observed):
        if plan == ON_TIME:
            assert seen == ON_TIME
        elif plan == OUT_OF_ORDER:
            assert seen in (OUT_OF_ORDER, ON_TIME)  # ON_TIME solo si nadie posterior lo adelantó
            assert seen != LATE
    # Solo los tardíos de los últimos 2 minutos pueden quedarse sin nadie que los adelante.
    end = stamps[-1].event_time
    for stamp, plan, seen in zip(stamps, planned, observed):
        if plan == LATE and stamp.event_time < end - 125_000:
            assert seen == LATE


@pytest.mark.parametrize("ooo, late", [(0.10, 0.05), (0.25, 0.02), (0.0, 0.0)])
def test_observed_rates_are_close_to_the_requested_ones(ooo, late):
    custom = Timing(out_of_order_rate=ooo, late_rate=late)
    stamps = timing.schedule(N, random.Random(5), timing=custom)
    observed = timing.classify_arrivals(_events(list(stamps)))
    assert observed.count(LATE) / N == pytest.approx(late, abs=0.006)
    assert observed.count(OUT_OF_ORDER) / N == pytest.approx(ooo, abs=0.01)
    assert observed.count(LATE) <= late * N and observed.count(OUT_OF_ORDER) <= ooo * N


@pytest.mark.parametrize("kwargs", [
    {"out_of_order_rate": 0.7, "late_rate": 0.4},
    {"gap_ms": (5, 1)},
    {"jitter_ms": -1},
])
def test_invalid_timing_is_rejected(kwargs):
    with pytest.raises(ValueError):
        Timing(**kwargs)


def test_exact_fractions_helpers():
    assert seeding.even_split(10, "abcd") == [("a", 3), ("b", 3), ("c", 2), ("d", 2)]
    labels = seeding.scatter_labels(random.Random(1), 100, [("x", 7), ("y", 3)])
    assert labels.count("x") == 7 and labels.count("y") == 3 and labels.count(None) == 90
    with pytest.raises(ValueError):
        seeding.scatter_labels(random.Random(1), 5, [("x", 6)])
    with pytest.raises(ValueError):
        seeding.count_for(1.5, 10)
    assert seeding.uuid_from(random.Random(2)) == seeding.uuid_from(random.Random(2))
    assert seeding.iso_utc(timing.START_MS) == "2026-01-05T09:00:00Z"
