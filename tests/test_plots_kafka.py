"""La gráfica del rendimiento del productor dibuja lo que recibe, en el orden en que lo recibe."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from helpers.plots.kafka import throughput_bars  # noqa: E402


def test_throughput_bars_two_panels_one_bar_per_configuration():
    runs = pd.DataFrame({"configuracion": ["a", "b", "c"], "mensajes_por_s": [5000, 7000, 6500],
                         "mb_en_disco": [38.6, 38.1, 6.0]})
    left, right = throughput_bars(runs)
    assert [p.get_height() for p in left.patches] == [5000, 7000, 6500]
    assert [p.get_height() for p in right.patches] == [38.6, 38.1, 6.0]
    for ax in (left, right):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in left.texts] == ["5 000", "7 000", "6 500"]
    assert [t.get_text() for t in right.texts] == ["38.6", "38.1", "6.0"]
    assert "segundo" in left.get_ylabel() and "MB" in right.get_ylabel()
    assert left.figure is right.figure
