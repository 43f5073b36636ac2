"""La línea de tiempo de un *job* que falla y se recupera (cuaderno 07).

Eje x: segundos desde que empezó a grabar el ``Recorder``. Dibuja las curvas de offsets (lo
escrito y lo confirmado), una línea vertical por *checkpoint* completo, una X roja por falla
inyectada y un triángulo verde por cada reinicio de la función.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

COLORS = ("#2b8cbe", "#31a354", "#e6550d", "#756bb1")


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
    for color, (serie, rows) in zip(COLORS, samples.groupby("serie", sort=False)):
        ax.step(rows["t"] - start, rows["offset"], where="post", color=color,
                label=labels.get(serie, serie))
    for i, t in enumerate(checkpoints["t"]):
        ax.axvline(t - start, color="#bbbbbb", linewidth=0.8, zorder=0,
                   label="checkpoint completo" if i == 0 else None)
    top = samples["offset"].max() if len(samples) else 1
    failures = log[log["tipo"] == "falla"] if "tipo" in log else log.iloc[0:0]
    starts = log[log["tipo"] == "inicio"] if "tipo" in log else log.iloc[0:0]
    ax.scatter(failures["t"] - start, [top * 1.04] * len(failures), marker="x", s=70,
               color="#d62728", zorder=3, label="falla inyectada")
    ax.scatter(starts["t"] - start, [top * 1.09] * len(starts), marker="^", s=50,
               color="#2ca02c", zorder=3, label="arranque / reinicio")
    ax.set_title(title)
    ax.set_xlabel("Segundos desde el envío del job")
    ax.set_ylabel("Offset final del tópico")
    ax.set_ylim(bottom=0, top=top * 1.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # fuera: no tapa nada
    ax.figure.tight_layout()
    return ax
