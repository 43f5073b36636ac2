"""Eventos de cambio (CDC) de una base de datos distribuida en 3 nodos, al estilo Debezium.

Cada evento es ``{"op", "table", "key", "before", "after", "version", "lsn", "node",
"event_time", "arrival_time"}``:

- ``op``: ``"insert"`` (``before`` es ``None``), ``"update"`` o ``"delete"``
  (``after`` es ``None``);
- ``key``: la clave primaria como texto; ``table`` + ``key`` identifican la fila;
- ``version``: 1 al insertar y +1 en cada cambio de esa fila;
- ``node``: el nodo que guarda la fila (siempre el mismo para una fila);
- ``lsn``: posición en el log de ese nodo; crece con cada cambio del nodo (y por tanto de la fila).

``to_debezium`` pone un evento en el sobre JSON de Debezium (el formato ``debezium-json`` de
Flink) y ``from_backups`` da los cambios de la tabla ``clientes`` de ``respaldos`` (la foto inicial
más cada cambio entre respaldos) con esta misma forma.

En orden de ``event_time`` todo es consistente: el ``before`` de un ``update`` o ``delete`` es el
``after`` anterior de esa fila, y nada se actualiza ni se borra antes de insertarse. En orden de
**llegada** no siempre (hay desorden y retrasos): para eso están ``version`` y ``lsn``.
"""

from __future__ import annotations

import random
import zlib
from datetime import datetime
from collections.abc import Callable, Sequence
from typing import Any

from helpers.sources.seeding import iso_utc
from helpers.sources.timing import START_MS, Timing, schedule, with_times

NODES = ("nodo-1", "nodo-2", "nodo-3")
WAREHOUSES = ("CDMX", "GDL", "MTY")
ORDER_FLOW = {"creado": ("pagado", "cancelado"), "pagado": ("enviado", "cancelado"),
              "enviado": ("entregado",)}
"""Estados siguientes de un pedido; ``entregado`` y ``cancelado`` ya no cambian."""

Row = dict[str, Any]


def kafka_key(event: Row) -> str:
    """La clave natural de un evento en Kafka: ``tabla:clave`` (p. ej. ``pedidos:17``)."""
    return f"{event['table']}:{event['key']}"


def node_for(table: str, key: str) -> str:
    """El nodo dueño de una fila (un hash estable, no el ``hash()`` de Python, que cambia)."""
    return NODES[zlib.crc32(f"{table}:{key}".encode()) % len(NODES)]


def _new_order(rng: random.Random, number: int, customers: Sequence[int]) -> tuple[str, Row]:
    return str(number), {"pedido_id": number, "cliente_id": rng.choice(customers),
                         "estado": "creado", "total": round(rng.uniform(100, 20_000), 2)}


def _new_stock(rng: random.Random, number: int, customers: Sequence[int]) -> tuple[str, Row]:
    sku = f"SKU-{number:05d}"
    return sku, {"sku": sku, "almacen": rng.choice(WAREHOUSES), "existencias": rng.randint(0, 500)}


def _can_update(table: str, row: Row) -> bool:
    return table != "pedidos" or row["estado"] in ORDER_FLOW


def _updated(rng: random.Random, table: str, row: Row) -> Row:
    if table == "pedidos":
        return {**row, "estado": rng.choice(ORDER_FLOW[row["estado"]])}
    delta = rng.choice((-1, 1)) * rng.randint(1, 40)
    return {**row, "existencias": max(0, row["existencias"] + delta)}


_MAKERS: dict[str, Callable[[random.Random, int, Sequence[int]], tuple[str, Row]]] = {
    "pedidos": _new_order,
    "inventario": _new_stock,
}


RowId = tuple[str, str]


class _Pool:
    """Un conjunto de filas con elección al azar en O(1) y orden reproducible."""

    def __init__(self) -> None:
        self._items: list[RowId] = []
        self._index: dict[RowId, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: RowId) -> None:
        self._index[item] = len(self._items)
        self._items.append(item)

    def discard(self, item: RowId) -> None:
        position = self._index.pop(item, None)
        if position is None:
            return
        last = self._items.pop()
        if position < len(self._items):  # el último ocupa el hueco
            self._items[position] = last
            self._index[last] = position

    def choice(self, rng: random.Random) -> RowId:
        return self._items[rng.randrange(len(self._items))]


def _pick_op(rng: random.Random, live: _Pool, updatable: _Pool,
             insert_rate: float, delete_rate: float) -> tuple[str, RowId | None]:
    """La operación y la fila (``None`` al insertar), sin actualizar lo que ya no cambia."""
    draw = rng.random()
    if live and draw >= insert_rate:
        if draw < insert_rate + delete_rate:
            return "delete", live.choice(rng)
        if updatable:
            return "update", updatable.choice(rng)
    return "insert", None


def change_events(count: int = 500, seed: int = 7, *, insert_rate: float = 0.3,
                  delete_rate: float = 0.1, customers: Sequence[int] = range(1, 51),
                  start_ms: int = START_MS, timing: Timing = Timing()) -> list[dict[str, Any]]:
    """``count`` eventos de cambio de las tablas ``pedidos`` e ``inventario``, en orden de tiempo.

    ``insert_rate`` y ``delete_rate`` son probabilidades por evento; el resto son ``update``.
    Los pedidos siguen ``ORDER_FLOW``; ``customers`` son los ``cliente_id`` posibles.
    """
    if insert_rate <= 0 or insert_rate + delete_rate > 1:
        raise ValueError("insert_rate debe ser > 0 e insert_rate + delete_rate <= 1")
    rng = random.Random(seed)
    rows: dict[RowId, Row] = {}
    live, updatable = _Pool(), _Pool()
    versions: dict[RowId, int] = {}
    lsns = dict.fromkeys(NODES, 0)
    numbers = dict.fromkeys(_MAKERS, 0)
    events = []
    for stamp in schedule(count, rng, start_ms=start_ms, timing=timing):
        op, row_id = _pick_op(rng, live, updatable, insert_rate, delete_rate)
        if row_id is None:
            table = rng.choice(sorted(_MAKERS))
            numbers[table] += 1
            key, after = _MAKERS[table](rng, numbers[table], customers)
            row_id, before = (table, key), None
            live.add(row_id)
            updatable.add(row_id)
        else:
            before = dict(rows[row_id])  # una copia: cada evento es dueño de sus datos
            after = None if op == "delete" else _updated(rng, row_id[0], before)
        if after is None:
            del rows[row_id]
            live.discard(row_id)
        else:
            after["actualizado_en"] = iso_utc(stamp.event_time)
            rows[row_id] = after
        if after is None or not _can_update(row_id[0], after):
            updatable.discard(row_id)
        versions[row_id] = versions.get(row_id, 0) + 1
        node = node_for(*row_id)
        lsns[node] += rng.randint(1, 64)
        events.append(with_times({
            "op": op, "table": row_id[0], "key": row_id[1], "before": before, "after": after,
            "version": versions[row_id], "lsn": lsns[node], "node": node}, stamp))
    return events


# --- Debezium de verdad y el CDC de la tabla de los respaldos -------------------------------

DEBEZIUM_OPS = {"read": "r", "insert": "c", "update": "u", "delete": "d"}
"""Nuestra operación → el campo ``op`` de Debezium (``r`` es una fila de la foto inicial)."""
CDC_TIMING = Timing(gap_ms=(0, 0), base_delay_ms=100, jitter_ms=400, out_of_order_rate=0.0,
                    late_rate=0.0)
"""El log de la base llega en orden: de 100 a 500 ms después de cada cambio."""


def to_debezium(event: Row, *, database: str = "tienda") -> dict[str, Any]:
    """Un evento de este módulo con el sobre (*envelope*) JSON de Debezium.

    Es lo que Debezium escribe en Kafka con ``value.converter.schemas.enable=false``:
    ``before``, ``after``, ``op`` (``c``/``u``/``d``/``r``), ``ts_ms`` (cuándo lo leyó el
    conector: aquí, la llegada) y ``source`` con la tabla y ``ts_ms`` = cuándo ocurrió el cambio
    en la base (el tiempo del evento). Es el formato ``debezium-json`` de Flink.
    """
    return {
        "before": event["before"], "after": event["after"], "op": DEBEZIUM_OPS[event["op"]],
        "ts_ms": event["arrival_time"],
        "source": {"version": "2.7.0.Final", "connector": "postgresql", "name": "curso",
                   "db": database, "schema": "public", "table": event["table"],
                   "ts_ms": event["event_time"], "lsn": event["lsn"],
                   "snapshot": "true" if event["op"] == "read" else "false"},
    }


def _parse_iso(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def from_backups(dumps: Sequence[Any], table: str = "clientes", seed: int = 7) -> list[Row]:
    """Los eventos de cambio de ``table`` que explican una serie de respaldos, en orden de tiempo.

    ``dumps`` son los ``Dump`` de ``helpers.sources.respaldos.backups``. Primero la foto inicial
    (``op="read"``, una fila por fila del respaldo 0, en su ``event_time``); luego cada cambio de
    ``Dump.changes``: inserciones y actualizaciones en su ``actualizado_en`` (al menos 1 ms
    después del respaldo anterior) y borrados en un instante al azar de esa hora. Así, aplicar
    los eventos con ``event_time <= dumps[k].event_time`` da exactamente las filas del respaldo
    ``k``: un respaldo es una foto de este flujo.
    """
    rng = random.Random(seed)
    key_column = {"clientes": "cliente_id", "productos": "producto_id"}[table]
    stamped: list[tuple[int, str, str, Row | None, Row | None]] = [
        (dumps[0].event_time, str(row[key_column]), "read", None, dict(row))
        for row in dumps[0].tables[table]]
    for previous, dump in zip(dumps, dumps[1:]):
        for change in (c for c in dump.changes if c["table"] == table):
            if change["op"] == "delete":
                when = rng.randint(previous.event_time + 1, dump.event_time)
            else:
                when = max(_parse_iso(change["after"]["actualizado_en"]), previous.event_time + 1)
            stamped.append((when, str(change["key"]), change["op"], change["before"],
                            change["after"]))
    stamped.sort(key=lambda s: (s[0], int(s[1])))
    arrivals = [t + CDC_TIMING.base_delay_ms + rng.randint(0, CDC_TIMING.jitter_ms)
                for t, *_ in stamped]
    versions: dict[str, int] = {}
    lsns = dict.fromkeys(NODES, 0)
    events = []
    last_arrival = 0
    for (when, key, op, before, after), arrival in zip(stamped, arrivals, strict=True):
        versions[key] = versions.get(key, 0) + 1
        node = node_for(table, key)
        lsns[node] += rng.randint(1, 64)
        last_arrival = max(last_arrival, arrival)  # el log llega en orden
        events.append({"op": op, "table": table, "key": key,
                       "before": None if before is None else dict(before),
                       "after": None if after is None else dict(after),
                       "version": versions[key], "lsn": lsns[node], "node": node,
                       "event_time": when, "arrival_time": last_arrival})
    return events
