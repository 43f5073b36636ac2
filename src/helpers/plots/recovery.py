"""La línea de tiempo de un *job* que falla y se recupera (cuaderno 07).

Eje x: segundos desde que empezó a grabar el ``Recorder``. Dibuja las curvas de offsets (el final
del log y el *last stable offset* que ve ``read_committed``), con trazos distintos para que no se
tapen, una línea vertical gris por *checkpoint* completo, una roja punteada por falla inyectada y
una verde por cada arranque de la función.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

COLORS = ("#2b8cbe", "#e6550d", "#31a354", "#756bb1")
STYLES = ("-", "--", ":", "-.")
WIDTHS = (3.0, 1.6, 1.6, 1.6)


def recovery_timeline(samples: pd.DataFrame, checkpoints: pd.DataFrame, log: pd.DataFrame,
                      start: float, *, labels: dict[str, str] | None = None,
                      title: str = "Fallas, reinicios y salida confirmada",
                      ax: Axes | None = None) -> Axes:
    """Dibuja la línea de tiempo.

    - ``samples``: columnas ``t``, ``serie``, ``offset`` (de ``Recorder.samples``);
      ``labels`` renombra cada serie en la leyenda.
    - ``checkpoints``: columnas ``t`` y ``chk`` (de ``Recorder.checkpoints``).
    - ``log``: la bitácora del *job*, con filas ``tipo`` = ``"falla"`` o ``"inicio"``.
    - ``start``: el cero del eje (segundos de época).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.2))
    labels = labels or {}
    series = samples.groupby("serie", sort=False)
    for color, style, width, (serie, rows) in zip(COLORS, STYLES, WIDTHS, series):
        ax.step(rows["t"] - start, rows["offset"], where="post", color=color, linestyle=style,
                linewidth=width, label=labels.get(serie, serie))
    for i, t in enumerate(checkpoints["t"]):
        ax.axvline(t - start, color="#bbbbbb", linewidth=0.8, zorder=0,
                   label="checkpoint completo" if i == 0 else None)
    top = samples["offset"].max() if len(samples) else 1
    failures = log[log["tipo"] == "falla"] if "tipo" in log else log.iloc[0:0]
    starts = log[log["tipo"] == "inicio"] if "tipo" in log else log.iloc[0:0]
    for i, t in enumerate(failures["t"]):
        ax.axvline(t - start, color="#d62728", linestyle=":", linewidth=1.4, zorder=1,
                   label="falla inyectada" if i == 0 else None)
    for i, t in enumerate(starts["t"]):
        ax.axvline(t - start, color="#2ca02c", linestyle="-", linewidth=1.2, alpha=0.7, zorder=1,
                   label="arranque de la función" if i == 0 else None)
    ax.set_title(title)
    ax.set_xlabel("Segundos desde el envío del job")
    ax.set_ylabel("Offset final visto por el lector")
    ax.set_ylim(bottom=0, top=top * 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # fuera: no tapa nada
    ax.figure.tight_layout()
    return ax
