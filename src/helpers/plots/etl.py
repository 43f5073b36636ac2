"""Gráficas de un ETL en streaming: qué pasó con cada registro y cómo se repartió el trabajo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

BLUE, RED = "#2b8cbe", "#d7301f"


def labeled_hbars(
    values: Mapping[str, float],
    *,
    title: str,
    xlabel: str,
    highlight: Sequence[str] = (),
    fmt: str = "{:,.0f}",
    ax: Axes | None = None,
) -> Axes:
    """Una barra horizontal por etiqueta, de mayor a menor (la mayor arriba), con su valor al lado.

    Las etiquetas de ``highlight`` se pintan en rojo (p. ej. los motivos de rechazo) y el resto
    en azul. ``fmt`` da formato al número de cada barra y a las marcas del eje.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(values) + 1.2))
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))[::-1]
    labels = [label for label, _ in ordered]
    colors = [RED if label in highlight else BLUE for label in labels]
    bars = ax.barh(labels, [value for _, value in ordered], color=colors)
    ax.bar_label(bars, labels=[fmt.format(value) for _, value in ordered], padding=3)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # pocas marcas: los números largos no chocan
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt.format(value)))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.margins(x=0.22)
    ax.figure.tight_layout()
    return ax


def grouped_bars(
    table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str, ax: Axes | None = None
) -> Axes:
    """Barras agrupadas: un grupo por fila de ``table`` y una barra por columna, con su valor.

    Por ejemplo, filas = subtareas (0, 1) y columnas = «paralelismo 1», «paralelismo 2».
    Una celda vacía (``NaN``) no dibuja barra.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / len(table.columns)
    positions = range(len(table.index))
    for i, column in enumerate(table.columns):
        shifted = [p - 0.4 + width * (i + 0.5) for p in positions]
        bars = ax.bar(shifted, table[column].fillna(0), width, label=str(column))
        ax.bar_label(bars, labels=["" if pd.isna(v) else f"{v:,.0f}" for v in table[column]],
                     padding=2)
    ax.set_xticks(list(positions), [str(label) for label in table.index])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.15)
    ax.legend()
    ax.figure.tight_layout()
    return ax
