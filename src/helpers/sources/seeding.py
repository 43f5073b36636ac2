"""Azar reproducible para todos los generadores: la misma semilla da los mismos bytes.

Cada generador crea **sus propias** instancias (nunca usa el ``random`` global ni un Faker
compartido), así que llamar a un generador no cambia lo que produce otro:

- ``Faker("es_MX")`` con ``seed_instance(seed)`` para nombres, ciudades y texto en español;
- ``random.Random(seed)`` para todo lo demás (montos, tiempos, qué eventos salen defectuosos).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone

from faker import Faker

LOCALE = "es_MX"


def seeded(seed: int) -> tuple[random.Random, Faker]:
    """Un ``random.Random`` y un ``Faker`` en español de México, ambos con la semilla ``seed``."""
    fake = Faker(LOCALE)
    fake.seed_instance(seed)
    return random.Random(seed), fake


def uuid_from(rng: random.Random) -> str:
    """Un UUID versión 4 sacado de ``rng`` (no de ``uuid.uuid4()``, que no se puede repetir)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_utc(ms: int) -> str:
    """Milisegundos UTC → texto ISO-8601 legible, p. ej. ``2026-01-05T09:00:00Z``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def count_for(rate: float, total: int) -> int:
    """Cuántos de ``total`` elementos tocan con la fracción ``rate`` (redondeo al más cercano)."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"La fracción debe estar entre 0 y 1, no {rate}")
    return round(rate * total)


def even_split(total: int, labels: Sequence[str]) -> list[tuple[str, int]]:
    """Reparte ``total`` entre ``labels`` lo más parejo posible (10 entre 4 → 3, 3, 2, 2)."""
    share, extra = divmod(total, len(labels))
    return [(label, share + (1 if i < extra else 0)) for i, label in enumerate(labels)]


def scatter_labels(
    rng: random.Random, total: int, counts: Sequence[tuple[str, int]]
) -> list[str | None]:
    """Pone cada etiqueta en exactamente ``k`` posiciones al azar de ``total``; el resto, ``None``.

    Así una fracción pedida (p. ej. 10 % de facturas malas) es exacta, no «más o menos».
    """
    wanted = sum(k for _, k in counts)
    if wanted > total:
        raise ValueError(f"Pediste {wanted} etiquetas para solo {total} posiciones")
    chosen = iter(rng.sample(range(total), wanted))
    labels: list[str | None] = [None] * total
    for label, k in counts:
        for _ in range(k):
            labels[next(chosen)] = label
    return labels
