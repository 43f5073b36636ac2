"""Gráficas de ventanas, compartidas por los cuadernos 00, 04 y 05.

- ``window_bars``: una barra por ventana (la salida de un job de ventanas fijas).
- ``arrival_scatter``: tiempo del evento vs. orden de llegada, con la marca de agua y los tardíos.
- ``window_timelines``: un panel por tipo de ventana; cada ventana es una barra horizontal que
  cubre su intervalo de tiempo, con su conteo. Así se distinguen fijas, deslizantes, de sesión...
- ``session_timeline``: los eventos de cada clave sobre el tiempo y las sesiones que forman.
- ``cumulate_chart``: el total acumulado de las ventanas acumulativas (``CUMULATE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PALETTE = ("#2b8cbe", "#e6550d", "#31a354", "#756bb1", "#636363")


def window_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Etiqueta corta de una ventana: ``"09:00:00–09:00:10"``."""
    return f"{start:%H:%M:%S}–{end:%H:%M:%S}"


def window_bars(
    windows: pd.DataFrame,
    value: str,
    *,
    title: str,
    ylabel: str,
    start: str = "window_start",
    end: str = "window_end",
    ax: Axes | None = None,
) -> Axes:
    """Dibuja una barra por ventana (en orden de tiempo) con su valor encima.

    ``windows`` es la salida de un job de ventanas (p. ej. ``table.to_pandas()``) con las
    columnas ``start`` y ``end`` de cada ventana y la columna numérica ``value``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    ordered = windows.sort_values(start)
    labels = [window_label(s, e) for s, e in zip(ordered[start], ordered[end])]
    bars = ax.bar(labels, ordered[value], color=PALETTE[0], edgecolor="#08519c")
    ax.bar_label(bars, padding=2)
    ax.set_title(title)
    ax.set_xlabel("Ventana de tiempo del evento (UTC)")
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=30)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.15)
    ax.figure.tight_layout()
    return ax


def _seconds(values: Sequence[int] | pd.Series, origin_ms: int) -> list[float]:
    return [(int(v) - origin_ms) / 1000 for v in values]


def arrival_scatter(
    events: Sequence[Mapping[str, int]],
    *,
    delay_ms: int,
    late: Sequence[bool],
    origin_ms: int,
    ax: Axes | None = None,
) -> Axes:
    """Tiempo del evento (eje y) de cada evento según el orden en que llegó (eje x).

    ``events`` vienen en orden de llegada. La línea escalonada es la marca de agua
    (*watermark*) = máximo tiempo del evento visto − ``delay_ms``. Los puntos de ``late``
    (debajo de la marca de agua al llegar) se marcan con una X roja.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    order = list(range(1, len(events) + 1))
    times = _seconds([e["event_time"] for e in events], origin_ms)
    highest, watermark = float("-inf"), []
    for t in times:
        watermark.append(highest - delay_ms / 1000)  # la marca antes de ver este evento
        highest = max(highest, t)
    on_time = [(o, t) for o, t, is_late in zip(order, times, late) if not is_late]
    tardy = [(o, t) for o, t, is_late in zip(order, times, late) if is_late]
    ax.scatter(*zip(*on_time), s=14, color=PALETTE[0], label="a tiempo o desordenado")
    if tardy:
        ax.scatter(*zip(*tardy), s=60, marker="x", color="#d7191c", label="tardío")
    ax.step(order, watermark, where="post", color="#636363", linewidth=1.2,
            label=f"marca de agua (máximo visto − {delay_ms / 1000:g} s)")
    ax.set_xlabel("Orden de llegada a Kafka (n.º de evento)")
    ax.set_ylabel("Tiempo del evento (s desde el inicio)")
    ax.set_title("Tiempo del evento vs. orden de llegada")
    ax.legend(loc="upper left")
    ax.figure.tight_layout()
    return ax


def window_timelines(
    panels: Mapping[str, pd.DataFrame],
    *,
    event_times_ms: Sequence[int],
    origin_ms: int,
    value: str = "n",
) -> Figure:
    """Un panel por tipo de ventana sobre los mismos eventos.

    Cada DataFrame de ``panels`` tiene ``start_ms``, ``end_ms`` y ``value`` por ventana.
    Cada ventana es una barra horizontal que cubre [inicio, fin); las que se solapan van en
    filas distintas. Debajo de cada panel, una marca por evento (su tiempo del evento).
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.2 * len(panels) + 0.6),
                             sharex=True, squeeze=False)
    ticks = _seconds(event_times_ms, origin_ms)
    for ax, (name, frame), color in zip(axes[:, 0], panels.items(), PALETTE * 4):
        ordered = frame.sort_values(["start_ms", "end_ms"]).reset_index(drop=True)
        row_ends: list[float] = []
        for _, window in ordered.iterrows():
            start, end = _seconds([window["start_ms"], window["end_ms"]], origin_ms)
            row = next((i for i, last in enumerate(row_ends) if last <= start), len(row_ends))
            if row < len(row_ends):
                row_ends[row] = end
            else:
                row_ends.append(end)
            ax.broken_barh([(start, end - start)], (row + 0.15, 0.7), facecolor=color,
                           edgecolor="white", alpha=0.85)
            ax.text(start + (end - start) / 2, row + 0.5, str(window[value]), ha="center",
                    va="center", color="white", fontsize=8, fontweight="bold")
        ax.plot(ticks, [-0.35] * len(ticks), "|", color="#333333", markersize=8)
        ax.set_ylim(-0.8, max(len(row_ends), 1) + 0.1)
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    axes[-1, 0].set_xlabel("Tiempo del evento (s desde el inicio) · | = un evento")
    fig.suptitle("Los mismos eventos, cuatro formas de cortar el tiempo (número = eventos)")
    fig.tight_layout()
    return fig


def session_timeline(
    events: pd.DataFrame,
    sessions: pd.DataFrame,
    *,
    key: str,
    gap_ms: int,
    origin_ms: int,
    ax: Axes | None = None,
) -> Axes:
    """Eventos de cada clave (una fila por clave) y las sesiones que forman.

    ``events`` tiene ``key`` y ``event_time``; ``sessions`` tiene ``key``, ``start_ms``,
    ``end_ms`` y ``n``. Una sesión se cierra tras ``gap_ms`` sin eventos de esa clave.
    """
    keys = sorted(events[key].unique())
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.6 * len(keys) + 1.5))
    for row, name in enumerate(keys):
        mine = sessions[sessions[key] == name]
        for _, session in mine.iterrows():
            start, end = _seconds([session["start_ms"], session["end_ms"]], origin_ms)
            ax.broken_barh([(start, end - start)], (row - 0.3, 0.6), facecolor=PALETTE[2],
                           alpha=0.35, edgecolor=PALETTE[2])
            ax.text(end, row + 0.32, f"{session['n']}", fontsize=7, ha="right", va="bottom")
        times = _seconds(events.loc[events[key] == name, "event_time"], origin_ms)
        ax.plot(times, [row] * len(times), "o", color=PALETTE[0], markersize=4)
    ax.set_yticks(range(len(keys)), keys)
    ax.set_xlabel("Tiempo del evento (s desde el inicio)")
    ax.set_title(f"Sesiones: se cierran tras {gap_ms / 1000:g} s sin eventos (número = eventos)")
    ax.figure.tight_layout()
    return ax


def cumulate_chart(
    windows: pd.DataFrame, *, value: str = "n", origin_ms: int, ax: Axes | None = None
) -> Axes:
    """Total acumulado de ``CUMULATE``: una escalera por ventana grande (``window_start``).

    ``windows`` tiene ``start_ms``, ``end_ms`` y ``value``: cada fila es el acumulado desde
    ``start_ms`` hasta ``end_ms``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.8))
    for (start, group), color in zip(windows.groupby("start_ms"), PALETTE * 10):
        group = group.sort_values("end_ms")
        ends = _seconds(group["end_ms"], origin_ms)
        ax.step([_seconds([start], origin_ms)[0], *ends], [0, *group[value]], where="post",
                color=color, marker="o", markersize=4)
    ax.set_xlabel("Fin de la ventana (s desde el inicio)")
    ax.set_ylabel("Eventos acumulados")
    ax.set_title("CUMULATE: el total de cada ventana grande, paso a paso")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.figure.tight_layout()
    return ax
