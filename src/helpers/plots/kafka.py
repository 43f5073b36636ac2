"""Gráficas de Kafka: el rendimiento del productor según su configuración (cuaderno 02)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def throughput_bars(
    runs: pd.DataFrame,
    *,
    label: str = "configuracion",
    rate: str = "mensajes_por_s",
    size: str = "mb_en_disco",
    title: str = "El mismo envío con distintas configuraciones del productor",
) -> tuple[Axes, Axes]:
    """Dos paneles de barras, una por configuración: mensajes por segundo y MB en disco.

    ``runs`` es la tabla de ``helpers.kafka_lab.runs_frame`` (una fila por configuración, en el
    orden en que se midió). Cada barra lleva su valor encima (miles separados con espacio).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = list(runs[label])
    colors = plt.get_cmap("tab10")(np.arange(len(names)) % 10)
    for ax, column, ylabel, fmt in (
        (left, rate, "Mensajes por segundo", "{:,.0f}"),
        (right, size, "MB en el disco del broker", "{:.1f}"),
    ):
        bars = ax.bar(names, runs[column], color=colors, edgecolor="#333333")
        # Miles separados con espacio, como se escribe en español: 12 345.
        ax.bar_label(bars, labels=[fmt.format(v).replace(",", " ") for v in runs[column]],
                     padding=2)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Configuración del productor")
        ax.tick_params(axis="x", labelrotation=15)
        ax.margins(y=0.18)
    left.set_title("Rendimiento (más es mejor)")
    right.set_title("Espacio ocupado (menos es mejor)")
    fig.suptitle(title)
    fig.tight_layout()
    return left, right
