"""Metadatos de archivos de una carpeta compartida, como los reporta un vigilante de archivos.

Cada evento es ``{"path", "size_bytes", "mime_type", "modified_time", "owner", "event_time",
"arrival_time"}``. ``modified_time`` es el mismo instante que ``event_time``, pero en texto
ISO-8601 (como lo muestra un listado de archivos). Una fracción ``rewrite_rate`` de los eventos
vuelve a tocar un archivo que ya existía (nuevo tamaño, misma ruta): la ruta es la clave natural,
útil para ver *upserts* y «quedarse con la versión más reciente».
"""

from __future__ import annotations

import math
import random
from typing import Any

from faker import Faker

from helpers.sources.seeding import iso_utc, seeded
from helpers.sources.timing import START_MS, Timing, schedule, with_times

KEY = "path"
ROOT = "/srv/compartido"
DEPARTMENTS = ("finanzas", "ventas", "compras", "rh", "legal", "operaciones")
MIME_TYPES = {  # tipo MIME: (extensión, prefijos de nombre, tamaño mediano en bytes, peso)
    "application/pdf": ("pdf", ("factura", "contrato", "estado_cuenta", "reporte"), 250_000, 30),
    "application/xml": ("xml", ("cfdi",), 6_000, 25),
    "text/csv": ("csv", ("clientes", "ventas", "inventario"), 80_000, 15),
    "image/jpeg": ("jpg", ("escaneo", "ticket"), 1_200_000, 12),
    "image/png": ("png", ("captura",), 400_000, 5),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        ("xlsx", ("presupuesto", "nomina"), 120_000, 8),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        ("docx", ("minuta", "propuesta"), 60_000, 5),
}


def _size(rng: random.Random, median: int) -> int:
    """Tamaños con cola larga (log-normal): casi todos cerca de la mediana, unos pocos enormes."""
    return max(1, int(rng.lognormvariate(math.log(median), 0.9)))


def _new_file(rng: random.Random, fake: Faker, number: int, when: int) -> dict[str, Any]:
    mime = rng.choices(list(MIME_TYPES), weights=[m[3] for m in MIME_TYPES.values()])[0]
    extension, prefixes, median, _ = MIME_TYPES[mime]
    folder = f"{ROOT}/{rng.choice(DEPARTMENTS)}/{iso_utc(when)[:7].replace('-', '/')}"
    name = f"{rng.choice(prefixes)}_{fake.word()}_{number:05d}.{extension}"
    return {"path": f"{folder}/{name}", "size_bytes": _size(rng, median), "mime_type": mime,
            "owner": fake.user_name()}


def file_events(count: int = 500, seed: int = 7, *, rewrite_rate: float = 0.2,
                start_ms: int = START_MS, timing: Timing = Timing()) -> list[dict[str, Any]]:
    """``count`` eventos de archivos creados o modificados, en orden de ``event_time``."""
    if not 0.0 <= rewrite_rate <= 1.0:
        raise ValueError(f"rewrite_rate debe estar entre 0 y 1, no {rewrite_rate}")
    rng, fake = seeded(seed)
    known: list[dict[str, Any]] = []
    events = []
    for stamp in schedule(count, rng, start_ms=start_ms, timing=timing):
        if known and rng.random() < rewrite_rate:
            previous = rng.choice(known)
            current = {**previous, "size_bytes": _size(rng, previous["size_bytes"])}
        else:
            current = _new_file(rng, fake, len(known) + 1, stamp.event_time)
            known.append(current)
        events.append(with_times({
            "path": current["path"], "size_bytes": current["size_bytes"],
            "mime_type": current["mime_type"], "modified_time": iso_utc(stamp.event_time),
            "owner": current["owner"]}, stamp))
    return events


def department(event: dict[str, Any]) -> str:
    """El departamento de un evento: ``/srv/compartido/<depto>/...`` → ``depto``."""
    return str(event["path"]).split("/")[3]
