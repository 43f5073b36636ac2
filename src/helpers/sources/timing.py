"""Tiempo del evento y tiempo de llegada: el desorden y los retrasos, en un solo lugar.

Cada evento trae dos marcas en milisegundos UTC:

- ``event_time``: cuándo ocurrió (la factura se emitió, el archivo cambió...);
- ``arrival_time``: cuándo lo ve el sistema de streaming (cuándo llega a Kafka).

Cómo se calcula la llegada (``schedule``):

- **normal**: ``event_time`` + retraso base + *jitter*. Los eventos normales llegan en el mismo
  orden en que ocurrieron (como por un canal FIFO: el *jitter* nunca los adelanta entre sí).
- **desordenado** (fracción ``out_of_order_rate``): además, un retraso moderado
  (``out_of_order_delay_ms``, 3–8 s), así que llega después de eventos posteriores.
- **tardío** (fracción ``late_rate``): además, un retraso grande (``late_delay_ms``, 30–120 s),
  muy por encima del retraso que tolera una marca de agua típica.

Definiciones exactas (las usa ``classify_arrivals``, que solo mira los dos tiempos). Se recorre
la secuencia en orden de llegada y, para cada evento, ``atraso`` = el mayor ``event_time`` visto
*antes* de él − su ``event_time``:

- ``"a_tiempo"`` si ``atraso <= 0`` (nadie posterior llegó antes que él);
- ``"desordenado"`` si ``0 < atraso <= late_after_ms``;
- ``"tardio"`` si ``atraso > late_after_ms``.

Es exactamente la regla de Flink con ``WatermarkStrategy.for_bounded_out_of_orderness(d)``
(marca de agua = máximo visto − d − 1 ms; un evento es tardío si su tiempo es ≤ la marca de
agua) con ``d = late_after_ms``, un solo flujo (p. ej. un tópico de una partición) y una marca
de agua por evento. En Flink SQL, ``WATERMARK FOR ts AS ts - INTERVAL '10' SECOND`` no resta
ese 1 ms: solo cambia un atraso de exactamente ``d``, que con ``Timing()`` no ocurre (ahí los
atrasos caen por debajo de 8.5 s o por encima de 28 s). Un tardío va entonces ≥ 18 s detrás
de la marca, así que su ventana de 10 s ya cerró y la ventana lo descarta.

Con ``Timing()`` por defecto, los normales son siempre ``"a_tiempo"``, los desordenados nunca
son ``"tardio"`` y los tardíos casi siempre lo son (solo los de los últimos ~2 min de la
secuencia pueden no tener a nadie posterior que los adelante).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from helpers.sources.seeding import count_for, scatter_labels
from helpers.sources.ventas import START

START_MS = int(START.timestamp() * 1000)
"""2026-01-05 09:00:00 UTC en milisegundos: el primer ``event_time`` por defecto."""

LATE_AFTER_MS = 10_000
"""El retraso que tolera la marca de agua de referencia (10 s): más atrás que eso es tardío."""

ON_TIME, OUT_OF_ORDER, LATE = "a_tiempo", "desordenado", "tardio"

E = TypeVar("E", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Timing:
    """Cada cuánto ocurren los eventos y cómo se retrasan al llegar (todo en milisegundos)."""

    gap_ms: tuple[int, int] = (200, 1800)
    base_delay_ms: int = 100
    jitter_ms: int = 400
    out_of_order_rate: float = 0.10
    out_of_order_delay_ms: tuple[int, int] = (3_000, 8_000)
    late_rate: float = 0.05
    late_delay_ms: tuple[int, int] = (30_000, 120_000)

    def __post_init__(self) -> None:
        for name in ("gap_ms", "out_of_order_delay_ms", "late_delay_ms"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} debe ser (mínimo, máximo) con 0 <= mínimo <= máximo")
        if min(self.base_delay_ms, self.jitter_ms) < 0:
            raise ValueError("base_delay_ms y jitter_ms no pueden ser negativos")
        if self.out_of_order_rate + self.late_rate > 1:
            raise ValueError("out_of_order_rate + late_rate no puede pasar de 1")


class Stamp(NamedTuple):
    """Los dos tiempos de un evento, en milisegundos UTC."""

    event_time: int
    arrival_time: int


def schedule(
    count: int, rng: random.Random, *, start_ms: int = START_MS, timing: Timing = Timing()
) -> list[Stamp]:
    """``count`` pares (tiempo del evento, tiempo de llegada), en orden de tiempo del evento.

    El primer evento ocurre en ``start_ms``; entre uno y el siguiente pasan ``timing.gap_ms``.
    Exactamente ``round(rate * count)`` eventos son desordenados y otros tantos tardíos. Como
    esas fracciones se reparten sobre ``count``, otro ``count`` da otra secuencia entera
    (``invoices(50)`` no es el principio de ``invoices(100)``): la semilla y ``count`` van juntos.
    """
    event_times = []
    clock = start_ms
    for _ in range(count):
        event_times.append(clock)
        clock += rng.randint(*timing.gap_ms)
    arrivals = arrival_times(event_times, rng, timing)
    return [Stamp(e, a) for e, a in zip(event_times, arrivals, strict=True)]


def with_times(payload: Mapping[str, Any], stamp: Stamp) -> dict[str, Any]:
    """``payload`` más sus campos ``event_time`` y ``arrival_time``."""
    return {**payload, "event_time": stamp.event_time, "arrival_time": stamp.arrival_time}


def arrival_times(event_times: Sequence[int], rng: random.Random, timing: Timing) -> list[int]:
    """Los tiempos de llegada de ``event_times`` (que deben venir en orden creciente)."""
    kinds = scatter_labels(rng, len(event_times), [
        (OUT_OF_ORDER, count_for(timing.out_of_order_rate, len(event_times))),
        (LATE, count_for(timing.late_rate, len(event_times))),
    ])
    arrivals = []
    last_normal = 0
    for event_time, kind in zip(event_times, kinds, strict=True):
        arrival = event_time + timing.base_delay_ms + rng.randint(0, timing.jitter_ms)
        if kind == OUT_OF_ORDER:
            arrival += rng.randint(*timing.out_of_order_delay_ms)
        elif kind == LATE:
            arrival += rng.randint(*timing.late_delay_ms)
        else:
            arrival = last_normal = max(arrival, last_normal)
        arrivals.append(arrival)
    return arrivals


def arrival_order(events: Iterable[E]) -> list[E]:
    """Los eventos en el orden en que los ve un sistema de streaming (por ``arrival_time``).

    Empates: primero el de menor ``event_time``; si también empatan, el orden original.
    """
    return sorted(events, key=lambda e: (e["arrival_time"], e["event_time"]))


def classify_arrivals(
    events: Sequence[Mapping[str, Any]], late_after_ms: int = LATE_AFTER_MS
) -> list[str]:
    """``"a_tiempo"``, ``"desordenado"`` o ``"tardio"`` para cada evento (en el orden recibido).

    Ver las definiciones exactas al principio del módulo.
    """
    order = sorted(
        range(len(events)),
        key=lambda i: (events[i]["arrival_time"], events[i]["event_time"]),
    )
    kinds = [ON_TIME] * len(events)
    highest: int | None = None
    for i in order:
        event_time = events[i]["event_time"]
        behind = 0 if highest is None else highest - event_time
        if behind > late_after_ms:
            kinds[i] = LATE
        elif behind > 0:
            kinds[i] = OUT_OF_ORDER
        highest = event_time if highest is None else max(highest, event_time)
    return kinds
