"""Las gráficas dibujan lo que reciben: una barra por ventana, en orden de tiempo."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from helpers.plots import window_bars, window_label  # noqa: E402


def test_window_bars_one_bar_per_window_in_time_order():
    starts = pd.to_datetime(["2026-01-05 09:00:20", "2026-01-05 09:00:00", "2026-01-05 09:00:10"])
    frame = pd.DataFrame({"window_start": starts, "window_end": starts + pd.Timedelta(seconds=10),
                          "n": [3, 1, 2]})
    ax = window_bars(frame, "n", title="t", ylabel="y")
    assert [patch.get_height() for patch in ax.patches] == [1, 2, 3]
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    assert labels == ["09:00:00–09:00:10", "09:00:10–09:00:20", "09:00:20–09:00:30"]


def test_window_label():
    start = pd.Timestamp("2026-01-05 09:00:00")
    assert window_label(start, start + pd.Timedelta(seconds=10)) == "09:00:00–09:00:10"
