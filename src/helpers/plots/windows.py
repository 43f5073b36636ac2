"""Gráficas de las salidas de las ventanas, compartidas por los cuadernos de ventanas."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator


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
    bars = ax.bar(labels, ordered[value], color="#2b8cbe", edgecolor="#08519c")
    ax.bar_label(bars, padding=2)
    ax.set_title(title)
    ax.set_xlabel("Ventana de tiempo del evento (UTC)")
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=30)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.15)
    ax.figure.tight_layout()
    return ax
