"""Las reglas de las ventanas de Flink, en Python puro, para comprobar lo que calcula Flink.

Nada de esto usa Flink ni Kafka. Los cuadernos 04 (DataStream) y 05 (SQL) comparan sus
resultados con estas funciones, porque Flink aplica **las mismas reglas** en las dos API:

- los eventos se recorren **en orden de llegada**, con una marca de agua (*watermark*) por
  evento: el mayor tiempo del evento visto **antes** − ``delay_ms`` (como
  ``WATERMARK FOR ts AS ts - INTERVAL 'd' SECOND``); antes del primer evento no hay marca;
- una ventana ``[inicio, fin)`` cierra cuando la marca de agua llega a ``fin − 1`` (más la
  tolerancia ``allowed_ms`` si la hay, *allowed lateness*);
- un evento cuenta en cada una de sus ventanas que **seguía abierta** cuando llegó. En una
  ventana fija solo tiene una (si ya cerró, el evento es tardío); en las deslizantes y
  acumulativas puede perder una y contar en otra.

Asignadores (a qué ventanas pertenece un instante): ``tumble``, ``hop``, ``cumulate``.
Resultados esperados: ``event_time_windows`` (contenido, tardíos y actualizaciones),
``expected_windows`` (conteo y suma por ventana), ``expected_sessions`` y ``count_windows``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

Window = tuple[int, int]
Assigner = Callable[[int], list[Window]]
Event = Mapping[str, Any]


def tumble(size_ms: int) -> Assigner:
    """Ventanas fijas (*tumbling*, ``TUMBLE``): cada instante cae en exactamente una."""
    def assign(t: int) -> list[Window]:
        start = t - t % size_ms
        return [(start, start + size_ms)]
    return assign


def hop(size_ms: int, slide_ms: int) -> Assigner:
    """Ventanas deslizantes (*sliding*, ``HOP``) de ``size_ms`` que avanzan cada ``slide_ms``."""
    def assign(t: int) -> list[Window]:
        last = t - t % slide_ms
        starts = range(last - size_ms + slide_ms, last + 1, slide_ms)
        return [(s, s + size_ms) for s in starts if s <= t < s + size_ms]
    return assign


def cumulate(step_ms: int, max_ms: int) -> Assigner:
    """Ventanas acumulativas (``CUMULATE``): empiezan juntas y crecen por pasos de ``step_ms``."""
    def assign(t: int) -> list[Window]:
        start = t - t % max_ms
        ends = range(start + step_ms, start + max_ms + 1, step_ms)
        return [(start, end) for end in ends if t < end]
    return assign


def watermarks(
    events: Sequence[Event], delay_ms: int | None, time: str = "event_time"
) -> list[int | None]:
    """La marca de agua vigente cuando llega cada evento (``events`` en orden de llegada).

    Marca de agua = el mayor tiempo del evento visto **antes** − ``delay_ms``. Antes del primer
    evento no hay marca: ``None`` (en SQL, ``CURRENT_WATERMARK(ts)`` da ``NULL``). Con
    ``delay_ms=None`` no hay marca nunca: nada llega tarde.
    """
    result: list[int | None] = []
    highest: int | None = None
    for event in events:
        result.append(None if highest is None or delay_ms is None else highest - delay_ms)
        highest = event[time] if highest is None else max(highest, event[time])
    return result


def is_open(window_end: int, watermark: int | None, allowed_ms: int = 0) -> bool:
    """¿La ventana acepta eventos? Cierra cuando la marca llega a ``fin − 1 + allowed_ms``."""
    return watermark is None or window_end - 1 + allowed_ms > watermark


@dataclass
class WindowOutcome:
    """Lo que pasa con unos eventos y unas ventanas: contenido de cada ventana y tardíos."""

    windows: dict[Window, list[Event]] = field(default_factory=dict)
    late: list[Event] = field(default_factory=list)
    updates: dict[Window, int] = field(default_factory=dict)
    """Cuántas veces se volvió a emitir cada ventana por eventos tardíos aceptados."""

    def frame(self, value: str = "size_bytes") -> pd.DataFrame:
        """Una fila por ventana: ``start_ms``, ``end_ms``, ``n`` y la suma de ``value``."""
        rows = [
            {"start_ms": start, "end_ms": end, "n": len(items),
             "bytes": sum(int(e[value]) for e in items)}
            for (start, end), items in sorted(self.windows.items())
        ]
        return pd.DataFrame(rows, columns=["start_ms", "end_ms", "n", "bytes"])


def _placements(
    events: Sequence[Event], assign: Assigner, delay_ms: int, allowed_ms: int, time: str
) -> Iterator[tuple[Event, list[Window], int | None]]:
    """Por cada evento (en orden de llegada): las ventanas suyas que lo aceptan y la marca."""
    for event, watermark in zip(events, watermarks(events, delay_ms, time), strict=True):
        windows = [w for w in assign(int(event[time])) if is_open(w[1], watermark, allowed_ms)]
        yield event, windows, watermark


def event_time_windows(
    events_by_arrival: Sequence[Event],
    assign: Assigner,
    *,
    delay_ms: int,
    allowed_ms: int = 0,
    time: str = "event_time",
) -> WindowOutcome:
    """Aplica las reglas de Flink a ``events_by_arrival`` (en el orden en que llegaron).

    Un evento entra en cada ventana suya que no haya cerrado; si entra en una ventana que ya
    se había emitido (solo con ``allowed_ms``), esa ventana cuenta una actualización. Si no
    entra en ninguna, es tardío.
    """
    outcome = WindowOutcome()
    for event, windows, watermark in _placements(
            events_by_arrival, assign, delay_ms, allowed_ms, time):
        if not windows:
            outcome.late.append(event)
        for window in windows:
            outcome.windows.setdefault(window, []).append(event)
            if not is_open(window[1], watermark):
                outcome.updates[window] = outcome.updates.get(window, 0) + 1
    return outcome


def window_rows(
    events: Sequence[Event], assign: Assigner, *, delay_ms: int, time: str = "event_time"
) -> Iterator[tuple[Window, Event]]:
    """Cada par (ventana, evento) que Flink toma en cuenta, en orden de llegada."""
    for event, windows, _ in _placements(events, assign, delay_ms, 0, time):
        for window in windows:
            yield window, event


def expected_windows(
    events: Sequence[Event],
    assign: Assigner,
    *,
    delay_ms: int,
    value: str = "size_bytes",
    time: str = "event_time",
) -> pd.DataFrame:
    """Lo que debe dar ``COUNT(*)`` y ``SUM(value)`` por ventana en Flink SQL.

    Columnas: ``start_ms``, ``end_ms``, ``archivos``, ``bytes``, en orden de ventana.
    """
    outcome = event_time_windows(events, assign, delay_ms=delay_ms, time=time)
    return outcome.frame(value).rename(columns={"n": "archivos"})


def expected_sessions(
    events: Sequence[Event],
    key: Callable[[Event], Hashable] = lambda event: "todos",
    *,
    gap_ms: int,
    delay_ms: int | None = None,
    time: str = "event_time",
) -> pd.DataFrame:
    """Las sesiones (*session windows*, ``SESSION``) por clave que debe dar Flink.

    Cada evento abre la ventana ``[t, t + gap_ms)`` y se fusiona con las sesiones abiertas de su
    clave que la tocan (en Flink, dos ventanas que solo se tocan también se fusionan). Una sesión
    cierra cuando la marca de agua llega a su ``fin − 1``; un evento cuya sesión quedaría ya
    cerrada se descarta (tardío). Con ``delay_ms=None`` no se descarta nada.
    Columnas: ``key``, ``start_ms``, ``end_ms``, ``archivos``.
    """
    open_sessions: dict[Hashable, list[list[int]]] = {}
    closed: list[tuple[Hashable, int, int, int]] = []
    for event, watermark in zip(events, watermarks(events, delay_ms, time), strict=True):
        for name, sessions in open_sessions.items():
            closed += [(name, s, e, n) for s, e, n in sessions if not is_open(e, watermark)]
            sessions[:] = [w for w in sessions if is_open(w[1], watermark)]
        t = int(event[time])
        start, end, count = t, t + gap_ms, 1
        sessions = open_sessions.setdefault(key(event), [])
        for other in [w for w in sessions if w[0] <= end and start <= w[1]]:
            sessions.remove(other)
            start, end, count = min(start, other[0]), max(end, other[1]), count + other[2]
        if is_open(end, watermark):
            sessions.append([start, end, count])
    closed += [(name, s, e, n) for name, ss in open_sessions.items() for s, e, n in ss]
    return pd.DataFrame(sorted(closed), columns=["key", "start_ms", "end_ms", "archivos"])


def count_windows(events_by_arrival: Sequence[Event], size: int) -> pd.DataFrame:
    """Ventanas de conteo: cada ``size`` eventos que llegan, una ventana (la incompleta no sale).

    Para dibujarlas, cada una va del menor al mayor tiempo del evento que contiene.
    """
    rows = []
    for first in range(0, len(events_by_arrival) - size + 1, size):
        chunk = [int(e["event_time"]) for e in events_by_arrival[first:first + size]]
        rows.append({"start_ms": min(chunk), "end_ms": max(chunk) + 1, "n": size})
    return pd.DataFrame(rows, columns=["start_ms", "end_ms", "n"])
