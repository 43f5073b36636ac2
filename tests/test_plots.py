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


ORIGIN = 1_767_603_600_000


def test_arrival_scatter_marks_late_events_and_draws_watermark():
    from helpers.plots import arrival_scatter

    events = [{"event_time": ORIGIN + s * 1000} for s in (1, 5, 12, 2, 20)]
    late = [False, False, False, True, False]
    ax = arrival_scatter(events, delay_ms=2000, late=late, origin_ms=ORIGIN)
    on_time, tardy = ax.collections[:2]
    assert len(on_time.get_offsets()) == 4 and len(tardy.get_offsets()) == 1
    assert list(tardy.get_offsets()[0]) == [4, 2]
    watermark = ax.get_lines()[0].get_ydata()
    assert list(watermark[1:]) == [-1, 3, 10, 10]  # máximo visto antes de cada evento − 2 s


def test_window_timelines_one_panel_per_type_and_rows_for_overlaps():
    from helpers.plots import window_timelines

    tumbling = pd.DataFrame({"start_ms": [ORIGIN, ORIGIN + 10_000], "end_ms": [ORIGIN + 10_000, ORIGIN + 20_000], "n": [3, 2]})
    sliding = pd.DataFrame({"start_ms": [ORIGIN, ORIGIN + 5_000], "end_ms": [ORIGIN + 10_000, ORIGIN + 15_000], "n": [3, 4]})
    fig = window_timelines({"fijas": tumbling, "deslizantes": sliding},
                           event_times_ms=[ORIGIN + 1000, ORIGIN + 12_000], origin_ms=ORIGIN)
    fixed_ax, sliding_ax = fig.axes
    assert len(fixed_ax.collections) == 2 and len(sliding_ax.collections) == 2
    # Las fijas caben en una fila; las deslizantes se solapan y necesitan dos.
    rows = lambda ax: {round(c.get_paths()[0].vertices[:, 1].min(), 2) for c in ax.collections}  # noqa: E731
    assert len(rows(fixed_ax)) == 1 and len(rows(sliding_ax)) == 2
    assert [t.get_text() for t in sliding_ax.texts] == ["3", "4"]


def test_session_timeline_and_cumulate_chart_draw_every_session_and_step():
    from helpers.plots import cumulate_chart, session_timeline

    events = pd.DataFrame({"k": ["a", "a", "b"], "event_time": [ORIGIN, ORIGIN + 1000, ORIGIN + 9000]})
    sessions = pd.DataFrame({"k": ["a", "b"], "start_ms": [ORIGIN, ORIGIN + 9000],
                             "end_ms": [ORIGIN + 4000, ORIGIN + 12_000], "n": [2, 1]})
    ax = session_timeline(events, sessions, key="k", gap_ms=3000, origin_ms=ORIGIN)
    assert len(ax.collections) == 2 and [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    cumulative = pd.DataFrame({"start_ms": [ORIGIN] * 3, "end_ms": [ORIGIN + s for s in (5000, 10_000, 15_000)],
                               "n": [2, 5, 6]})
    ax = cumulate_chart(cumulative, origin_ms=ORIGIN)
    assert list(ax.get_lines()[0].get_ydata()) == [0, 2, 5, 6]
