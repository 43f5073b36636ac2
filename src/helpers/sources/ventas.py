"""Ventas de tiendas: el primer conjunto de eventos del curso (cuaderno 00).

Cada venta trae su tiempo del evento (*event time*) en milisegundos UTC. Los eventos
salen en orden de tiempo: el desorden y los retrasos llegan en cuadernos posteriores.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

STORES = ("CDMX-Centro", "Guadalajara", "Monterrey")
START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)
"""Las ventas de ejemplo empiezan el lunes 5 de enero de 2026 a las 09:00:00 UTC."""


def sales(count: int = 60, seed: int = 7, start: datetime = START) -> list[dict[str, Any]]:
    """Genera ``count`` ventas con la semilla ``seed``.

    Entre una venta y la siguiente pasan de 0.2 a 1.8 s (al azar, pero siempre igual
    para la misma semilla), así que unas ventanas reciben más ventas que otras.
    """
    rng = random.Random(seed)
    clock_ms = int(start.timestamp() * 1000)
    events = []
    for number in range(1, count + 1):
        clock_ms += rng.randint(200, 1800)
        events.append(
            {
                "venta_id": number,
                "tienda": rng.choice(STORES),
                "monto": round(rng.uniform(50, 2500), 2),
                "ts_ms": clock_ms,
            }
        )
    return events
