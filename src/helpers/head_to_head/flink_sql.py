"""La canalización de streaming del cuaderno 08: el SQL de Flink y un job acotado que lo usa.

Las funciones devuelven el SQL como texto para que el cuaderno lo muestre y el *bench* ejecute
exactamente lo mismo:

- ``source_ddl``: la tabla que lee el tópico de facturas, con el tiempo del evento (``ts`` en ms →
  ``rowtime``) y su marca de agua (*watermark*); acotada o sin fin.
- ``report_sink_ddl`` / ``rejected_sink_ddl``: las tablas de salida (tópicos de Kafka, JSON).
- ``report_sql``: ``TUMBLE`` por cliente × ventana; con ``python_udf=True`` el filtro de válidos lo
  decide la UDF de Python ``motivo_rechazo`` (``register_udf``) en vez de SQL puro.
- ``rejected_sql``: cada registro malo con su motivo (rumbo a un tópico de rechazados).
- ``report_job``: el *statement set* del reporte y los rechazados (una sola lectura del tópico).
- ``run_flink`` / ``flink_report``: ese job, acotado, ejecutado y leído de vuelta.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from helpers import topics
from helpers.head_to_head.batch_side import WINDOW_S, normalize
from helpers.head_to_head.events import reject_reason
from helpers.sql_windows import to_ms

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WATERMARK_DELAY_S = 1
"""Retraso de la marca de agua (segundos): la ventana cierra 1 s después de su final."""
UDF_NAME = "motivo_rechazo"

_REASON_SQL = ("CASE WHEN cliente IS NULL OR cliente = '' THEN 'cliente_vacio' "
               "WHEN monto IS NULL OR monto <= 0 THEN 'monto_no_positivo' END")


def source_ddl(table: str, topic: str, *, bootstrap: str, bounded: bool = True,
               group_id: str | None = None, watermark_delay_s: float = WATERMARK_DELAY_S) -> str:
    """``CREATE TABLE`` de la fuente Kafka: ``id, cliente, monto, ts`` y ``rowtime`` con su marca.

    ``rowtime`` es ``ts`` (ms UTC del JSON) como ``TIMESTAMP_LTZ(3)``; la marca de agua va
    ``watermark_delay_s`` detrás del mayor ``rowtime`` visto. Con ``bounded=True`` el job termina al
    llegar al último offset que tenía el tópico (``'scan.bounded.mode' = 'latest-offset'``).
    """
    bounded_option = "\n        'scan.bounded.mode' = 'latest-offset'," if bounded else ""
    return f"""CREATE TABLE {table} (
        id BIGINT, cliente STRING, monto BIGINT, ts BIGINT,
        rowtime AS TO_TIMESTAMP_LTZ(ts, 3),
        WATERMARK FOR rowtime AS rowtime - INTERVAL '{watermark_delay_s}' SECOND
    ) WITH (
        'connector' = 'kafka', 'topic' = '{topic}',
        'properties.bootstrap.servers' = '{bootstrap}',
        'properties.group.id' = '{group_id or table}',
        'scan.startup.mode' = 'earliest-offset',{bounded_option}
        'format' = 'json'
    )"""


def report_sink_ddl(table: str, topic: str, *, bootstrap: str) -> str:
    """``CREATE TABLE`` del reporte en Kafka: una fila JSON por cliente × ventana.

    La clave de cada registro es el ``cliente`` (``'key.fields'``): todas las filas de un cliente
    caen en la misma partición (en orden) y el tópico se puede compactar por cliente. El valor
    sigue llevando todas las columnas.
    """
    return f"""CREATE TABLE {table} (
        cliente STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
        facturas BIGINT, total BIGINT
    ) WITH ('connector' = 'kafka', 'topic' = '{topic}',
            'properties.bootstrap.servers' = '{bootstrap}',
            'key.format' = 'json', 'key.fields' = 'cliente',
            'value.format' = 'json')"""


def rejected_sink_ddl(table: str, topic: str, *, bootstrap: str) -> str:
    """``CREATE TABLE`` de los rechazados (tópico de mensajes muertos, *dead-letter*)."""
    return f"""CREATE TABLE {table} (
        id BIGINT, cliente STRING, monto BIGINT, ts BIGINT, motivo STRING
    ) WITH ('connector' = 'kafka', 'topic' = '{topic}',
            'properties.bootstrap.servers' = '{bootstrap}', 'format' = 'json')"""


def report_sql(source: str, *, window_s: int = WINDOW_S, python_udf: bool = False) -> str:
    """La consulta ``TUMBLE``: facturas válidas y su total por cliente en ventanas de ``window_s``.

    SQL puro filtra con ``cliente <> '' AND monto > 0``; con ``python_udf=True`` filtra con la UDF
    ``motivo_rechazo(cliente, monto) IS NULL`` (la misma regla, en Python).
    """
    valid = (f"{UDF_NAME}(cliente, monto) IS NULL" if python_udf
             else "cliente <> '' AND monto > 0")
    return f"""SELECT cliente, window_start, window_end, COUNT(*) AS facturas, SUM(monto) AS total
    FROM TABLE(TUMBLE(TABLE {source}, DESCRIPTOR(rowtime), INTERVAL '{window_s}' SECOND))
    WHERE {valid}
    GROUP BY cliente, window_start, window_end"""


def rejected_sql(source: str, *, python_udf: bool = False) -> str:
    """Los registros malos con su ``motivo`` (``CASE`` en SQL, o la UDF de Python)."""
    reason = f"{UDF_NAME}(cliente, monto)" if python_udf else _REASON_SQL
    return f"""SELECT id, cliente, monto, ts, motivo FROM (
        SELECT id, cliente, monto, ts, {reason} AS motivo FROM {source}
    ) WHERE motivo IS NOT NULL"""


def register_udf(t_env: TableEnvironment) -> None:
    """Registra ``motivo_rechazo`` (``reject_reason`` como UDF escalar de Python) en ``t_env``."""
    from pyflink.table import DataTypes
    from pyflink.table.udf import udf

    t_env.create_temporary_function(UDF_NAME, udf(reject_reason, result_type=DataTypes.STRING()))


def report_job(t_env: TableEnvironment, topic: str, out_report: str, out_rejected: str, *,
               bootstrap: str, python_udf: bool = False, window_s: int = WINDOW_S,
               bounded: bool = True, group_id: str | None = None) -> StatementSet:
    """Las tres tablas y el *statement set* (reporte → ``out_report``, rechazados →
    ``out_rejected``) sobre ``topic``, listo para ``execute()``.

    Con ``python_udf`` registra antes la UDF ``motivo_rechazo``.
    """
    if python_udf:
        register_udf(t_env)
    t_env.execute_sql(source_ddl("facturas", topic, bootstrap=bootstrap, bounded=bounded,
                                 group_id=group_id))
    t_env.execute_sql(report_sink_ddl("reporte", out_report, bootstrap=bootstrap))
    t_env.execute_sql(rejected_sink_ddl("rechazados", out_rejected, bootstrap=bootstrap))
    job = t_env.create_statement_set()
    job.add_insert_sql("INSERT INTO reporte " + report_sql("facturas", window_s=window_s,
                                                            python_udf=python_udf))
    job.add_insert_sql("INSERT INTO rechazados " + rejected_sql("facturas", python_udf=python_udf))
    return job


def report_frame(rows: pd.DataFrame | list[dict]) -> pd.DataFrame:
    """Filas JSON del tópico de reporte → columnas ``REPORT_COLUMNS`` (ventanas en ms UTC)."""
    frame = pd.DataFrame(list(rows), columns=["cliente", "window_start", "window_end",
                                              "facturas", "total"])
    frame["window_start_ms"] = to_ms(frame["window_start"]) if len(frame) else []
    frame["window_end_ms"] = to_ms(frame["window_end"]) if len(frame) else []
    return frame


@dataclass(frozen=True)
class FlinkRun:
    """Un job acotado: su reporte, sus rechazados y cuánto tardó.

    ``seconds`` va de ``execute()`` a que el job termina (incluye planificar y arrancar).
    ``first_output`` (hora UNIX, s) y ``processing_seconds`` salen del *timestamp* de los registros
    de salida: la tabla de salida no declara columna de tiempo, así que el productor del sumidero
    les pone la hora en que los envió. Del primero al último es el tramo en que el job procesaba.
    """

    report: pd.DataFrame
    rejected: pd.DataFrame
    seconds: float
    records: int
    first_output: float = 0.0
    processing_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Registros por segundo mientras procesaba (sin el arranque del job)."""
        return self.records / self.processing_seconds if self.processing_seconds > 0 else 0.0


def run_flink(topic: str, *, python_udf: bool, bootstrap: str | None = None, parallelism: int = 1,
              window_s: int = WINDOW_S, extra: dict[str, str] | None = None) -> FlinkRun:
    """Ejecuta el reporte y los rechazados de ``topic`` en **un** job acotado y los lee de vuelta.

    Escribe en ``<topic>.reporte-<sql|udf>`` y ``<topic>.rechazados-<sql|udf>`` (se recrean).
    ``extra`` pasa opciones de Flink (p. ej. ``{"pipeline.object-reuse": "true"}``). ``seconds``
    mide desde ``execute()`` hasta que el job termina; ``records``, los registros del tópico.
    """
    from helpers.flink import table_env

    bootstrap = bootstrap or topics.bootstrap_servers()
    variant = "udf" if python_udf else "sql"
    out_report, out_rejected = f"{topic}.reporte-{variant}", f"{topic}.rechazados-{variant}"
    for name in (out_report, out_rejected):
        topics.create_topic(name, partitions=1, bootstrap=bootstrap)
    job = report_job(table_env(parallelism, extra, bootstrap), topic, out_report, out_rejected,
                     bootstrap=bootstrap, python_udf=python_udf, window_s=window_s,
                     group_id=f"{topic}.{variant}")
    start = time.perf_counter()
    job.execute().wait()
    seconds = time.perf_counter() - start
    raw_report = topics.read_topic(out_report, bootstrap, timeout_s=120)
    raw_rejected = topics.read_topic(out_rejected, bootstrap, timeout_s=120)
    stamps = pd.concat([raw_report["timestamp"], raw_rejected["timestamp"]])
    first, last = (stamps.min().timestamp(), stamps.max().timestamp()) if len(stamps) else (0, 0)
    report, rejected = normalize(report_frame(raw_report["value"]),
                                 pd.DataFrame(list(raw_rejected["value"]),
                                              columns=["id", "cliente", "monto", "ts", "motivo"]))
    records = sum(topics.end_offsets(topic, bootstrap).values())
    return FlinkRun(report, rejected, seconds, records, first, last - first)


def flink_report(topic: str, *, python_udf: bool, bootstrap: str | None = None,
                 parallelism: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contrato del *bench*: ``(reporte, rechazados)`` de Flink SQL sobre ``topic`` (acotado).

    Usa el mismo SQL que muestra el cuaderno (``source_ddl``, ``report_sql``, ``rejected_sql``) y
    devuelve lo mismo que ``batch_report`` sobre los mismos eventos, fila por fila. Para el tiempo
    del job usa ``run_flink``.
    """
    run = run_flink(topic, python_udf=python_udf, bootstrap=bootstrap, parallelism=parallelism)
    return run.report, run.rejected
