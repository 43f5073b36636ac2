"""El clúster por dentro (cuaderno 09): quién hizo qué, cómo cambió el estado del job y cuánto pesa.

- ``wait_for_state`` / ``wait_for_tasks_running`` / ``job_times``: esperar un estado por la API
  REST (sin ``sleep`` fijos) y leer cuándo entró el *job* a cada estado.
- ``subtasks``: los registros leídos y escritos por cada subtarea, y en qué TaskManager corrió
  (``/jobs/:jid/vertices/:vid``).
- ``StateSampler``: un hilo que anota el estado del *job* cada ``every_s`` segundos (la línea de
  tiempo RUNNING → RESTARTING → RUNNING).
- ``produce_ids_paced`` / ``wait_for_committed_ids``: escribe ``{"id": n}`` repartidos en las
  particiones, a un ritmo fijo, y espera a que un lector ``read_committed`` los vea todos.
- ``stack_rss_mb`` / ``PeakMemory``: la memoria residente (RSS, de ``/proc``) de toda la pila.
- ``sizing_problems``: qué le falta a un plan de ranuras, paralelismo y particiones.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import flink_cluster, kafka_local
from helpers.flink_cluster import ClusterConfig
from helpers.recovery import read_ids
from helpers.topics import produce_json

FINAL_STATES = frozenset({"FINISHED", "FAILED", "CANCELED"})
STARTING_STATES = ("CREATED", "SCHEDULED", "DEPLOYING", "INITIALIZING")


def wait_for_state(config: ClusterConfig, job_id: str, states: set[str] | frozenset[str],
                   timeout_s: float = 120.0, every_s: float = 0.1) -> str:
    """Espera (preguntando a la API REST) a que el *job* llegue a uno de ``states``; lo devuelve.

    Falla si pasa ``timeout_s`` o si el *job* termina en otro estado final (con su excepción).
    """
    deadline = time.monotonic() + timeout_s
    state = "?"
    while time.monotonic() < deadline:
        state = flink_cluster.rest(config, f"/jobs/{job_id}")["state"]
        if state in states:
            return state
        if state in FINAL_STATES:
            error = flink_cluster.rest(config, f"/jobs/{job_id}/exceptions").get("root-exception")
            raise RuntimeError(f"El job {job_id} terminó en {state}, no en {sorted(states)}:\n"
                               f"{str(error)[:1500]}")
        time.sleep(every_s)
    raise TimeoutError(f"El job {job_id} siguió en {state} {timeout_s:.0f} s "
                       f"(esperaba {sorted(states)}). Mira la consola web: {config.rest_url}")


def wait_for_tasks_running(config: ClusterConfig, job_id: str, timeout_s: float = 120.0,
                           every_s: float = 0.1) -> float:
    """Espera a que **todas** las subtareas del *job* estén en ``RUNNING``; da cuánto esperó (s).

    El *job* pasa a ``RUNNING`` en cuanto el JobManager lo acepta; sus subtareas todavía se están
    desplegando (``SCHEDULED``, ``DEPLOYING``, ``INITIALIZING``) y no tienen TaskManager asignado.
    """
    began = time.monotonic()
    wait_for_state(config, job_id, {"RUNNING"}, timeout_s, every_s)
    while time.monotonic() - began < timeout_s:
        vertices = flink_cluster.rest(config, f"/jobs/{job_id}")["vertices"]
        if all(v["tasks"]["RUNNING"] == v["parallelism"] for v in vertices):
            return time.monotonic() - began
        time.sleep(every_s)
    raise TimeoutError(f"Las subtareas del job {job_id} no llegaron a RUNNING en "
                       f"{timeout_s:.0f} s. Mira la consola web: {config.rest_url}")


def job_times(config: ClusterConfig, job_id: str) -> dict[str, float]:
    """Segundos desde que se creó el *job* hasta que entró a cada estado (``RUNNING``, ...)."""
    stamps = flink_cluster.rest(config, f"/jobs/{job_id}")["timestamps"]
    created = stamps["CREATED"]
    return {state: (ms - created) / 1000 for state, ms in stamps.items() if ms > 0}


def subtasks(config: ClusterConfig, job_id: str) -> pd.DataFrame:
    """Una fila por subtarea de cada vértice del *job*.

    Columnas: ``vertice`` (número, en el orden del plan), ``operadores`` (el nombre del vértice),
    ``subtarea``, ``taskmanager`` (su ResourceID), ``leidos``, ``escritos``, ``intento`` y
    ``arranque_s`` (cuánto tardó en llegar a RUNNING: creada, programada, desplegándose e
    inicializándose) y ``running_s`` (cuánto estuvo en RUNNING).

    Los registros de un *job* que corre los junta el JobManager cada
    ``metrics.fetcher.update-interval`` (10 s): para conteos finales, léelos cuando termine.
    """
    rows = []
    for number, vertex in enumerate(flink_cluster.rest(config, f"/jobs/{job_id}")["vertices"]):
        detail = flink_cluster.rest(config, f"/jobs/{job_id}/vertices/{vertex['id']}")
        for sub in detail["subtasks"]:
            durations = sub.get("status-duration", {})
            rows.append({
                "vertice": number, "operadores": vertex["name"], "subtarea": sub["subtask"],
                "taskmanager": sub.get("taskmanager-id", "?"),
                "leidos": sub["metrics"]["read-records"],
                "escritos": sub["metrics"]["write-records"], "intento": sub["attempt"],
                "arranque_s": sum(durations.get(state, 0) for state in STARTING_STATES) / 1000,
                "running_s": durations.get("RUNNING", 0) / 1000,
            })
    return pd.DataFrame(rows)


@dataclass
class StateSampler:
    """Mientras dura el ``with``, anota cada ``every_s`` s el estado del *job* ``job_id``.

    ``samples`` queda con columnas ``t`` (segundos de época) y ``estado``; ``changes`` solo con
    las filas donde el estado cambió.
    """

    config: ClusterConfig
    job_id: str
    every_s: float = 0.1
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> StateSampler:
        self._thread = threading.Thread(target=self._loop, daemon=True, name="state-sampler")
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                state = flink_cluster.rest(self.config, f"/jobs/{self.job_id}",
                                           timeout_s=2.0)["state"]
            except OSError:
                state = "SIN RESPUESTA"
            self._rows.append({"t": time.time(), "estado": state})
            self._stop.wait(self.every_s)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def samples(self) -> pd.DataFrame:
        return pd.DataFrame(self._rows, columns=["t", "estado"])

    @property
    def changes(self) -> pd.DataFrame:
        frame = self.samples
        return frame[frame["estado"] != frame["estado"].shift()].reset_index(drop=True)


def produce_ids_paced(topic: str, first: int, last: int, per_second: float, partitions: int,
                      bootstrap: str | None = None) -> int:
    """Escribe ``{"id": first}`` … ``{"id": last}`` a ``per_second`` por segundo; da cuántos.

    El ``id`` n va a la partición ``n % partitions``. Envía en tandas de una décima de segundo,
    como una fuente que no para: así un *job* sin fin tiene trabajo mientras lo miras.
    """
    batch = max(1, int(per_second / 10))
    began, sent = time.monotonic(), 0
    for start in range(first, last + 1, batch):
        ids = range(start, min(start + batch, last + 1))
        sent += produce_json(topic, ({"id": n} for n in ids),
                             partition=lambda e: e["id"] % partitions, bootstrap=bootstrap,
                             linger_ms=5)
        ahead = began + sent / per_second - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return sent


def wait_for_committed_ids(topic: str, count: int, timeout_s: float = 180.0,
                           bootstrap: str | None = None) -> float:
    """Espera a que un lector ``read_committed`` vea los ``count`` ids distintos; da cuánto esperó.

    No basta mirar el offset final: cada transacción confirmada deja además un marcador que ocupa
    un offset, así que el offset llega a ``count`` antes que los registros.
    """
    began = time.monotonic()
    while len(set(read_ids(topic, "read_committed", bootstrap))) < count:
        if time.monotonic() - began > timeout_s:
            raise TimeoutError(f"Un lector read_committed no vio los {count} ids de {topic!r} en "
                               f"{timeout_s:.0f} s: mira la pestaña Exceptions del job en la "
                               "consola web.")
        time.sleep(0.5)
    return time.monotonic() - began


# --- Memoria -------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    """Todos los descendientes de ``pid`` (hijos, nietos...) según ``/proc``."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def stack_rss_mb(config: ClusterConfig, notebook_pid: int) -> dict[str, float]:
    """RSS en MB de cada parte de la pila: broker, JobManager, TaskManagers (con sus hijos, p. ej.
    trabajadores de Python) y el cuaderno (su proceso y sus hijos, como la JVM de PyFlink)."""
    running = flink_cluster.processes(config)
    broker = kafka_local.running_pid()
    parts = {"broker de Kafka": _rss_mb(broker) if broker else 0.0}
    parts["JobManager"] = sum(_rss_mb(pid) for pid in running["JobManager"])
    parts["TaskManagers"] = sum(_rss_mb(p) for pid in running["TaskManager"]
                                for p in [pid, *_children(pid)])
    parts["cuaderno"] = sum(_rss_mb(p) for p in [notebook_pid, *_children(notebook_pid)])
    return parts


@dataclass
class PeakMemory:
    """Un hilo que mide ``stack_rss_mb`` cada ``every_s`` s y guarda el mayor total (``peak``)."""

    config: ClusterConfig
    notebook_pid: int
    every_s: float = 1.0
    peak: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> PeakMemory:
        threading.Thread(target=self._loop, daemon=True, name="peak-memory").start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            parts = stack_rss_mb(self.config, self.notebook_pid)
            if sum(parts.values()) > sum(self.peak.values()):
                self.peak = parts

    def stop(self) -> dict[str, float]:
        """Deja de medir y devuelve el reparto del momento de mayor memoria."""
        self._stop.set()
        return self.peak


# --- Dimensionar ---------------------------------------------------------------


def sizing_problems(plan: dict[str, int], load_per_s: int, per_subtask_per_s: int,
                    headroom: float, slots_per_tm: int) -> list[str]:
    """Lo que falla en ``plan`` (claves ``particiones``, ``paralelismo``, ``taskmanagers``).

    Reglas: el paralelismo aguanta la carga con holgura; cada subtarea de la fuente tiene al menos
    una partición y todas el mismo número; hay ranuras para el paralelismo **aun sin un
    TaskManager**. Lista vacía = el plan sirve.
    """
    parts, par, tms = plan["particiones"], plan["paralelismo"], plan["taskmanagers"]
    problems = []
    need = load_per_s * (1 + headroom)
    if par * per_subtask_per_s < need:
        problems.append(f"{par} subtareas × {per_subtask_per_s:,} ev/s = "
                        f"{par * per_subtask_per_s:,} ev/s no cubren {need:,.0f} ev/s "
                        f"(la carga más {headroom:.0%} de holgura)")
    if parts < par:
        problems.append(f"{parts} particiones para {par} subtareas: {par - parts} subtareas de "
                        "la fuente se quedan ociosas (una partición la lee una sola subtarea)")
    elif parts % par:
        problems.append(f"{parts} particiones no se reparten parejo entre {par} subtareas: unas "
                        "leen más que otras y la más cargada marca el ritmo")
    if (tms - 1) * slots_per_tm < par:
        problems.append(f"con {tms} TaskManagers de {slots_per_tm} ranuras, si muere uno quedan "
                        f"{(tms - 1) * slots_per_tm} ranuras para {par} subtareas: el job no "
                        "podría reiniciar hasta que vuelva")
    return problems
