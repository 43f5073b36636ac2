"""Gráficas del cuaderno 08: cuadro en vivo, CDF de frescura, razón del límite y costo/frescura."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from helpers.plots.head_to_head import (
    cost_vs_freshness,
    freshness_cdf,
    live_frame,
    ratio_bars,
)

T0 = 1_000_000


def test_live_frame_redraws_two_panels_in_place():
    fig = plt.figure()
    stream = pd.DataFrame({"ts": [T0, T0 + 1000], "segundos": [6.0, 5.0]})
    batch = {"lotes cada 5 s": pd.DataFrame({"ts": [T0, T0 + 1000], "segundos": [5.0, 4.0]})}
    for _ in range(2):  # dos cuadros seguidos: la figura no acumula ejes
        live_frame(fig, origin_ms=T0, now_ms=T0 + 10_000, sent_ms=[T0, T0 + 500, T0 + 1500],
                   stream=stream, batches=batch, closes_ms=[T0 + 6000, T0 + 6000])
    top, bottom = fig.axes
    assert len(fig.axes) == 2
    assert sum(p.get_height() for p in top.patches) == 3  # 3 facturas en el histograma
    assert len([line for line in top.get_lines()]) == 1  # un cierre (repetido = una línea)
    assert list(bottom.get_lines()[0].get_ydata()) == [5.0, 4.0]
    assert len(bottom.collections[0].get_offsets()) == 2
    assert bottom.get_xlim() == (0, 10.0)
    plt.close(fig)


def test_freshness_cdf_marks_p95_and_bounds():
    ax = freshness_cdf({"a": [1, 2, 3, 4], "b": [10, 20]}, {"a": 6.0})
    steps = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(steps) == 2 and list(steps[0].get_ydata()) == [0.25, 0.5, 0.75, 1.0]
    assert any(list(line.get_xdata()) == [6.0, 6.0] for line in ax.get_lines())
    assert "p95" in ax.get_legend().get_texts()[0].get_text()
    plt.close(ax.figure)


def test_ratio_bars_are_fractions_of_the_limit():
    ax = ratio_bars({"Flink SQL puro": 50.0, "lectura cruda (límite)": 100.0}, 100.0)
    assert [round(p.get_width(), 3) for p in ax.patches] == [0.5, 1.0]
    assert "50%" in ax.texts[0].get_text()
    plt.close(ax.figure)


def test_cost_vs_freshness_draws_break_even():
    ax = cost_vs_freshness([10, 100], [50.0, 10.0], [11, 101], 20.0, 6.0, break_even_s=40.0)
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("equilibrio" in label for label in labels)
    plt.close(ax.figure)
