"""La salida de las ventanas de Flink SQL, vista desde Python.

El cuaderno 05 ejecuta las ventanas (*window TVF*) en Flink SQL; este módulo pone lo demás:

- ``to_ms`` / ``with_ms``: pasan ``window_start`` / ``window_end`` (``Timestamp`` o el texto que
  escribe Flink en JSON) a enteros en milisegundos UTC (``start_ms`` / ``end_ms``), el formato
  de ``helpers.plots`` y de ``helpers.window_rules``;
- ``require_topic``: un error claro si falta el tópico que deja otro cuaderno;
- ``archivos_ddl`` / ``ventanas_ddl`` / ``TUMBLE_10S``: la tabla de entrada (con su marca de agua),
  la de salida y la ventana fija de 10 s del cuaderno 05. El cuaderno 09 ejecuta **el mismo** *job*
  en un clúster; por eso el SQL vive aquí, una sola vez, y los dos cuadernos lo imprimen.

Lo que *debe* dar cada ventana, con Python puro, está en ``helpers.window_rules`` (las mismas
reglas sirven para DataStream y para SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from helpers import topics
from helpers.errors import CourseError


class MissingTopicError(CourseError):
    """Falta un tópico que crea otro cuaderno (hay que ejecutarlo antes)."""


def to_ms(values: Iterable[Any]) -> list[int]:
    """Instantes (``Timestamp``, ``datetime64`` o texto) → milisegundos UTC.

    Un instante sin zona horaria se toma como UTC: es lo que entrega Flink con la zona horaria
    de la sesión en UTC (``helpers.flink.table_env``).
    """
    stamps = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True, format="ISO8601")
    epoch = pd.Timestamp(0, tz="UTC")
    return [int((s - epoch) // pd.Timedelta(milliseconds=1)) for s in stamps]


def with_ms(
    frame: pd.DataFrame, start: str = "window_start", end: str = "window_end"
) -> pd.DataFrame:
    """Una copia de ``frame`` con ``start_ms`` y ``end_ms`` (enteros, ms UTC) al final."""
    out = frame.copy()
    out["start_ms"] = to_ms(frame[start])
    out["end_ms"] = to_ms(frame[end])
    return out


def require_topic(topic: str, *, made_by: str, bootstrap: str | None = None) -> None:
    """Falla con un mensaje claro si ``topic`` no existe (lo crea el cuaderno ``made_by``)."""
    if topic not in topics.list_topics(bootstrap):
        raise MissingTopicError(
            f"No existe el tópico {topic!r}: lo escribe el cuaderno {made_by}.\n"
            f"Ejecuta primero el cuaderno {made_by} completo (y antes, el 00) "
            "y vuelve a esta celda."
        )


def archivos_ddl(topic: str, bootstrap: str, group_id: str, table: str = "archivos") -> str:
    """El ``CREATE TABLE`` de los metadatos de archivos que lee el tópico ``topic``.

    Tiempo del evento = *timestamp* del registro de Kafka; marca de agua 5 s detrás del mayor
    visto, emitida tras cada registro (``on-event``) para que los tardíos no dependan de la
    velocidad de la máquina; lectura acotada (termina al llegar al final del tópico).
    """
    return f"""CREATE TABLE {table} (
    path         STRING,
    size_bytes   BIGINT,
    mime_type    STRING,
    owner        STRING,
    departamento AS SPLIT_INDEX(path, '/', 3),
    ts           TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
    'connector' = 'kafka',
    'topic' = '{topic}',
    'properties.bootstrap.servers' = '{bootstrap}',
    'properties.group.id' = '{group_id}',
    'scan.startup.mode' = 'earliest-offset',
    'scan.bounded.mode' = 'latest-offset',
    'scan.watermark.emit.strategy' = 'on-event',
    'format' = 'json'
)"""


def ventanas_ddl(topic: str, bootstrap: str, table: str = "ventanas") -> str:
    """El ``CREATE TABLE`` de la salida de las ventanas: una fila JSON por ventana en ``topic``.

    ``bytes`` es palabra reservada de SQL: va entre acentos graves.
    """
    return f"""CREATE TABLE {table} (
    tvf STRING, departamento STRING,
    window_start TIMESTAMP(3), window_end TIMESTAMP(3),
    archivos BIGINT, `bytes` BIGINT
) WITH (
    'connector' = 'kafka', 'topic' = '{topic}',
    'properties.bootstrap.servers' = '{bootstrap}', 'format' = 'json'
)"""


TUMBLE_10S = """SELECT 'TUMBLE' AS tvf, CAST(NULL AS STRING) AS departamento,
       window_start, window_end, COUNT(*) AS archivos, SUM(size_bytes) AS `bytes`
FROM TABLE(TUMBLE(TABLE archivos, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end"""
"""Ventanas fijas de 10 s sobre la tabla ``archivos``: cuántos archivos y bytes en cada una."""
