"""Gráficas de frescura: un punto por evento, una línea por corrida y el histograma completo."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.batch import HOUR_MS, MINUTE_MS  # noqa: E402
from helpers.plots.freshness import freshness_histogram, freshness_sawtooth  # noqa: E402
from helpers.sources.timing import START_MS  # noqa: E402

EVENTS = [START_MS + m * MINUTE_MS for m in (0, 30, 59, 61, 90)]
RUNS = [START_MS + HOUR_MS, START_MS + 2 * HOUR_MS]
MINUTES = [(RUNS[0 if e <= RUNS[0] else 1] - e) / MINUTE_MS for e in EVENTS]


def test_sawtooth_draws_each_event_each_run_and_the_ideal_teeth():
    ax = freshness_sawtooth(EVENTS, MINUTES, RUNS, title="t")
    points = ax.collections[0].get_offsets()
    assert len(points) == len(EVENTS)
    assert [round(y, 6) for y in points[:, 1]] == MINUTES
    run_lines = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(run_lines) == len(RUNS) + 1  # una por corrida y la de la leyenda
    ideal = ax.get_lines()[0].get_ydata()
    assert max(ideal) == 60 and min(ideal) == 0  # el diente: de 60 min a 0 antes de cada corrida
    first_x = mdates.num2date(points[0, 0]).replace(tzinfo=None)
    assert pd.Timestamp(first_x) == pd.to_datetime(EVENTS[0], unit="ms")
    assert ax.get_ylabel() == "Frescura (minutos)"


def test_histogram_counts_every_event_and_marks_median_and_p95():
    minutes = [1.0, 2.0, 3.0, 40.0, 130.0]
    ax = freshness_histogram(minutes, title="t", bin_minutes=10)
    assert sum(patch.get_height() for patch in ax.patches) == len(minutes)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["mediana: 3.0 min", "p95: 112.0 min"]
