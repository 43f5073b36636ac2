"""Lo que debe emitir el *job* de estado del cuaderno 07, calculado en Python puro.

El *job*: por cliente (clave), un saldo (``ValueState``), cuántas facturas de cada emisor
(``MapState``) y un *timer* de tiempo del evento a «última factura + ``gap_ms``». Si el *timer*
se dispara (la marca de agua llegó a ese instante sin una factura nueva del cliente), emite el
cierre de la cuenta y borra el estado de esa clave.

Las reglas de Flink que se imitan aquí, con una marca de agua por evento (``on-event``) igual a
su *timestamp*: cada evento se procesa **antes** de la marca de agua que trae; un *timer* se
dispara cuando la marca de agua es mayor o igual que su instante; al final de una lectura
acotada la marca de agua final dispara todos los *timers* pendientes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any


def inactivity_closures(events: Iterable[Mapping[str, Any]], gap_ms: int, *,
                        key: str = "rfc_receptor", issuer: str = "rfc_emisor",
                        amount: str = "total", time: str = "event_time") -> list[dict[str, Any]]:
    """Los cierres por inactividad, en el orden en que Flink los emitiría.

    Cada cierre: ``cliente``, ``cierre_ms`` (el instante del *timer*), ``saldo`` (redondeado a
    centavos), ``facturas`` y ``emisores`` (distintos). ``events`` va en orden de llegada.
    """
    balance: dict[str, float] = {}
    issuers: dict[str, Counter[str]] = {}
    timers: dict[str, int] = {}
    out: list[dict[str, Any]] = []

    def fire_until(watermark: float) -> None:
        for when, client in sorted((t, c) for c, t in timers.items() if t <= watermark):
            out.append({"cliente": client, "cierre_ms": when,
                        "saldo": round(balance.pop(client), 2),
                        "facturas": sum(issuers[client].values()),
                        "emisores": len(issuers.pop(client))})
            del timers[client]

    for event in events:
        client = event[key]
        balance[client] = balance.get(client, 0.0) + event[amount]
        issuers.setdefault(client, Counter())[event[issuer]] += 1
        timers[client] = event[time] + gap_ms  # borra el timer anterior y registra el nuevo
        fire_until(event[time])
    fire_until(float("inf"))
    return out
