"""Respaldos CSV de una base de datos: las tablas ``clientes`` y ``productos``, cada hora.

Así trabaja el ETL por lotes clásico: cada hora llega un volcado completo de cada tabla y hay
que averiguar qué cambió. Entre un respaldo y el siguiente, una fracción controlada de filas
se actualiza (``update_rate``), se borra (``delete_rate``) y se agregan filas nuevas
(``insert_rate``, relativo al tamaño de la tabla). Cada respaldo guarda la lista exacta de esos
cambios (``Dump.changes``), con la misma forma que los eventos de ``cambios``:
``{"table", "op", "key", "before", "after"}``.

Las facturas (``facturas``) usan los RFC de estos clientes como receptores: con la misma
semilla, ``initial_tables(seed)["clientes"]`` son los clientes a los que se factura.
"""

from __future__ import annotations

import os
import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faker import Faker

from helpers.sources.rfc import company_rfc, person_rfc
from helpers.sources.seeding import count_for, iso_utc, seeded
from helpers.sources.sinks import csv_text
from helpers.sources.timing import START_MS, Timing, arrival_times

HOUR_MS = 3_600_000
KEYS = {"clientes": "cliente_id", "productos": "producto_id"}
COLUMNS = {
    "clientes": ("cliente_id", "rfc", "nombre", "email", "ciudad", "segmento", "actualizado_en"),
    "productos": ("producto_id", "clave_prod_serv", "descripcion", "precio", "actualizado_en"),
}
CITIES = ("Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Querétaro", "Mérida",
          "Tijuana", "León", "Toluca", "Oaxaca")
SEGMENTS = ("minorista", "mayorista", "pyme", "corporativo", "gobierno")
CATALOG = (  # (clave del producto o servicio del SAT, descripción, precio mínimo, máximo)
    ("43211503", "Computadora portátil", 9_000, 32_000),
    ("43211507", "Computadora de escritorio", 8_000, 25_000),
    ("43211708", "Mouse inalámbrico", 150, 900),
    ("43211706", "Teclado", 200, 1_500),
    ("43211902", "Monitor", 2_500, 9_000),
    ("44103103", "Tóner para impresora", 600, 2_800),
    ("14111507", "Papel para impresora (caja)", 450, 1_200),
    ("56101703", "Escritorio", 2_000, 8_500),
    ("56112102", "Silla de oficina", 1_500, 7_000),
    ("81112200", "Soporte de software (mes)", 1_000, 6_000),
    ("80101500", "Consultoría de negocios (hora)", 800, 3_500),
    ("78101800", "Flete por carretera", 1_200, 9_000),
)
DUMP_TIMING = Timing(base_delay_ms=30_000, jitter_ms=240_000, out_of_order_rate=0.0,
                     late_rate=0.0)
"""El archivo de cada respaldo tarda de 30 s a 4.5 min en llegar (sale uno por hora)."""

Rows = dict[int, dict[str, Any]]


@dataclass(frozen=True)
class Dump:
    """Un respaldo: el estado de cada tabla en ``event_time`` y qué cambió desde el anterior."""

    number: int
    event_time: int
    arrival_time: int
    tables: dict[str, list[dict[str, Any]]]
    changes: list[dict[str, Any]]


def _customer(rng: random.Random, fake: Faker, key: int, when: int) -> dict[str, Any]:
    if rng.random() < 0.6:  # persona física
        given, surname1, surname2 = fake.first_name(), fake.last_name(), fake.last_name()
        name, rfc = f"{given} {surname1} {surname2}", person_rfc(rng, given, surname1, surname2)
    else:  # persona moral
        name = fake.company()  # ojo: Faker (es_MX) escribe «Corporacin», sin la «ó», en sus datos
        rfc = company_rfc(rng, name)
    return {"cliente_id": key, "rfc": rfc, "nombre": name, "email": _email(rng, fake, name),
            "ciudad": rng.choice(CITIES), "segmento": rng.choice(SEGMENTS),
            "actualizado_en": iso_utc(when)}


def _email(rng: random.Random, fake: Faker, name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.split()[0].lower())  # «maría» → «maria»
    user = "".join(c for c in plain if c.isascii() and c.isalpha()) or "contacto"
    return f"{user}{rng.randint(1, 999)}@{fake.safe_domain_name()}"


def _product(rng: random.Random, fake: Faker, key: int, when: int) -> dict[str, Any]:
    clave, description, low, high = rng.choice(CATALOG)
    model = f"{rng.choice('ABCDEFGHJKLMNPRSTVX')}{rng.randint(100, 999)}"
    return {"producto_id": key, "clave_prod_serv": clave, "descripcion": f"{description} {model}",
            "precio": round(rng.uniform(low, high), 2), "actualizado_en": iso_utc(when)}


def _update_customer(rng: random.Random, fake: Faker, row: dict[str, Any]) -> None:
    column = rng.choice(("email", "ciudad", "segmento"))
    while True:
        new = _email(rng, fake, row["nombre"]) if column == "email" else rng.choice(
            CITIES if column == "ciudad" else SEGMENTS)
        if new != row[column]:
            row[column] = new
            return


def _update_product(rng: random.Random, fake: Faker, row: dict[str, Any]) -> None:
    old = row["precio"]
    while row["precio"] == old:
        row["precio"] = round(old * rng.uniform(0.85, 1.2), 2)


Make = Callable[[random.Random, Faker, int, int], dict[str, Any]]
Update = Callable[[random.Random, Faker, dict[str, Any]], None]
_FACTORIES: dict[str, tuple[Make, Update]] = {
    "clientes": (_customer, _update_customer),
    "productos": (_product, _update_product),
}


def _change(table: str, op: str, key: int, before: Any, after: Any) -> dict[str, Any]:
    return {"table": table, "op": op, "key": key, "before": before, "after": after}


def _evolve(table: str, rows: Rows, next_id: int, rng: random.Random, fake: Faker,
            rates: tuple[float, float, float], since: int, until: int) -> list[dict[str, Any]]:
    """Aplica a ``rows`` actualizaciones, inserciones y borrados (``rates``, en ese orden).

    Devuelve los cambios ordenados por clave. Las claves nuevas empiezan en ``next_id``.
    """
    make, update = _FACTORIES[table]
    n_upd, n_ins, n_del = (count_for(rate, len(rows)) for rate in rates)
    touched = rng.sample(sorted(rows), n_upd + n_del)
    changes = []
    for key in touched[:n_del]:
        changes.append(_change(table, "delete", key, rows.pop(key), None))
    for key in touched[n_del:]:
        before = dict(rows[key])
        update(rng, fake, rows[key])
        rows[key]["actualizado_en"] = iso_utc(rng.randint(since + 1, until))
        changes.append(_change(table, "update", key, before, dict(rows[key])))
    for key in range(next_id, next_id + n_ins):
        rows[key] = make(rng, fake, key, rng.randint(since + 1, until))
        changes.append(_change(table, "insert", key, None, dict(rows[key])))
    return sorted(changes, key=lambda c: c["key"])


def backups(count: int = 6, seed: int = 7, *, customers: int = 50, products: int = 30,
            update_rate: float = 0.10, insert_rate: float = 0.04, delete_rate: float = 0.02,
            start_ms: int = START_MS) -> list[Dump]:
    """``count`` respaldos, uno por hora desde ``start_ms``; el primero no trae cambios.

    Pedir más respaldos no cambia los primeros: ``backups(3) == backups(8)[:3]``, y
    ``initial_tables(seed)`` es siempre el respaldo 0 (el que usan las facturas).
    """
    rng, fake = seeded(seed)
    past = start_ms - 365 * 24 * HOUR_MS  # las filas iniciales se tocaron durante el último año
    state: dict[str, Rows] = {}
    for table, size in (("clientes", customers), ("productos", products)):
        make = _FACTORIES[table][0]
        state[table] = {k: make(rng, fake, k, rng.randint(past, start_ms))
                        for k in range(1, size + 1)}
    next_ids = {table: len(rows) + 1 for table, rows in state.items()}
    rates = (update_rate, insert_rate, delete_rate)
    dumps = []
    for number in range(count):
        taken = start_ms + number * HOUR_MS
        changes = []
        if number:
            for table, rows in state.items():
                changes += _evolve(table, rows, next_ids[table], rng, fake, rates,
                                   taken - HOUR_MS, taken)
                next_ids[table] = max(next_ids[table], max(rows, default=0) + 1)
        arrival = arrival_times([taken], rng, DUMP_TIMING)[0]
        tables = {t: [dict(rows[k]) for k in sorted(rows)] for t, rows in state.items()}
        dumps.append(Dump(number, taken, arrival, tables, changes))
    return dumps


def initial_tables(seed: int = 7, **sizes: int) -> dict[str, list[dict[str, Any]]]:
    """Las tablas del primer respaldo (``sizes``: ``customers=``, ``products=``)."""
    return backups(1, seed, **sizes)[0].tables


def diff_tables(table: str, old: Sequence[Mapping[str, Any]],
                new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Los cambios que llevan de ``old`` a ``new`` (dos volcados de ``table``), por clave.

    Es lo único que puede hacer un ETL por lotes: comparar fotos. Si una fila cambió dos
    veces entre respaldos, solo se ve el resultado final.
    """
    key = KEYS[table]
    before = {row[key]: dict(row) for row in old}
    after = {row[key]: dict(row) for row in new}
    changes = []
    for k in sorted(before.keys() | after.keys()):
        if k not in after:
            changes.append(_change(table, "delete", k, before[k], None))
        elif k not in before:
            changes.append(_change(table, "insert", k, None, after[k]))
        elif before[k] != after[k]:
            changes.append(_change(table, "update", k, before[k], after[k]))
    return changes


def dump_csv(dump: Dump, table: str) -> str:
    """La tabla ``table`` del respaldo ``dump`` como texto CSV (con encabezado)."""
    return csv_text(dump.tables[table], COLUMNS[table])


def dump_filename(dump: Dump, table: str) -> str:
    """El nombre del archivo, p. ej. ``clientes_20260105T0900.csv``."""
    return f"{table}_{iso_utc(dump.event_time)[:16].replace('-', '').replace(':', '')}.csv"


def write_dumps(dumps: Sequence[Dump], folder: str | Path) -> list[Path]:
    """Escribe cada tabla de cada respaldo en ``folder`` y devuelve las rutas.

    La fecha de modificación de cada archivo es su ``arrival_time`` (cuando «llegó»), para que
    un ETL por lotes pueda buscar «los archivos nuevos desde la última corrida».
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for dump in dumps:
        for table in COLUMNS:
            path = folder / dump_filename(dump, table)
            path.write_text(dump_csv(dump, table), encoding="utf-8", newline="")
            os.utime(path, (dump.arrival_time / 1000, dump.arrival_time / 1000))
            paths.append(path)
    return paths


def dump_events(dumps: Sequence[Dump]) -> list[dict[str, Any]]:
    """Un evento por archivo de respaldo (cada tabla de cada respaldo), para enviarlo a Kafka.

    ``{"archivo", "tabla", "respaldo", "filas", "csv", "event_time", "arrival_time"}``: el
    archivo completo viaja en el evento (son pocos kilobytes), con la hora del respaldo como
    tiempo del evento y su llegada como tiempo de llegada.
    """
    return [{"archivo": dump_filename(dump, table), "tabla": table, "respaldo": dump.number,
             "filas": len(dump.tables[table]), "csv": dump_csv(dump, table),
             "event_time": dump.event_time, "arrival_time": dump.arrival_time}
            for dump in dumps for table in COLUMNS]
