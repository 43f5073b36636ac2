"""ETL por lotes «a la antigua», con un reloj simulado: la base de origen, la paginación y el cron.

Piezas (el cuaderno 01 las usa; las consultas SQL y las reglas del negocio quedan en el cuaderno):

- ``Source``: una tabla de SQLite que se va llenando según el ``arrival_time`` de cada fila,
  como la base transaccional (OLTP) de la que lee el ETL. ``advance_to(t)`` inserta lo que ya
  llegó en el instante ``t``.
- ``paginate_offset`` / ``paginate_keyset``: leer una consulta página por página con
  ``LIMIT/OFFSET`` o por clave (*keyset*: ``WHERE id > :last_id``). ``between_pages`` deja
  que la tabla cambie entre una página y la siguiente, de forma controlada.
- ``audit``: cuántas filas se leyeron dos veces y cuántas se saltaron.
- ``cron_runs`` / ``run_batches``: las corridas del *job* (cada hora, o la cadencia que elijas).
- ``latest_arrived``: el respaldo CSV más reciente que ya estaba en la carpeta a esa hora.
- ``freshness_minutes`` / ``freshness_summary``: la frescura (*freshness*), cuánto tarda un
  evento en aparecer en el reporte: tiempo del reporte − tiempo del evento.
  ``freshness_for_cadence``: la misma cuenta si el cron corriera con otra cadencia.

Todos los instantes son milisegundos UTC (como ``event_time`` y ``arrival_time``).

Importar este módulo solo carga la biblioteca estándar: ``numpy`` y los generadores de
``helpers.sources`` se importan dentro de las funciones que los usan, para que una corrida de
cron en un proceso nuevo (cuaderno 08) no pague importarlos.
"""

from __future__ import annotations

import bisect
import math
import sqlite3
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS

Row = dict[str, Any]
T = TypeVar("T")


class Source:
    """La base de origen simulada: ``events`` entran a ``table`` cuando llega su ``arrival_time``.

    La tabla debe existir (con su ``CREATE TABLE``); cada fila se inserta con las columnas
    ``columns`` de su evento, así que una clave ``INTEGER PRIMARY KEY`` que no esté en
    ``columns`` la numera SQLite en orden de llegada (1, 2, 3...).
    """

    def __init__(self, connection: sqlite3.Connection, table: str,
                 events: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
        from helpers.sources.timing import arrival_order

        self.connection = connection
        self.table = table
        self.columns = tuple(columns)
        self._pending = arrival_order(events)
        self._next = 0
        self.clock: int | None = None

    @property
    def pending(self) -> int:
        """Cuántos eventos todavía no llegan a la tabla."""
        return len(self._pending) - self._next

    def advance_to(self, now_ms: int) -> list[dict[str, Any]]:
        """Inserta los eventos con ``arrival_time <= now_ms`` que faltaban; los devuelve."""
        if self.clock is not None and now_ms < self.clock:
            raise ValueError("El reloj de la base no puede ir hacia atrás")
        self.clock = now_ms
        start = self._next
        while self._next < len(self._pending) and self._pending[self._next]["arrival_time"] <= now_ms:
            self._next += 1
        arrived = [{c: e[c] for c in self.columns} for e in self._pending[start:self._next]]
        if arrived:
            from helpers.sources.sinks import write_sqlite

            write_sqlite(self.connection, self.table, arrived, replace=False)
        return arrived


@dataclass(frozen=True)
class Scan:
    """El resultado de leer por páginas: las filas en el orden leído y cuántas páginas hubo."""

    rows: list[Row]
    pages: int


def _paginate(connection: sqlite3.Connection, query: str, page_size: int,
              page_params: Callable[[int, list[Row]], Mapping[str, Any]],
              between_pages: Callable[[int], Any] | None) -> Scan:
    """El ciclo común: ``page_params(número, página anterior)`` da los parámetros de cada página."""
    if page_size < 1:
        raise ValueError("page_size debe ser al menos 1")
    rows: list[Row] = []
    found: list[Row] = []
    page = 0
    while True:
        if page and between_pages is not None:
            between_pages(page)
        cursor = connection.execute(query, {**page_params(page, found), "page_size": page_size})
        names = [d[0] for d in cursor.description]
        found = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        rows += found
        page += 1
        if len(found) < page_size:
            return Scan(rows, page)


def paginate_offset(connection: sqlite3.Connection, query: str, page_size: int,
                    params: Mapping[str, Any] | None = None,
                    between_pages: Callable[[int], Any] | None = None) -> Scan:
    """Lee ``query`` por páginas con ``LIMIT :page_size OFFSET :offset``.

    ``query`` debe usar esos dos parámetros; ``params`` trae los demás. Antes de leer la
    página ``n`` (n ≥ 1) se llama ``between_pages(n)``: ahí la tabla puede cambiar.
    Termina con la primera página que trae menos de ``page_size`` filas.
    """
    return _paginate(connection, query, page_size,
                     lambda page, _: {**(params or {}), "offset": page * page_size},
                     between_pages)


def paginate_keyset(connection: sqlite3.Connection, query: str, page_size: int,
                    params: Mapping[str, Any], key: str | Sequence[str] = "id",
                    between_pages: Callable[[int], Any] | None = None) -> Scan:
    """Lee ``query`` por páginas con paginación por clave (*keyset*).

    ``query`` filtra con ``:last_<columna>`` para cada columna de ``key`` (p. ej.
    ``WHERE id > :last_id ORDER BY id LIMIT :page_size``) y ``params`` trae sus valores
    iniciales. Tras cada página, ``last_<columna>`` pasa a ser el de la última fila leída.
    ``between_pages`` funciona como en ``paginate_offset``.
    """
    keys = [key] if isinstance(key, str) else list(key)
    if missing := [k for k in keys if f"last_{k}" not in params]:
        raise ValueError(f"Faltan los valores iniciales de {['last_' + k for k in missing]}")

    def after_previous(page: int, previous: list[Row]) -> dict[str, Any]:
        if not page:
            return dict(params)
        return {**params, **{f"last_{k}": previous[-1][k] for k in keys}}

    return _paginate(connection, query, page_size, after_previous, between_pages)


@dataclass(frozen=True)
class Audit:
    """Qué tan bien leyó una paginación: comparada contra las filas que debía leer."""

    read: int
    distinct: int
    duplicated: int
    skipped: int
    duplicated_keys: list[Hashable]
    skipped_keys: list[Hashable]


def audit(read_keys: Iterable[Hashable], expected_keys: Iterable[Hashable]) -> Audit:
    """Compara las claves leídas con las que había que leer.

    ``duplicated`` cuenta las lecturas de más (una fila leída 3 veces suma 2); ``skipped``, las
    claves esperadas que nunca se leyeron. Las listas de claves van ordenadas.
    """
    counts = Counter(read_keys)
    expected = set(expected_keys)
    extra = {k: n - 1 for k, n in counts.items() if n > 1}
    return Audit(read=sum(counts.values()), distinct=len(counts),
                 duplicated=sum(extra.values()), skipped=len(expected - counts.keys()),
                 duplicated_keys=sorted(extra), skipped_keys=sorted(expected - counts.keys()))


def cron_runs(first_ms: int, until_ms: int, every_ms: int = HOUR_MS) -> list[int]:
    """Los instantes en que corre el *job*: ``first_ms``, ``first_ms + every_ms``... hasta
    la primera corrida en o después de ``until_ms`` (así esa corrida ve todo lo que llegó)."""
    if every_ms <= 0:
        raise ValueError("every_ms debe ser positivo")
    count = max(0, math.ceil((until_ms - first_ms) / every_ms)) + 1
    return [first_ms + i * every_ms for i in range(count)]


def run_batches(source: Source, runs: Sequence[int], job: Callable[[int], T]) -> list[T]:
    """El cron: en cada instante de ``runs`` deja llegar las filas a ``source`` y corre ``job``."""
    results = []
    for now in runs:
        source.advance_to(now)
        results.append(job(now))
    return results


def first_run_at_or_after(moment_ms: int, runs: Sequence[int]) -> int | None:
    """La primera corrida de ``runs`` (ordenadas) en o después de ``moment_ms``, o ``None``."""
    index = bisect.bisect_left(runs, moment_ms)
    return runs[index] if index < len(runs) else None


def latest_arrived(folder: str | Path, prefix: str, now_ms: int) -> Path | None:
    """El archivo ``<prefix>_*.csv`` de ``folder`` más reciente que ya había llegado en ``now_ms``.

    «Llegó» = su fecha de modificación (``mtime``) es ``<= now_ms``; así marca
    ``respaldos.write_dumps`` la llegada de cada respaldo.
    """
    arrived = [(round(p.stat().st_mtime_ns / 1_000_000), p.name, p)
               for p in Path(folder).glob(f"{prefix}_*.csv")]
    arrived = [a for a in arrived if a[0] <= now_ms]
    return max(arrived)[2] if arrived else None


def freshness_minutes(event_ms: Sequence[int], report_ms: Sequence[int]) -> list[float]:
    """La frescura de cada evento en minutos: ``(reporte − evento) / 60 000``."""
    return [(r - e) / MINUTE_MS for e, r in zip(event_ms, report_ms, strict=True)]


def freshness_for_cadence(events: Iterable[Mapping[str, Any]], every_ms: int, *,
                          first_ms: int) -> list[float]:
    """La frescura (minutos) de ``events`` si el *job* corriera cada ``every_ms`` desde ``first_ms``.

    Cada evento aparece en la primera corrida en o después de su ``arrival_time`` (así trabaja
    ``run_batches``); se supone que cada corrida termina al instante.
    """
    events = list(events)
    runs = cron_runs(first_ms, max(e["arrival_time"] for e in events), every_ms)
    reports = [first_run_at_or_after(e["arrival_time"], runs) for e in events]
    return freshness_minutes([e["event_time"] for e in events], reports)  # type: ignore[arg-type]


def percentile(values: Sequence[float], q: float) -> float:
    """El percentil ``q`` (0–100) con interpolación lineal, como ``numpy`` y ``pandas``."""
    if not values:
        raise ValueError("No hay valores")
    import numpy as np

    return float(np.percentile(values, q))


def freshness_summary(minutes: Sequence[float]) -> dict[str, float]:
    """Mediana, p95 y máximo de la frescura (minutos, redondeados a décimas)."""
    return {"mediana_min": round(percentile(minutes, 50), 1),
            "p95_min": round(percentile(minutes, 95), 1),
            "max_min": round(max(minutes), 1)}
