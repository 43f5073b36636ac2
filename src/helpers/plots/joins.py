"""Gráficas del cuaderno 06: muchas fuentes, el CDC y los joins en el tiempo.

- ``sources_over_time``: cuántos eventos trae cada fuente por intervalo de tiempo del evento, y
  cuánto tarda cada evento en llegar (llegada − evento), una fila por fuente.
- ``outcome_bars``: barras apiladas por fuente (válidos y rechazados, por ejemplo).
- ``snapshot_steps``: filas de la tabla según el CDC a cada instante, con los respaldos encima.
- ``versions_timeline``: las versiones de un cliente como tramos y sus facturas como puntos.
- ``scan_delays``: cuánto tardó el escaneo de cada factura, con la cota del interval join.
- ``state_curves``: cuántas filas guarda un join en su estado a lo largo del tiempo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots.windows import PALETTE

OUTCOME_COLORS = {"emparejada": PALETTE[2], "escaneo tarde": PALETTE[1],
                  "escaneo ruidoso": PALETTE[3], "sin escaneo": PALETTE[4]}


def _when(ms: Sequence[int] | pd.Series) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Series(list(ms), dtype="int64"), unit="ms", utc=True)


def sources_over_time(events: Mapping[str, Sequence[Mapping[str, Any]]], *,
                      bin_minutes: int = 15) -> Figure:
    """Una fila por fuente: eventos por intervalo (izquierda) y retraso de llegada (derecha)."""
    fig, axes = plt.subplots(len(events), 2, figsize=(10, 1.6 * len(events)), sharex=True,
                             squeeze=False)
    for row, (source, rows) in enumerate(events.items()):
        when = _when([e["event_time"] for e in rows])
        delay = [(e["arrival_time"] - e["event_time"]) / 1000 for e in rows]
        counts = when.dt.floor(f"{bin_minutes}min").value_counts().sort_index()
        color = PALETTE[row % len(PALETTE)]
        axes[row][0].bar(counts.index, counts.values, width=bin_minutes / 1440 * 0.9,
                         align="edge", color=color)
        axes[row][0].set_ylabel(source, rotation=0, ha="right", va="center")
        axes[row][1].scatter(when, delay, s=8, color=color)
        axes[row][1].set_yscale("log")
    axes[0][0].set_title(f"Eventos por {bin_minutes} min de tiempo del evento")
    axes[0][1].set_title("Llegada − evento (s, escala log)")
    for ax in axes[-1]:
        ax.set_xlabel("Tiempo del evento (UTC)")
        ax.tick_params(axis="x", labelrotation=30)
    # Márgenes fijos: tight_layout tarda segundos con diez ejes y escalas logarítmicas.
    fig.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.12, hspace=0.25, wspace=0.2)
    return fig


def outcome_bars(table: pd.DataFrame, *, title: str, ylabel: str = "registros") -> Axes:
    """Barras apiladas: una por fila de ``table`` (índice), una capa por columna."""
    ax = table.plot.bar(stacked=True, figsize=(7, 3.2), color=PALETTE[2::-2], rot=0)
    for container in ax.containers:
        ax.bar_label(container, label_type="center", fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.figure.tight_layout()
    return ax


def snapshot_steps(moments: Sequence[int], sizes: Sequence[int], dumps: Sequence[tuple[int, int]],
                   *, title: str) -> Axes:
    """Filas de la tabla según el CDC (escalones) y las de cada respaldo CSV (puntos)."""
    _, ax = plt.subplots(figsize=(8, 3))
    ax.step(_when(moments), sizes, where="post", color=PALETTE[0], label="estado según el CDC")
    ax.scatter(_when([d[0] for d in dumps]), [d[1] for d in dumps], s=80, zorder=3,
               color=PALETTE[1], label="filas del respaldo CSV")
    ax.set_title(title)
    ax.set_xlabel("Tiempo del evento (UTC)")
    ax.set_ylabel("clientes")
    ax.legend(loc="lower right")
    ax.figure.tight_layout()
    return ax


def versions_timeline(versions: Sequence[tuple[int, int, str]], invoices: Sequence[tuple[int, str]],
                      *, snapshot_label: str, title: str) -> Axes:
    """Tramos (inicio, fin, etiqueta) de las versiones de un cliente y sus facturas encima.

    ``invoices`` son pares (tiempo, factura_id); ``snapshot_label`` es lo que dice la última foto.
    """
    _, ax = plt.subplots(figsize=(9, 2.8))
    for i, (start, end, label) in enumerate(versions):
        left = _when([start])[0]
        ax.barh(0, _when([end])[0] - left, left=left, height=0.5,
                color=PALETTE[i % len(PALETTE)], alpha=0.5, edgecolor="black")
        ax.text(left, 0.32, label, fontsize=8, va="bottom")
    when = _when([t for t, _ in invoices])
    ax.scatter(when, [0] * len(when), marker="v", s=70, color="black", zorder=3,
               label="facturas")
    for t, name in zip(when, (n for _, n in invoices)):
        ax.annotate(name, (t, 0), xytext=(0, -16), textcoords="offset points", fontsize=7,
                    ha="center")
    ax.set_yticks([])
    ax.set_ylim(-0.6, 0.8)
    ax.set_title(title + f"\n(la última foto dice: {snapshot_label})", fontsize=10)
    ax.set_xlabel("Tiempo del evento (UTC)")
    ax.legend(loc="upper right", fontsize=8)
    ax.figure.tight_layout()
    return ax


def scan_delays(invoice_ms: Sequence[int], delay_min: Sequence[float | None],
                outcomes: Sequence[str], bound_min: float, *, title: str) -> Axes:
    """Retraso del escaneo de cada factura (min) con su resultado y la línea de la cota.

    Las facturas sin escaneo (``None``) van con una «×» en una franja gris aparte, debajo de 0,
    para no confundirlas con un escaneo inmediato. La leyenda va fuera del área de datos.
    """
    _, ax = plt.subplots(figsize=(9, 3.2))
    when = _when(invoice_ms)
    no_scan_y = -0.15 * max([d for d in delay_min if d is not None] + [bound_min])
    ax.axhspan(1.6 * no_scan_y, 0.4 * no_scan_y, color="0.92", zorder=0)
    ax.text(when.min(), no_scan_y, "sin escaneo ", ha="right", va="center", fontsize=8)
    for outcome, color in OUTCOME_COLORS.items():
        picked = [i for i, o in enumerate(outcomes) if o == outcome]
        missing = bool(picked) and all(delay_min[i] is None for i in picked)
        ax.scatter([when[i] for i in picked],
                   [no_scan_y if delay_min[i] is None else delay_min[i] for i in picked],
                   s=22 if missing else 14, marker="x" if missing else "o",
                   color=color, label=f"{outcome} ({len(picked)})")
    ax.axhline(bound_min, color="black", linestyle="--", linewidth=1)
    ax.text(when.min(), bound_min, f" cota: {bound_min:g} min", va="bottom", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel("Tiempo de la factura (UTC)")
    ax.set_ylabel("escaneo − factura (min)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.figure.tight_layout()
    return ax


def state_curves(moments: Sequence[int], curves: Mapping[str, Sequence[int]], *,
                 title: str) -> Axes:
    """Una línea por join: cuántas filas guarda en su estado a cada instante."""
    _, ax = plt.subplots(figsize=(8, 3))
    when = _when(moments)
    for i, (label, values) in enumerate(curves.items()):
        ax.plot(when, values, label=label, color=PALETTE[i % len(PALETTE)])
    ax.set_title(title)
    ax.set_xlabel("Tiempo del evento (UTC)")
    ax.set_ylabel("facturas en el estado")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax
