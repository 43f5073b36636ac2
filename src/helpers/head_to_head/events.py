"""Los eventos del cuaderno 08: facturas con semilla, la regla de rechazo y su forma en Kafka.

Cada evento es ``{"id", "cliente", "monto", "ts"}``: ``id`` crece de 1 en 1 (la clave de la
paginación por clave de los lotes), ``cliente`` es ``"C001"``…, ``monto`` son centavos y ``ts``
es el tiempo del evento en milisegundos UTC. En Kafka viaja así, como JSON compacto (~60 bytes),
también los registros malos: la misma regla (``reject_reason``) los separa en las dos canalizaciones.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

from helpers.sources.timing import START_MS

CLIENTS = 40
"""Cuántos clientes distintos hay (``C001`` … ``C040``)."""
BAD_RATE = 0.02
"""Fracción fija de registros malos: 2 % exacto (redondeado), mitad de cada motivo."""
REASONS = ("cliente_vacio", "monto_no_positivo")
"""Los motivos de rechazo, en el orden en que se revisan."""
DEFAULT_SEED = 8
DEFAULT_RATE_PER_S = 1000.0

Event = dict[str, Any]


def make_events(count: int, *, seed: int = DEFAULT_SEED, start_ms: int = START_MS,
                rate_per_s: float = DEFAULT_RATE_PER_S) -> list[Event]:
    """``count`` facturas con semilla, en orden de tiempo del evento, a ritmo constante.

    El evento ``i`` (desde 0) tiene ``id = i + 1`` y
    ``ts = start_ms + round(i * 1000 / rate_per_s)``.
    Exactamente ``round(count * BAD_RATE)`` son malos, en posiciones al azar (con la semilla): la
    mitad con ``cliente`` vacío (``""``) y la otra mitad con ``monto`` 0 o negativo. La misma
    semilla da siempre los mismos eventos.
    """
    if count < 0:
        raise ValueError("count no puede ser negativo")
    if rate_per_s <= 0:
        raise ValueError("rate_per_s debe ser positivo")
    rng = random.Random(seed)
    bad = rng.sample(range(count), round(count * BAD_RATE))
    kind = {index: REASONS[n % len(REASONS)] for n, index in enumerate(bad)}
    step = 1000.0 / rate_per_s
    events = []
    for i in range(count):
        cliente = f"C{rng.randint(1, CLIENTS):03d}"
        monto = rng.randint(100, 500_000)
        if kind.get(i) == "cliente_vacio":
            cliente = ""
        elif kind.get(i) == "monto_no_positivo":
            monto = -rng.randint(0, 50_000)
        events.append({"id": i + 1, "cliente": cliente, "monto": monto,
                       "ts": start_ms + round(i * step)})
    return events


def encode(event: Mapping[str, Any]) -> bytes:
    """El evento como JSON compacto en UTF-8 (sin espacios): así va a Kafka, bueno o malo."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def reject_reason(cliente: str | None, monto: int | None) -> str | None:
    """El motivo para rechazar una factura (``REASONS``) o ``None`` si es válida.

    Es la regla de negocio de las dos canalizaciones: la usan los lotes, la UDF de Python de
    Flink, y la versión en SQL (``helpers.head_to_head.flink_sql``) la repite con ``CASE``.
    """
    if not cliente:
        return "cliente_vacio"
    if monto is None or monto <= 0:
        return "monto_no_positivo"
    return None


def window_start(ts_ms: int, window_ms: int) -> int:
    """El inicio de la ventana fija (*tumbling*) de ``window_ms`` que contiene ``ts_ms``.

    Las ventanas empiezan en múltiplos de ``window_ms`` desde 1970 (UTC), como ``TUMBLE`` de Flink.
    """
    return ts_ms - ts_ms % window_ms
