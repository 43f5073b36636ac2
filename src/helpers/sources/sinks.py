"""Escritores: llevar los eventos de un generador a Kafka, a SQLite o a archivos.

- ``write_kafka``: en orden de llegada (como los vería el sistema de streaming), con el
  ``event_time`` como *timestamp* del registro y una clave natural.
- ``write_sqlite``: una tabla a partir de una lista de diccionarios (solo ``sqlite3``).
- ``write_csv`` / ``csv_text`` y ``write_jsonl`` / ``jsonl_text``: archivos de texto.

Los valores anidados (diccionarios, listas) se guardan como texto JSON en SQLite y en CSV;
``None`` queda como ``NULL`` en SQLite y como celda vacía en CSV.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers import topics
from helpers.sources.timing import arrival_order

Row = Mapping[str, Any]
KeySpec = str | Callable[[Row], str | None]

_SQL_TYPES = {bool: "INTEGER", int: "INTEGER", float: "REAL", str: "TEXT"}


def write_kafka(
    topic: str,
    events: Iterable[Row],
    *,
    key: KeySpec | None = None,
    fields: Sequence[str] | None = None,
    bootstrap: str | None = None,
    **producer_options: Any,
) -> int:
    """Produce ``events`` en ``topic`` en orden de ``arrival_time``; devuelve cuántos envió.

    - ``key``: el campo que es la clave natural (p. ej. ``"factura_id"``) o una función
      ``evento → clave``; los eventos con la misma clave van a la misma partición.
    - ``fields``: si se da, solo esos campos viajan en el JSON (p. ej. para no enviar la
      etiqueta ``defecto``, que es la respuesta de los ejercicios). Debe incluir
      ``event_time`` y el campo de la clave.

    El *timestamp* de cada registro de Kafka es su ``event_time``. Envía con
    ``helpers.topics.produce_json`` (``producer_options`` van a ``KafkaProducer``).
    """
    if fields is not None:
        needed = {"event_time"} | ({key} if isinstance(key, str) else set())
        if missing := needed - set(fields):
            raise ValueError(f"fields debe incluir {sorted(missing)}")
    key_of = (lambda e: str(e[key])) if isinstance(key, str) else key
    values = [e if fields is None else {f: e[f] for f in fields} for e in arrival_order(events)]
    return topics.produce_json(
        topic,
        values,
        timestamp=lambda e: e["event_time"],
        key=key_of,
        bootstrap=bootstrap,
        **producer_options,
    )


def _cell(value: Any) -> Any:
    """Un valor que SQLite y CSV entienden: lo anidado pasa a JSON."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _columns(rows: Sequence[Row]) -> list[str]:
    """Las columnas en el orden en que aparecen por primera vez."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _quote(name: str) -> str:
    """Un identificador de SQL entre comillas dobles (a salvo de espacios y acentos)."""
    return '"' + name.replace('"', '""') + '"'


def write_sqlite(
    database: str | Path | sqlite3.Connection,
    table: str,
    rows: Sequence[Row],
    *,
    primary_key: str | None = None,
    replace: bool = True,
) -> int:
    """Guarda ``rows`` en la tabla ``table`` de ``database`` y devuelve cuántas filas escribió.

    Las columnas y sus tipos (INTEGER, REAL, TEXT) salen de los datos. Con ``replace=True``
    la tabla se borra y se vuelve a crear; con ``False`` se agregan filas a la existente.
    """
    columns = _columns(rows)
    if not columns:
        raise ValueError("No hay filas: no sé qué columnas tendría la tabla")

    def sql_type(column: str) -> str:
        sample = next((r[column] for r in rows if r.get(column) is not None), None)
        return _SQL_TYPES.get(type(sample), "TEXT")

    definitions = ", ".join(
        f"{_quote(c)} {sql_type(c)}{' PRIMARY KEY' if c == primary_key else ''}" for c in columns
    )
    connection = database if isinstance(database, sqlite3.Connection) else sqlite3.connect(database)
    try:
        with connection:
            if replace:
                connection.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
            connection.execute(f"CREATE TABLE IF NOT EXISTS {_quote(table)} ({definitions})")
            connection.executemany(
                f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [[_cell(row.get(c)) for c in columns] for row in rows],
            )
    finally:
        if connection is not database:
            connection.close()
    return len(rows)


def csv_text(rows: Sequence[Row], fields: Sequence[str] | None = None) -> str:
    """``rows`` como texto CSV con encabezado (separador ``,``, fin de línea ``\\n``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(fields or _columns(rows)), lineterminator="\n",
        extrasaction="ignore",
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def jsonl_text(rows: Iterable[Row]) -> str:
    """``rows`` como JSON Lines: un objeto JSON por línea (acentos sin escapar)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_csv(path: str | Path, rows: Sequence[Row], fields: Sequence[str] | None = None) -> Path:
    """Escribe ``rows`` en el archivo CSV ``path`` (UTF-8) y devuelve su ruta."""
    return _write_text(path, csv_text(rows, fields))


def write_jsonl(path: str | Path, rows: Iterable[Row]) -> Path:
    """Escribe ``rows`` en el archivo JSON Lines ``path`` (UTF-8) y devuelve su ruta."""
    return _write_text(path, jsonl_text(rows))
