"""Costo contra frescura (cuaderno 08): de las cifras medidas a «¿lotes o streaming?».

- ``cold_batch_run``: una corrida de lotes como la lanza un cron mínimo, en un proceso de Python
  nuevo: arrancar el intérprete, importar ``sqlite3`` y la regla de negocio (nada de pandas ni
  kafka-python), abrir la base, crear las tablas del reporte, leer lo nuevo y escribirlo. Su CPU-s
  la cuenta el sistema operativo (``getrusage`` de los hijos), no una estimación.
- ``batch_cost_per_hour`` / ``stream_cost_per_hour``: CPU-s por hora a un ritmo de eventos, con las
  piezas medidas (costo fijo por corrida, costo por evento, costo ocioso por minuto).
- ``break_even_interval``: el intervalo del cron en el que los lotes cuestan lo mismo que el job
  siempre encendido; con intervalos más largos ganan los lotes, más cortos, streaming.
- ``decision_table``: para varias frescuras pedidas, qué cuesta cada camino y cuál conviene.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

# Un cron mínimo: solo sqlite3 y la regla de negocio (ni pandas ni kafka-python ni PyFlink).
_CRON_RUN = """
import sys
from helpers.head_to_head.batch_side import batch_run, create_destination, open_db
connection = open_db(sys.argv[1])
create_destination(connection, "_cron")
stats = batch_run(connection, 0, suffix="_cron")
print(stats.rows_read)
"""


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_batch_run(db: str | Path) -> tuple[float, float, int]:
    """Corre una corrida de lotes sobre ``db`` en un proceso nuevo: ``(CPU-s, segundos, filas)``.

    Lee todas las facturas de ``db`` (tabla ``facturas``) y escribe ``reporte_cron``.
    """
    cpu_before, began = _children_cpu_s(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CRON_RUN, str(db)], capture_output=True,
                          text=True, check=False)
    wall, cpu = time.perf_counter() - began, _children_cpu_s() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"La corrida de lotes en un proceso nuevo falló:\n{done.stderr[-1500:]}")
    return cpu, wall, int(done.stdout.strip().splitlines()[-1])


def batch_cost_per_hour(every_s: float, *, fixed_cpu_s: float, cpu_per_event: float,
                        rate_per_s: float) -> float:
    """CPU-s por hora de un cron cada ``every_s`` s: corridas × costo fijo + eventos × costo."""
    return 3600 / every_s * fixed_cpu_s + cpu_per_event * rate_per_s * 3600


def stream_cost_per_hour(*, idle_cpu_per_min: float, cpu_per_event: float,
                         rate_per_s: float) -> float:
    """CPU-s por hora de un job siempre encendido: su costo ocioso + eventos × costo por evento."""
    return idle_cpu_per_min * 60 + cpu_per_event * rate_per_s * 3600


def break_even_interval(*, fixed_cpu_s: float, batch_cpu_per_event: float,
                        stream_cost_hour: float, rate_per_s: float) -> float | None:
    """El intervalo del cron (s) en el que lotes y streaming cuestan lo mismo por hora.

    ``None`` si los lotes cuestan más que streaming con cualquier intervalo (su costo por evento
    ya supera todo lo que cuesta streaming).
    """
    variable = batch_cpu_per_event * rate_per_s * 3600
    if stream_cost_hour <= variable:
        return None
    return 3600 * fixed_cpu_s / (stream_cost_hour - variable)


def decision_table(freshness_s: Sequence[float], *, fixed_cpu_s: float, batch_cpu_per_event: float,
                   batch_run_s: float, stream_cost_hour: float, stream_freshness_s: float,
                   rate_per_s: float) -> pd.DataFrame:
    """Para cada frescura pedida (s): el cron que la cumple, su costo, el de streaming y quién gana.

    El cron que cumple una frescura ``F`` corre cada ``F − batch_run_s`` s (la corrida también
    tarda), y no puede correr más seguido que lo que dura una corrida. Streaming la cumple si ``F``
    no es menor que su frescura medida. Si solo uno la cumple, gana ese; si ninguno, lo dice.
    """
    rows = []
    for wanted in freshness_s:
        every = wanted - batch_run_s
        batch_ok, stream_ok = every >= batch_run_s, wanted >= stream_freshness_s
        batch = (batch_cost_per_hour(every, fixed_cpu_s=fixed_cpu_s,
                                     cpu_per_event=batch_cpu_per_event, rate_per_s=rate_per_s)
                 if batch_ok else float("nan"))
        stream = stream_cost_hour if stream_ok else float("nan")
        if not (batch_ok or stream_ok):
            winner = "ninguno (más rápido que ambos)"
        elif not batch_ok or (stream_ok and stream < batch):
            winner = "streaming"
        else:
            winner = "lotes"
        rows.append({"frescura pedida (s)": wanted,
                     "cron cada (s)": round(every, 1) if batch_ok else None,
                     "lotes CPU-s/h": round(batch, 1), "streaming CPU-s/h": round(stream, 1),
                     "conviene": winner})
    return pd.DataFrame(rows)
