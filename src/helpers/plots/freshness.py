"""Gráficas de frescura (*freshness*): cuánto tarda cada evento en aparecer en el resultado.

Sirven para el ETL por lotes (el «diente de sierra» de un cron) y para comparar después con el
streaming. Los tiempos entran en milisegundos UTC; la frescura, en minutos.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from helpers.batch import MINUTE_MS, first_run_at_or_after, percentile


def _when(ms: Sequence[int] | pd.Series) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Series(ms, dtype="int64"), unit="ms")


def freshness_sawtooth(event_ms: Sequence[int], minutes: Sequence[float], runs: Sequence[int],
                       *, title: str, ax: Axes | None = None) -> Axes:
    """Frescura de cada evento contra su tiempo del evento, con las corridas del *job*.

    Dibuja un punto por evento, una línea vertical punteada por corrida (``runs``, en ms) y,
    en gris, la frescura ideal: la que tendría el evento si llegara en el instante en que
    ocurre (esperar a la siguiente corrida). Los puntos por encima llegaron tarde a la base.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    runs = sorted(runs)
    start, end = min(event_ms), max(event_ms)
    grid = list(range(start - start % MINUTE_MS, end + MINUTE_MS, MINUTE_MS))
    ideal = [(first_run_at_or_after(t, runs) - t) / MINUTE_MS
             for t in grid if first_run_at_or_after(t, runs) is not None]
    ax.plot(_when(grid[:len(ideal)]), ideal, color="#999999", linewidth=1,
            label="si llegara al instante")
    ax.scatter(_when(event_ms), minutes, s=10, color="#2b8cbe", alpha=0.8,
               label="cada factura")
    for run in runs:
        ax.axvline(pd.to_datetime(run, unit="ms"), color="#e6550d", linestyle=":", linewidth=1)
    ax.plot([], [], color="#e6550d", linestyle=":", label="corrida del job")
    ax.set_title(title)
    ax.set_xlabel("Tiempo del evento (UTC)")
    ax.set_ylabel("Frescura (minutos)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize="small")
    ax.figure.tight_layout()
    return ax


def freshness_histogram(minutes: Sequence[float], *, title: str, bin_minutes: float = 5,
                        ax: Axes | None = None) -> Axes:
    """Histograma de la frescura con la mediana y el percentil 95 marcados."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    top = max(minutes)
    bins = [i * bin_minutes for i in range(int(top // bin_minutes) + 2)]
    ax.hist(minutes, bins=bins, color="#2b8cbe", edgecolor="#08519c")
    for q, style in ((50, "--"), (95, ":")):
        value = percentile(minutes, q)
        label = "mediana" if q == 50 else f"p{q}"
        ax.axvline(value, color="#e6550d", linestyle=style, label=f"{label}: {value:.1f} min")
    ax.set_title(title)
    ax.set_xlabel("Frescura (minutos)")
    ax.set_ylabel("Número de eventos")
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax
