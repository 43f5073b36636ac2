"""Lotes contra streaming, cara a cara (cuaderno 08): la misma pregunta, dos canalizaciones.

La pregunta: ¿cuánto factura cada cliente en cada ventana de 5 s, y qué facturas se rechazan y por
qué? Contrato (también lo usa ``make bench``):

- ``make_events(count, *, seed, start_ms, rate_per_s) -> list[dict]``: facturas con semilla
  (``id, cliente, monto, ts``), 2 % malas (``REASONS``).
- ``encode(event) -> bytes``: JSON compacto (~60 bytes); los malos viajan igual, la regla
  ``reject_reason`` los separa.
- ``batch_report(events, *, runs, window_s, page_size) -> (reporte, rechazados)``: lotes en SQLite
  con corridas programadas y paginación por clave (``run_batches`` da además costos y tiempos).
- ``source_ddl``, ``report_sql``, ``rejected_sql``, ``report_sink_ddl``, ``rejected_sink_ddl``,
  ``register_udf``: el SQL de Flink (TUMBLE puro o con la UDF de Python ``motivo_rechazo``).
- ``flink_report(topic, *, python_udf, bootstrap=None, parallelism=1) -> (reporte, rechazados)``:
  el job acotado con ese SQL (``run_flink`` da además su duración).

Reporte: ``cliente, window_start_ms, window_end_ms, facturas, total`` ordenado por cliente y
ventana; rechazados: ``id, cliente, monto, ts, motivo`` ordenado por ``id``.
"""

from importlib import import_module
from typing import Any

# Cada nombre se importa de su submódulo la primera vez que se usa (PEP 562): así una corrida de
# lotes en un proceso nuevo (``costing.cold_batch_run``) no carga pandas, kafka-python ni PyFlink.
_WHERE = {
    "REJECTED_COLUMNS": "batch_side",
    "REPORT_COLUMNS": "batch_side",
    "WINDOW_S": "batch_side",
    "BatchResult": "batch_side",
    "RunStats": "batch_side",
    "batch_report": "batch_side",
    "batch_run": "batch_side",
    "create_destination": "batch_side",
    "create_source": "batch_side",
    "insert_events": "batch_side",
    "read_report": "batch_side",
    "run_batches": "batch_side",
    "BAD_RATE": "events",
    "CLIENTS": "events",
    "REASONS": "events",
    "encode": "events",
    "make_events": "events",
    "reject_reason": "events",
    "window_start": "events",
    "UDF_NAME": "flink_sql",
    "WATERMARK_DELAY_S": "flink_sql",
    "FlinkRun": "flink_sql",
    "flink_report": "flink_sql",
    "register_udf": "flink_sql",
    "rejected_sink_ddl": "flink_sql",
    "rejected_sql": "flink_sql",
    "report_frame": "flink_sql",
    "report_sink_ddl": "flink_sql",
    "report_sql": "flink_sql",
    "run_flink": "flink_sql",
    "source_ddl": "flink_sql",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BAD_RATE",
    "CLIENTS",
    "REASONS",
    "REJECTED_COLUMNS",
    "REPORT_COLUMNS",
    "UDF_NAME",
    "WATERMARK_DELAY_S",
    "WINDOW_S",
    "BatchResult",
    "FlinkRun",
    "RunStats",
    "batch_report",
    "batch_run",
    "create_destination",
    "create_source",
    "encode",
    "flink_report",
    "insert_events",
    "make_events",
    "read_report",
    "register_udf",
    "reject_reason",
    "rejected_sink_ddl",
    "rejected_sql",
    "report_frame",
    "report_sink_ddl",
    "report_sql",
    "run_batches",
    "run_flink",
    "source_ddl",
    "window_start",
]
