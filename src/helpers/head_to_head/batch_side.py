"""La canalización por lotes del cuaderno 08, al estilo del cuaderno 01.

La base de origen es SQLite: cada factura se inserta en ``facturas`` (un *insert* por evento, como
la base de la aplicación). Cada corrida programada lee **solo lo nuevo** con paginación por clave
(``READ_NEW_SQL``: ``WHERE id > :last_id ORDER BY id LIMIT :page_size``), aplica ``reject_reason``, y actualiza
el reporte con *upserts* (``INSERT … ON CONFLICT DO UPDATE``): una fila por cliente × ventana con
``facturas`` (conteo) y ``total`` (centavos). Los rechazados van a ``rechazados`` con su motivo.

Una corrida (``open_db`` + ``create_destination`` + ``batch_run``, que pagina con
``helpers.batch.paginate_keyset``) solo necesita ``sqlite3``: ``pandas`` se importa dentro de las
funciones que lo usan, para que un cron en un proceso nuevo (``costing.cold_batch_run``) no pague
importarlo.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.batch import paginate_keyset
from helpers.head_to_head.events import reject_reason, window_start

if TYPE_CHECKING:
    import pandas as pd

WINDOW_S = 5
"""Tamaño de la ventana del reporte (segundos), igual en lotes y en Flink."""
PAGE_SIZE = 5_000
REPORT_COLUMNS = ["cliente", "window_start_ms", "window_end_ms", "facturas", "total"]
REJECTED_COLUMNS = ["id", "cliente", "monto", "ts", "motivo"]

READ_NEW_SQL = ("SELECT id, cliente, monto, ts FROM facturas WHERE id > :last_id "
                "ORDER BY id LIMIT :page_size")


def open_db(path: str | Path) -> sqlite3.Connection:
    """Una conexión a una base SQLite en archivo (WAL: un escritor y varios lectores a la vez)."""
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    return connection


def create_source(connection: sqlite3.Connection) -> None:
    """Crea (si no existe) la tabla de origen ``facturas``."""
    connection.execute("CREATE TABLE IF NOT EXISTS facturas "
                       "(id INTEGER PRIMARY KEY, cliente TEXT, monto INTEGER, ts INTEGER)")
    connection.commit()


def insert_events(connection: sqlite3.Connection, events: Iterable[Mapping[str, Any]]) -> int:
    """Inserta ``events`` en ``facturas`` (una fila por evento); devuelve cuántas filas escribió."""
    rows = [(e["id"], e["cliente"], e["monto"], e["ts"]) for e in events]
    connection.executemany("INSERT INTO facturas (id, cliente, monto, ts) VALUES (?, ?, ?, ?)",
                           rows)
    connection.commit()
    return len(rows)


def create_destination(connection: sqlite3.Connection, suffix: str = "") -> None:
    """Crea las tablas de destino ``reporte<suffix>`` y ``rechazados<suffix>`` (vacías)."""
    for table in (f"reporte{suffix}", f"rechazados{suffix}"):
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.execute(f"CREATE TABLE reporte{suffix} (cliente TEXT, window_start INTEGER, "
                       "facturas INTEGER, total INTEGER, PRIMARY KEY (cliente, window_start))")
    connection.execute(f"CREATE TABLE rechazados{suffix} (id INTEGER PRIMARY KEY, cliente TEXT, "
                       "monto INTEGER, ts INTEGER, motivo TEXT)")
    connection.commit()


@dataclass(frozen=True)
class RunStats:
    """Lo que hizo una corrida: hasta qué ``id`` leyó, cuántas filas, páginas y escrituras."""

    last_id: int
    rows_read: int
    pages: int
    upserts: int
    rejected: int
    ids: list[int]


def batch_run(connection: sqlite3.Connection, last_id: int, *, window_s: int = WINDOW_S,
              page_size: int = PAGE_SIZE, suffix: str = "") -> RunStats:
    """Una corrida programada: lee las facturas con ``id > last_id`` y actualiza el reporte.

    Las filas nuevas se agregan en Python (cliente × ventana) y cada grupo tocado es **un upsert**
    en ``reporte<suffix>``: suma su conteo y su total a lo que ya había. Devuelve ``RunStats``; su
    ``last_id`` es el punto de partida de la corrida siguiente.
    """
    scan = paginate_keyset(connection, READ_NEW_SQL, page_size, {"last_id": last_id})
    scan_rows = scan.rows
    window_ms = window_s * 1000
    groups: dict[tuple[str, int], list[int]] = {}
    bad = []
    for row in scan_rows:
        reason = reject_reason(row["cliente"], row["monto"])
        if reason is not None:
            bad.append((row["id"], row["cliente"], row["monto"], row["ts"], reason))
            continue
        group = groups.setdefault((row["cliente"], window_start(row["ts"], window_ms)), [0, 0])
        group[0] += 1
        group[1] += row["monto"]
    connection.executemany(
        f"INSERT INTO reporte{suffix} (cliente, window_start, facturas, total) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (cliente, window_start) DO UPDATE SET "
        "facturas = facturas + excluded.facturas, total = total + excluded.total",
        [(c, w, n, t) for (c, w), (n, t) in groups.items()])
    connection.executemany(f"INSERT INTO rechazados{suffix} VALUES (?, ?, ?, ?, ?)", bad)
    connection.commit()
    ids = [row["id"] for row in scan_rows]
    return RunStats(last_id=ids[-1] if ids else last_id, rows_read=len(ids), pages=scan.pages,
                    upserts=len(groups), rejected=len(bad), ids=ids)


def read_report(connection: sqlite3.Connection, *, window_s: int = WINDOW_S,
                suffix: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """El reporte y los rechazados de la base, en la forma común de las dos canalizaciones.

    Reporte: ``REPORT_COLUMNS`` ordenado por cliente y ventana. Rechazados: ``REJECTED_COLUMNS``
    ordenado por ``id``.
    """
    import pandas as pd

    report = pd.read_sql_query(
        f"SELECT cliente, window_start AS window_start_ms, window_start + {window_s * 1000} "
        f"AS window_end_ms, facturas, total FROM reporte{suffix}", connection)
    rejected = pd.read_sql_query(f"SELECT id, cliente, monto, ts, motivo FROM rechazados{suffix}",
                                 connection)
    return normalize(report, rejected)


def normalize(report: pd.DataFrame, rejected: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ordena y tipa un reporte y sus rechazados para compararlos fila por fila."""
    report = report[REPORT_COLUMNS].astype({c: "int64" for c in REPORT_COLUMNS[1:]})
    rejected = rejected[REJECTED_COLUMNS].astype({"id": "int64", "monto": "int64", "ts": "int64"})
    return (report.sort_values(["cliente", "window_start_ms"], ignore_index=True),
            rejected.sort_values("id", ignore_index=True))


@dataclass(frozen=True)
class BatchResult:
    """El resultado de ``run_batches``: reporte, rechazados y cuánto trabajo costó."""

    report: pd.DataFrame
    rejected: pd.DataFrame
    runs: list[RunStats]
    inserts: int
    load_seconds: float
    seconds: float

    @property
    def upserts(self) -> int:
        """Escrituras al reporte: un upsert por grupo (cliente × ventana) tocado en cada corrida."""
        return sum(r.upserts for r in self.runs)


def run_batches(events: Sequence[Mapping[str, Any]], *, runs: int = 10, window_s: int = WINDOW_S,
                page_size: int = PAGE_SIZE,
                connection: sqlite3.Connection | None = None) -> BatchResult:
    """La canalización por lotes completa sobre ``events``, con ``runs`` corridas programadas.

    Los eventos llegan a la base en ``runs`` tandas iguales (en orden de ``id``) y tras cada tanda
    corre ``batch_run``: así cada corrida lee solo lo nuevo, como un cron. ``load_seconds`` es el
    tiempo de los *inserts* de origen; ``seconds``, el de las corridas. Sin ``connection`` usa una
    base SQLite en memoria.
    """
    if runs < 1:
        raise ValueError("runs debe ser al menos 1")
    connection = connection or sqlite3.connect(":memory:")
    create_source(connection)
    create_destination(connection)
    size = -(-len(events) // runs) if events else 0
    stats, inserts, load_s, run_s, last_id = [], 0, 0.0, 0.0, 0
    for n in range(runs):
        start = time.perf_counter()
        inserts += insert_events(connection, events[n * size:(n + 1) * size])
        load_s += time.perf_counter() - start
        start = time.perf_counter()
        stats.append(batch_run(connection, last_id, window_s=window_s, page_size=page_size))
        run_s += time.perf_counter() - start
        last_id = stats[-1].last_id
    report, rejected = read_report(connection, window_s=window_s)
    return BatchResult(report, rejected, stats, inserts, load_s, run_s)


def batch_report(events: Sequence[Mapping[str, Any]], *, runs: int = 10, window_s: int = WINDOW_S,
                 page_size: int = PAGE_SIZE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contrato del *bench*: ``(reporte, rechazados)`` de la canalización por lotes.

    Reporte: cliente × ventana de ``window_s`` con ``facturas`` y ``total`` (``REPORT_COLUMNS``);
    rechazados: cada factura mala con su ``motivo`` (``REJECTED_COLUMNS``). Igual, fila por fila, a
    ``flink_report`` sobre los mismos eventos. Para el costo (corridas, escrituras, tiempos) usa
    ``run_batches``.
    """
    result = run_batches(events, runs=runs, window_s=window_s, page_size=page_size)
    return result.report, result.rejected
