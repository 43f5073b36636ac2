"""Gráficas del curso (matplotlib), con etiquetas en español: un módulo por tema.

- ``windows``: salidas de ventanas (barras, líneas de tiempo, sesiones, acumulados).
"""

from helpers.plots.windows import (
    arrival_scatter,
    cumulate_chart,
    session_timeline,
    window_bars,
    window_label,
    window_timelines,
)

__all__ = [
    "arrival_scatter", "cumulate_chart", "session_timeline", "window_bars", "window_label",
    "window_timelines",
]
