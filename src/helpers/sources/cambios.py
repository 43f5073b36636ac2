"""Eventos de cambio (CDC) de una base de datos distribuida en 3 nodos, al estilo Debezium.

Cada evento es ``{"op", "table", "key", "before", "after", "version", "lsn", "node",
"event_time", "arrival_time"}``:

- ``op``: ``"insert"`` (``before`` es ``None``), ``"update"`` o ``"delete"``
  (``after`` es ``None``);
- ``key``: la clave primaria como texto; ``table`` + ``key`` identifican la fila;
- ``version``: 1 al insertar y +1 en cada cambio de esa fila;
- ``node``: el nodo que guarda la fila (siempre el mismo para una fila);
- ``lsn``: posición en el log de ese nodo; crece con cada cambio del nodo (y por tanto de la fila).

En orden de ``event_time`` todo es consistente: el ``before`` de un ``update`` o ``delete`` es el
``after`` anterior de esa fila, y nada se actualiza ni se borra antes de insertarse. En orden de
**llegada** no siempre (hay desorden y retrasos): para eso están ``version`` y ``lsn``.
"""

from __future__ import annotations

import random
import zlib
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
