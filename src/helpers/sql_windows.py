"""Ventanas de Flink SQL, vistas desde Python: convertir su salida y calcular lo esperado a mano.

El cuaderno 05 ejecuta las ventanas (*window TVF*) en Flink SQL; este módulo pone lo demás:

- ``with_ms``: pasa ``window_start`` / ``window_end`` (``Timestamp`` o el texto que escribe Flink
  en JSON) a enteros en milisegundos UTC (``start_ms`` / ``end_ms``), el formato de
  ``helpers.plots``.
- ``watermarks``: la marca de agua (*watermark*) vigente cuando llega cada evento, con la regla
  de ``WATERMARK FOR ts AS ts - INTERVAL 'd' SECOND`` y una marca por evento (``on-event``).
- ``tumble``, ``hop``, ``cumulate``: a qué ventanas pertenece un instante.
- ``window_rows``, ``expected_windows`` y ``expected_sessions``: lo que debe dar Flink, calculado
  con Python puro, sin las filas que la ventana descarta por tardías.
- ``require_topic``: un error claro si falta el tópico que deja otro cuaderno.

La regla de Flink para una ventana (la misma en SQL y en DataStream): una ventana
``[inicio, fin)`` se cierra cuando la marca de agua llega a ``fin - 1``. Un evento cuenta en cada
una de sus ventanas que **seguía abierta** cuando llegó. En ``TUMBLE`` solo tiene una (si ya
cerró, el evento se pierde); en ``HOP`` y ``CUMULATE`` puede perder una y contar en otra.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from helpers import topics
from helpers.errors import CourseError

Window = tuple[int, int]
Assigner = Callable[[int], list[Window]]
Event = Mapping[str, Any]


class MissingTopicError(CourseError):
    """Falta un tópico que crea otro cuaderno (hay que ejecutarlo antes)."""


def to_ms(values: Iterable[Any]) -> list[int]:
    """Instantes (``Timestamp``, ``datetime64`` o texto) → milisegundos UTC.

    Un instante sin zona horaria se toma como UTC: es lo que entrega Flink con la zona horaria
    de la sesión en UTC (``helpers.flink.table_env``).
    """
    stamps = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True, format="ISO8601")
    epoch = pd.Timestamp(0, tz="UTC")
    return [int((s - epoch) // pd.Timedelta(milliseconds=1)) for s in stamps]


def with_ms(
    frame: pd.DataFrame, start: str = "window_start", end: str = "window_end"
) -> pd.DataFrame:
    """Una copia de ``frame`` con ``start_ms`` y ``end_ms`` (enteros, ms UTC) al final."""
    out = frame.copy()
    out["start_ms"] = to_ms(frame[start])
    out["end_ms"] = to_ms(frame[end])
    return out


def watermarks(
    events: Sequence[Event], delay_ms: int, time: str = "event_time"
) -> list[int | None]:
    """La marca de agua vigente cuando llega cada evento (``events`` en orden de llegada).

    Marca de agua = el mayor tiempo del evento visto **antes** − ``delay_ms``. Antes del primer
    evento no hay marca: ``None`` (en SQL, ``CURRENT_WATERMARK(ts)`` da ``NULL``).
    """
    result: list[int | None] = []
    highest: int | None = None
    for event in events:
        result.append(None if highest is None else highest - delay_ms)
        highest = event[time] if highest is None else max(highest, event[time])
    return result


def tumble(size_ms: int) -> Assigner:
    """Ventanas fijas (``TUMBLE``): cada instante cae en exactamente una."""
    def assign(t: int) -> list[Window]:
        start = t - t % size_ms
        return [(start, start + size_ms)]
    return assign


def hop(size_ms: int, slide_ms: int) -> Assigner:
    """Ventanas deslizantes (``HOP``) de ``size_ms`` que avanzan cada ``slide_ms``."""
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


def _is_open(window_end: int, watermark: int | None) -> bool:
    """¿Sigue abierta la ventana? Flink la cierra cuando la marca de agua llega a ``fin - 1``."""
    return watermark is None or window_end - 1 > watermark


def window_rows(
    events: Sequence[Event], assign: Assigner, *, delay_ms: int, time: str = "event_time"
) -> Iterator[tuple[Window, Event]]:
    """Cada par (ventana, evento) que Flink toma en cuenta, con Python puro.

    ``events`` en orden de llegada; ``assign`` es ``tumble(...)``, ``hop(...)`` o ``cumulate(...)``.
    Un evento cuenta en cada una de sus ventanas que seguía abierta cuando llegó.
    """
    for event, watermark in zip(events, watermarks(events, delay_ms, time), strict=True):
        for window in assign(event[time]):
            if _is_open(window[1], watermark):
                yield window, event


def expected_windows(
    events: Sequence[Event],
    assign: Assigner,
    *,
    delay_ms: int,
    value: str = "size_bytes",
    time: str = "event_time",
) -> pd.DataFrame:
    """Lo que debe dar ``COUNT(*)`` y ``SUM(value)`` por ventana, calculado con Python puro.

    Mismas reglas que ``window_rows``. Columnas: ``start_ms``, ``end_ms``, ``archivos``,
    ``bytes``, en orden de ventana.
    """
    totals: dict[Window, list[int]] = {}
    for window, event in window_rows(events, assign, delay_ms=delay_ms, time=time):
        total = totals.setdefault(window, [0, 0])
        total[0] += 1
        total[1] += event[value]
    rows = [(s, e, n, b) for (s, e), (n, b) in sorted(totals.items())]
    return pd.DataFrame(rows, columns=["start_ms", "end_ms", "archivos", "bytes"])


def expected_sessions(
    events: Sequence[Event],
    key: Callable[[Event], Hashable],
    *,
    gap_ms: int,
    delay_ms: int,
    time: str = "event_time",
) -> pd.DataFrame:
    """Las sesiones (``SESSION``) por clave que debe dar Flink, con Python puro.

    Cada evento abre la ventana ``[t, t + gap_ms)`` y se fusiona con las sesiones abiertas de su
    clave que la tocan (en Flink, dos ventanas que solo se tocan también se fusionan). Una sesión
    se cierra cuando la marca de agua llega a su ``fin - 1``; un evento cuya sesión quedaría ya
    cerrada se descarta (tardío). Columnas: ``key``, ``start_ms``, ``end_ms``, ``archivos``.
    """
    open_sessions: dict[Hashable, list[list[int]]] = {}
    closed: list[tuple[Hashable, int, int, int]] = []
    for event, watermark in zip(events, watermarks(events, delay_ms, time), strict=True):
        for name, sessions in open_sessions.items():
            closed += [(name, s, e, n) for s, e, n in sessions if not _is_open(e, watermark)]
            sessions[:] = [w for w in sessions if _is_open(w[1], watermark)]
        t = event[time]
        start, end, count = t, t + gap_ms, 1
        sessions = open_sessions.setdefault(key(event), [])
        for other in [w for w in sessions if w[0] <= end and start <= w[1]]:
            sessions.remove(other)
            start, end, count = min(start, other[0]), max(end, other[1]), count + other[2]
        if _is_open(end, watermark):
            sessions.append([start, end, count])
    closed += [(name, s, e, n) for name, ss in open_sessions.items() for s, e, n in ss]
    return pd.DataFrame(sorted(closed), columns=["key", "start_ms", "end_ms", "archivos"])


def require_topic(topic: str, *, made_by: str, bootstrap: str | None = None) -> None:
    """Falla con un mensaje claro si ``topic`` no existe (lo crea el cuaderno ``made_by``)."""
    if topic not in topics.list_topics(bootstrap):
        raise MissingTopicError(
            f"No existe el tópico {topic!r}: lo escribe el cuaderno {made_by}.\n"
            f"Ejecuta primero el cuaderno {made_by} completo (y antes, el 00) "
            "y vuelve a esta celda."
        )
