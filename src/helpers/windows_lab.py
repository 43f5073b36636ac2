"""Las reglas de las ventanas de Flink, en Python puro, para comprobar lo que calcula Flink.

Nada de esto usa Flink ni Kafka: recorre los eventos **en orden de llegada** y aplica las
mismas reglas que el operador de ventanas con una marca de agua (*watermark*) por evento:

- marca de agua antes de un evento = máximo tiempo del evento visto antes − ``delay_ms``
  (como ``WATERMARK FOR ts AS ts - INTERVAL 'd' SECOND``; ``None`` antes del primer evento);
- una ventana [inicio, fin) ya cerró si ``fin − 1 + allowed_ms <= marca de agua``;
- un evento entra en cada ventana suya que no haya cerrado; si todas cerraron, es tardío.

Los cuadernos 04 y 05 comparan sus resultados con estas funciones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

Event = Mapping[str, Any]


@dataclass
class WindowOutcome:
    """Lo que pasa con unos eventos y unas ventanas: contenido de cada ventana y tardíos."""

    windows: dict[tuple[int, int], list[Event]] = field(default_factory=dict)
    late: list[Event] = field(default_factory=list)
    updates: dict[tuple[int, int], int] = field(default_factory=dict)
    """Cuántas veces se volvió a emitir cada ventana por eventos tardíos aceptados."""

    def frame(self, value: str = "size_bytes") -> pd.DataFrame:
        """Una fila por ventana: ``start_ms``, ``end_ms``, ``n`` y la suma de ``value``."""
        rows = [
            {"start_ms": start, "end_ms": end, "n": len(items),
             "bytes": sum(int(e[value]) for e in items)}
            for (start, end), items in sorted(self.windows.items())
        ]
        return pd.DataFrame(rows, columns=["start_ms", "end_ms", "n", "bytes"])


def tumbling(size_ms: int) -> Callable[[int], list[tuple[int, int]]]:
    """Asignador de ventanas fijas (*tumbling*): cada instante cae en exactamente una."""
    return lambda ts: [(ts - ts % size_ms, ts - ts % size_ms + size_ms)]


def sliding(size_ms: int, slide_ms: int) -> Callable[[int], list[tuple[int, int]]]:
    """Asignador de ventanas deslizantes (*sliding*): cada instante cae en ``size/slide``."""

    def assign(ts: int) -> list[tuple[int, int]]:
        last_start = ts - ts % slide_ms
        starts = range(last_start, ts - size_ms, -slide_ms)
        return sorted((start, start + size_ms) for start in starts)

    return assign


def event_time_windows(
    events_by_arrival: Sequence[Event],
    assign: Callable[[int], list[tuple[int, int]]],
    *,
    delay_ms: int,
    allowed_ms: int = 0,
) -> WindowOutcome:
    """Aplica las reglas de Flink a ``events_by_arrival`` (en el orden en que llegaron)."""
    outcome = WindowOutcome()
    highest: int | None = None
    for event in events_by_arrival:
        ts = int(event["event_time"])
        watermark = None if highest is None else highest - delay_ms
        accepted = False
        for window in assign(ts):
            closed = watermark is not None and window[1] - 1 + allowed_ms <= watermark
            if closed:
                continue
            accepted = True
            outcome.windows.setdefault(window, []).append(event)
            if watermark is not None and window[1] - 1 <= watermark:
                outcome.updates[window] = outcome.updates.get(window, 0) + 1
        if not accepted:
            outcome.late.append(event)
        highest = ts if highest is None else max(highest, ts)
    return outcome


def session_windows(
    events: Sequence[Event], *, gap_ms: int, key: Callable[[Event], str] = lambda e: "todos"
) -> pd.DataFrame:
    """Sesiones por clave: se unen eventos separados por menos de ``gap_ms`` (sin tardíos).

    Como en Flink, cada evento abre la ventana [ts, ts + gap) y las que se tocan se fusionan.
    Devuelve ``key``, ``start_ms``, ``end_ms`` y ``n`` por sesión.
    """
    by_key: dict[str, list[int]] = defaultdict(list)
    for event in events:
        by_key[key(event)].append(int(event["event_time"]))
    rows = []
    for name, times in sorted(by_key.items()):
        times.sort()
        start, end, count = times[0], times[0] + gap_ms, 0
        for ts in times:
            if ts > end:  # Flink fusiona también ventanas que solo se tocan
                rows.append({"key": name, "start_ms": start, "end_ms": end, "n": count})
                start, count = ts, 0
            end = max(end, ts + gap_ms)
            count += 1
        rows.append({"key": name, "start_ms": start, "end_ms": end, "n": count})
    return pd.DataFrame(rows, columns=["key", "start_ms", "end_ms", "n"])


def count_windows(events_by_arrival: Sequence[Event], size: int) -> pd.DataFrame:
    """Ventanas de conteo: cada ``size`` eventos que llegan, una ventana (la incompleta no sale).

    Para dibujarlas, cada una va del menor al mayor tiempo del evento que contiene.
    """
    rows = []
    for first in range(0, len(events_by_arrival) - size + 1, size):
        chunk = [int(e["event_time"]) for e in events_by_arrival[first:first + size]]
        rows.append({"start_ms": min(chunk), "end_ms": max(chunk) + 1, "n": size})
    return pd.DataFrame(rows, columns=["start_ms", "end_ms", "n"])


def department(event: Event) -> str:
    """El departamento de un evento de archivo: ``/srv/compartido/<depto>/...`` → ``depto``."""
    return str(event["path"]).split("/")[3]
