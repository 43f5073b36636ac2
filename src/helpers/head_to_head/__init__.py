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

from helpers.head_to_head.batch_side import (
    REJECTED_COLUMNS,
    REPORT_COLUMNS,
    WINDOW_S,
    BatchResult,
    RunStats,
    batch_report,
    batch_run,
    create_destination,
    create_source,
    insert_events,
    read_report,
    run_batches,
)
from helpers.head_to_head.events import (
    BAD_RATE,
    CLIENTS,
    REASONS,
    encode,
    make_events,
    reject_reason,
    window_start,
)
from helpers.head_to_head.flink_sql import (
    UDF_NAME,
    WATERMARK_DELAY_S,
    FlinkRun,
    flink_report,
    register_udf,
    rejected_sink_ddl,
    rejected_sql,
    report_frame,
    report_sink_ddl,
    report_sql,
    run_flink,
    source_ddl,
)

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
