"""Las gráficas del cuaderno 06 dibujan lo que reciben (una figura por llamada, sin errores)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from helpers.plots import joins  # noqa: E402

T0 = 1_767_603_600_000
MIN = 60_000


def test_sources_over_time_one_row_per_source():
    events = {"a": [{"event_time": T0 + i * MIN, "arrival_time": T0 + i * MIN + 500}
                    for i in range(20)],
              "b": [{"event_time": T0, "arrival_time": T0 + 90_000}]}
    fig = joins.sources_over_time(events, bin_minutes=10)
    assert len(fig.axes) == 4
    bars = fig.axes[0].patches
    assert sorted(p.get_height() for p in bars) == [10, 10]  # 20 eventos en dos intervalos
    plt.close(fig)


def test_outcome_bars_and_state_curves():
    ax = joins.outcome_bars(pd.DataFrame({"válidos": [3, 5], "rechazados": [1, 0]},
                                         index=["x", "y"]), title="t")
    assert [p.get_height() for p in ax.patches] == [3, 5, 1, 0]
    ax = joins.state_curves([T0, T0 + MIN], {"con cota": [1, 2], "sin cota": [3, 4]}, title="t")
    assert [list(line.get_ydata()) for line in ax.lines] == [[1, 2], [3, 4]]
    plt.close("all")


def test_timelines_and_scan_delays():
    versions = [(T0, T0 + 10 * MIN, "León"), (T0 + 10 * MIN, T0 + 20 * MIN, "Toluca")]
    ax = joins.versions_timeline(versions, [(T0 + MIN, "F1")], snapshot_label="Toluca", title="t")
    assert len(ax.patches) == 2 and "Toluca" in ax.get_title()
    ax = joins.scan_delays([T0, T0 + MIN, T0 + 2 * MIN], [3.0, 30.0, None],
                           ["emparejada", "escaneo tarde", "sin escaneo"], 10, title="t")
    assert [len(c.get_offsets()) for c in ax.collections] == [1, 1, 0, 1]
    assert ax.collections[-1].get_offsets()[0][1] < 0  # sin escaneo: debajo de 0, no en 0
    ax = joins.snapshot_steps([T0, T0 + MIN], [50, 51], [(T0, 50)], title="t")
    assert len(ax.lines) == 1
    plt.close("all")
