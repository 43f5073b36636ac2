"""Gráficas del cuaderno 08 (lotes contra streaming): la corrida en vivo, la frescura, el
rendimiento como razón del límite físico y el costo contra la frescura.

Los tiempos entran en milisegundos UTC; la frescura y las latencias, en segundos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

STREAM_COLOR = "#2b8cbe"
# Tonos bien distintos (naranja, morado, rojo oscuro, verde oliva): se distinguen también impresos.
BATCH_COLORS = ("#e6550d", "#756bb1", "#a50f15", "#8c6d31")


def live_frame(fig: Figure, *, origin_ms: int, now_ms: int, sent_ms: Sequence[int],
               stream: pd.DataFrame, batches: Mapping[str, pd.DataFrame],
               closes_ms: Sequence[int]) -> Figure:
    """Un cuadro de la corrida en vivo, dibujado de nuevo en ``fig`` (dos paneles).

    Arriba: facturas que llegan por segundo y, en verde, cada ventana que cierra (cuando su
    resultado llega abajo). Abajo: la frescura de cada factura (s) contra su tiempo del evento:
    streaming en azul y un diente de sierra por cada cron de lotes (``batches``: etiqueta →
    ``ts``/``segundos``, como ``live.batch_freshness``).
    """
    fig.clf()
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    span = max(1.0, (now_ms - origin_ms) / 1000)
    seconds = (np.asarray(sent_ms, dtype=float) - origin_ms) / 1000
    bins = np.arange(0, np.ceil(span) + 1)
    top.hist(seconds, bins=bins, color="#bdbdbd", label="facturas que llegan (por segundo)")
    for i, close in enumerate(sorted(set(closes_ms))):
        top.axvline((close - origin_ms) / 1000, color="#31a354", linewidth=1,
                    label="ventana que cierra (resultado visible)" if i == 0 else None)
    top.set_ylabel("facturas/s")
    top.legend(loc="upper left", fontsize="small")
    for (label, frame), color in zip(batches.items(), BATCH_COLORS):
        frame = frame.sort_values("ts")
        bottom.plot((frame["ts"] - origin_ms) / 1000, frame["segundos"], color=color,
                    linewidth=1.5, label=label)
    if len(stream):
        bottom.scatter((stream["ts"] - origin_ms) / 1000, stream["segundos"], s=2,
                       color=STREAM_COLOR, label="streaming (Flink SQL)", zorder=3)
    bottom.set_xlim(0, span)
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel(f"segundos desde el inicio (ahora: {span:.0f} s)")
    bottom.set_ylabel("frescura (s)")
    bottom.legend(loc="upper left", fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def freshness_cdf(series: Mapping[str, Sequence[float]], bounds: Mapping[str, float], *,
                  ax: Axes | None = None) -> Axes:
    """La distribución acumulada (CDF) de la frescura de cada canalización, con su cota teórica.

    ``series``: etiqueta → segundos; ``bounds``: etiqueta → cota (línea vertical punteada del mismo
    color). Cada curva marca su percentil 95 con un punto.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    colors = (STREAM_COLOR, *BATCH_COLORS)
    for (label, values), color in zip(series.items(), colors):
        values = np.sort(np.asarray(values, dtype=float))
        share = np.arange(1, len(values) + 1) / len(values)
        p95 = float(np.percentile(values, 95))
        ax.step(values, share, where="post", color=color, label=f"{label} (p95 {p95:.1f} s)")
        ax.plot([p95], [0.95], "o", color=color)
        if label in bounds:
            ax.axvline(bounds[label], color=color, linestyle=":", linewidth=1)
    ax.axhline(0.95, color="#999999", linewidth=0.5)
    ax.set_xlabel("frescura: segundos desde el evento hasta verlo en el reporte "
                  "(punteada: cota teórica)")
    ax.set_ylabel("fracción de facturas")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", fontsize="small")
    ax.figure.tight_layout()
    return ax


def ratio_bars(rates: Mapping[str, float], limit: float, *, ax: Axes | None = None) -> Axes:
    """Barras horizontales: cada ritmo (registros/s) como fracción del límite físico ``limit``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * len(rates) + 1.2))
    labels = list(rates)
    ratios = [rates[k] / limit for k in labels]
    ax.barh(labels, ratios, color=[STREAM_COLOR if "Flink" in k else "#999999" for k in labels])
    for y, (ratio, key) in enumerate(zip(ratios, labels)):
        ax.text(ratio, y, f" {ratio:.0%} ({rates[key]:,.0f}/s)", va="center", fontsize="small")
    ax.axvline(1.0, color="#e6550d", linestyle=":", label="límite físico (lectura cruda)")
    ax.set_xlim(0, max(1.15, max(ratios) * 1.35))
    ax.invert_yaxis()
    ax.set_xlabel("fracción del límite físico")
    ax.legend(loc="lower right", fontsize="small")
    ax.figure.tight_layout()
    return ax


def cost_vs_freshness(intervals_s: Sequence[float], batch_cost: Sequence[float],
                      batch_freshness: Sequence[float], stream_cost: float,
                      stream_freshness: float, *, break_even_s: float | None,
                      ax: Axes | None = None) -> Axes:
    """Costo (CPU-s por hora) contra frescura máxima (s, escala log) de lotes y de streaming.

    Lotes: una curva, un punto por intervalo del cron (``intervals_s``, anotado) en su frescura
    ``batch_freshness``. Streaming: un punto y una línea horizontal (su costo no depende de ningún
    intervalo). ``break_even_s``: la frescura en la que los dos cuestan lo mismo (línea vertical).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    ax.plot(batch_freshness, batch_cost, "o-", color=BATCH_COLORS[0], label="lotes (cron)")
    for x, y, every in zip(batch_freshness, batch_cost, intervals_s):
        ax.annotate(f"cada {every:g} s", (x, y), textcoords="offset points", xytext=(4, 4),
                    fontsize="x-small")
    ax.axhline(stream_cost, color=STREAM_COLOR, linestyle="--", linewidth=1)
    ax.plot([stream_freshness], [stream_cost], "s", color=STREAM_COLOR, markersize=8,
            label="streaming (job siempre encendido)")
    if break_even_s is not None:
        ax.axvline(break_even_s, color="#31a354", linestyle=":",
                   label=f"equilibrio: frescura de {break_even_s:,.0f} s")
    ax.set_xscale("log")
    ax.set_xlabel("frescura máxima: la cota de cada camino (s, escala log)")
    ax.set_ylabel("CPU-s por hora")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax
