"""Gráficas del clúster (cuaderno 09): qué mano hizo cuánto, y la línea de tiempo de una caída.

- ``hands_chart``: por cada paralelismo, los registros que leyó cada subtarea de la fuente,
  coloreados por el TaskManager donde corrió.
- ``state_timeline``: el estado del *job* en el tiempo (una franja de color por estado), con la
  muerte del TaskManager y la salida confirmada encima.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

TM_COLORS = ("#2b8cbe", "#e6550d", "#31a354", "#756bb1")
STATE_COLORS = {"RUNNING": "#31a354", "RESTARTING": "#e6550d", "CREATED": "#bdbdbd",
                "INITIALIZING": "#bdbdbd", "FAILING": "#d62728", "CANCELLING": "#969696",
                "CANCELED": "#969696", "FINISHED": "#2b8cbe"}


def hands_chart(runs: dict[int, pd.DataFrame], vertex: int = 0) -> list[Axes]:
    """Un panel por paralelismo (``runs``: paralelismo → ``cluster_lab.subtasks``)."""
    managers = sorted({tm for frame in runs.values() for tm in frame["taskmanager"]})
    color = {tm: TM_COLORS[i % len(TM_COLORS)] for i, tm in enumerate(managers)}
    fig, axes = plt.subplots(1, len(runs), figsize=(3.4 * len(runs), 3.2), sharey=True)
    top = max(int(f[f["vertice"] == vertex]["leidos"].max()) for f in runs.values()) or 1
    axes = list(axes) if len(runs) > 1 else [axes]
    for ax, (parallelism, frame) in zip(axes, sorted(runs.items())):
        rows = frame[frame["vertice"] == vertex].sort_values("subtarea")
        ax.bar([f"#{s}" for s in rows["subtarea"]], rows["leidos"],
               color=[color[tm] for tm in rows["taskmanager"]])
        for x, value in enumerate(rows["leidos"]):
            ax.annotate(f"{value:,}".replace(",", " "), (x, value), ha="center", va="bottom",
                        fontsize="small")
        ax.set_ylim(0, top * 1.15)  # la misma escala en todos los paneles, con espacio arriba
        ax.set_title(f"paralelismo {parallelism}")
        ax.set_xlabel("subtarea de la fuente")
    axes[0].set_ylabel("registros leídos")
    handles = [plt.Rectangle((0, 0), 1, 1, color=color[tm]) for tm in managers]
    fig.legend(handles, [f"TaskManager {tm}" for tm in managers], loc="lower center",
               ncol=len(managers), fontsize="small", bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("¿Qué mano hizo cuánto, y en qué TaskManager?")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return axes


def state_timeline(states: pd.DataFrame, output: pd.DataFrame, start: float, killed_at: float,
                   transitions: dict[str, float] | None = None,
                   checkpoints: list[float] | None = None, ax: Axes | None = None) -> Axes:
    """El estado del *job* (franjas) y la salida confirmada (curva) desde ``start``.

    - ``states``: columnas ``t`` y ``estado`` (``StateSampler.samples``).
    - ``output``: columnas ``t`` y ``offset`` (offset final de la salida; cuenta también los
      marcadores de las transacciones y los registros abortados) y, si hay varias curvas,
      ``serie`` (``Recorder.samples``: p. ej. ``read_committed`` y ``read_uncommitted``).
    - ``killed_at``: cuándo se mató el TaskManager (segundos de época).
    - ``transitions``: instantes exactos (segundos de época) que anotó el JobManager, p. ej.
      ``{"RESTARTING": ..., "RUNNING": ...}``; cada uno es una línea vertical de su color.
    - ``checkpoints``: cuándo terminó cada *checkpoint* completado (segundos de época): líneas
      verticales azules punteadas.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.6))
    times = list(states["t"] - start) + [float(states["t"].iloc[-1] - start)]
    labeled = set()
    for i, state in enumerate(states["estado"]):
        ax.axvspan(times[i], times[i + 1], ymin=0, ymax=0.08, color=STATE_COLORS.get(state, "k"),
                   label=state if state not in labeled else None, linewidth=0)
        labeled.add(state)
    series = output.groupby("serie") if "serie" in output else [("read_committed", output)]
    for (name, curve), style in zip(series, ("-", "--", ":")):
        ax.step(curve["t"] - start, curve["offset"], where="post", color="#333333",
                linestyle=style, linewidth=2 if style == "-" else 1.3,
                label=f"offset final: {str(name).split(' · ')[-1]}")
    for i, when in enumerate(checkpoints or []):
        ax.axvline(when - start, color="#2b8cbe", linestyle=(0, (2, 2)), linewidth=1,
                   label="checkpoint completado" if i == 0 else None)
    ax.axvline(killed_at - start, color="#d62728", linestyle=":", linewidth=1.5,
               label="SIGKILL a un TaskManager")
    for state, when in (transitions or {}).items():
        ax.axvline(when - start, color=STATE_COLORS.get(state, "k"), linewidth=1.2,
                   label=f"→ {state} (según el JobManager)")
    ax.set_xlabel("segundos desde el envío del job")
    ax.set_ylabel("offset final de la salida")
    ax.set_ylim(bottom=0)
    ax.set_title("Un TaskManager muere: estado del job y salida")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.figure.tight_layout()
    return ax
