"""Gráficas del curso (matplotlib), con etiquetas en español: un módulo por tema.

- ``windows``: salidas de ventanas (barras por ventana, ...).
"""

from helpers.plots.windows import window_bars, window_label

__all__ = ["window_bars", "window_label"]
