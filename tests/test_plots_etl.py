"""Las gráficas del ETL en streaming dibujan exactamente los números que reciben."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from helpers.plots.etl import BLUE, RED, grouped_bars, labeled_hbars  # noqa: E402


def test_labeled_hbars_sorts_biggest_on_top_and_highlights_in_red():
    ax = labeled_hbars({"válida": 180, "falta_total": 5, "xml_malformado": 7},
                       title="t", xlabel="x", highlight=["falta_total", "xml_malformado"])
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == ["falta_total", "xml_malformado", "válida"]  # de abajo arriba
    assert [patch.get_width() for patch in ax.patches] == [5, 7, 180]
    assert [to_hex(patch.get_facecolor()) for patch in ax.patches] == [RED, RED, BLUE]
    texts = [text.get_text() for text in ax.texts]
    assert texts == ["5", "7", "180"]
    plt.close(ax.figure)


def test_labeled_hbars_formats_values_and_axis_alike():
    ax = labeled_hbars({"Ana": 1_234_567.891, "Beto": 500.0}, title="t", xlabel="x",
                       fmt="${:,.0f}")
    assert [text.get_text() for text in ax.texts] == ["$500", "$1,234,568"]
    ax.figure.canvas.draw()
    ticks = [tick.get_text() for tick in ax.get_xticklabels() if tick.get_text()]
    assert ticks and all(t.startswith("$") for t in ticks), ticks
    plt.close(ax.figure)


def test_grouped_bars_one_bar_per_cell_and_no_bar_for_nan():
    table = pd.DataFrame({"paralelismo 1": [200, np.nan], "paralelismo 2": [104, 96]},
                         index=[0, 1])
    ax = grouped_bars(table, title="t", xlabel="x", ylabel="y")
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == [200, 0, 104, 96]
    assert [text.get_text() for text in ax.texts] == ["200", "", "104", "96"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["paralelismo 1", "paralelismo 2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    plt.close(ax.figure)
