"""El clúster por dentro (cuaderno 09): quién hizo qué, cómo cambió el estado del job y cuánto pesa.

- ``wait_for_state`` / ``wait_for_tasks_running`` / ``job_times``: esperar un estado por la API
  REST (sin ``sleep`` fijos) y leer cuándo entró el *job* a cada estado.
- ``subtasks``: los registros leídos y escritos por cada subtarea, y en qué TaskManager corrió
  (``/jobs/:jid/vertices/:vid``).
- ``StateSampler``: un hilo que anota el estado del *job* cada ``every_s`` segundos (la línea de
  tiempo RUNNING → RESTARTING → RUNNING).
- ``produce_ids_paced`` / ``wait_for_committed_ids``: escribe ``{"id": n}`` repartidos en las
  particiones, a un ritmo fijo, y espera a que un lector ``read_committed`` los vea todos.
- ``not_yet_committed`` / ``wait_for_not_yet_committed``: cuántos registros escritos aún no ve
  un lector ``read_committed`` (para matar un TaskManager cuando hay transacciones abiertas).
- ``checkpoints`` / ``wait_for_checkpoints``: los *checkpoints* completados y su duración
  (``/jobs/:jid/checkpoints``), y esperar al primero.
- ``stack_rss_mb`` / ``PeakMemory``: la memoria de toda la pila (viven en ``helpers.stack_memory``).
- ``sizing_problems``: qué le falta a un plan de ranuras, paralelismo y particiones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from helpers import flink_cluster
from helpers.flink_cluster import ClusterConfig
from helpers.recovery import read_ids
from helpers.stack_memory import PeakMemory, stack_rss_mb  # noqa: F401  (cluster_lab.PeakMemory)
from helpers.topics import produce_json

FINAL_STATES = frozenset({"FINISHED", "FAILED", "CANCELED"})
T = TypeVar("T")
STARTING_STATES = ("CREATED", "SCHEDULED", "DEPLOYING", "INITIALIZING")


def _poll(probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float, every_s: float,
          failure: Callable[[T], str]) -> T:
    """Llama ``probe()`` cada ``every_s`` s hasta que ``done(valor)``; da ese valor.

    Pasados ``timeout_s`` s lanza ``TimeoutError(failure(último valor))``. Todas las esperas de este
    módulo son esta, con su pregunta y su mensaje.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(failure(value))
        time.sleep(every_s)


def wait_for_state(config: ClusterConfig, job_id: str, states: set[str] | frozenset[str],
                   timeout_s: float = 120.0, every_s: float = 0.1) -> str:
    """Espera (preguntando a la API REST) a que el *job* llegue a uno de ``states``; lo devuelve.

    Falla si pasa ``timeout_s`` o si el *job* termina en otro estado final (con su excepción).
    """
    def arrived(state: str) -> bool:
        if state not in states and state in FINAL_STATES:
            error = flink_cluster.rest(config, f"/jobs/{job_id}/exceptions").get("root-exception")
            raise RuntimeError(f"El job {job_id} terminó en {state}, no en {sorted(states)}:\n"
                               f"{str(error)[:1500]}")
        return state in states

    return _poll(lambda: flink_cluster.rest(config, f"/jobs/{job_id}")["state"], arrived,
                 timeout_s, every_s,
                 lambda state: f"El job {job_id} siguió en {state} {timeout_s:.0f} s (esperaba "
                               f"{sorted(states)}). Mira la consola web: {config.rest_url}")


def wait_for_tasks_running(config: ClusterConfig, job_id: str, timeout_s: float = 120.0,
                           every_s: float = 0.1) -> float:
    """Espera a que **todas** las subtareas del *job* estén en ``RUNNING``; da cuánto esperó (s).

    El *job* pasa a ``RUNNING`` en cuanto el JobManager lo acepta; sus subtareas todavía se están
    desplegando (``SCHEDULED``, ``DEPLOYING``, ``INITIALIZING``) y no tienen TaskManager asignado.
    """
    began = time.monotonic()
    wait_for_state(config, job_id, {"RUNNING"}, timeout_s, every_s)
    _poll(lambda: flink_cluster.rest(config, f"/jobs/{job_id}")["vertices"],
          lambda vertices: all(v["tasks"]["RUNNING"] == v["parallelism"] for v in vertices),
          timeout_s - (time.monotonic() - began), every_s,
          lambda _: f"Las subtareas del job {job_id} no llegaron a RUNNING en "
                    f"{timeout_s:.0f} s. Mira la consola web: {config.rest_url}")
    return time.monotonic() - began


def job_times(config: ClusterConfig, job_id: str) -> dict[str, float]:
    """Segundos desde que el JobManager recibió el *job* (su primer estado, ``INITIALIZING``)
    hasta que entró a cada estado (``RUNNING``, ``FINISHED``...), según ``timestamps``."""
    stamps = {state: ms for state, ms in
              flink_cluster.rest(config, f"/jobs/{job_id}")["timestamps"].items() if ms > 0}
    received = min(stamps.values())
    return {state: (ms - received) / 1000 for state, ms in stamps.items()}


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


def _paced(first: int, last: int, per_second: float) -> Iterator[dict[str, int]]:
    """``{"id": first}`` … ``{"id": last}``, soltados a ``per_second`` por segundo."""
    began = time.monotonic()
    for number in range(first, last + 1):
        ahead = began + (number - first) / per_second - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        yield {"id": number}


def produce_ids_paced(topic: str, first: int, last: int, per_second: float, partitions: int,
                      bootstrap: str | None = None) -> int:
    """Escribe ``{"id": first}`` … ``{"id": last}`` a ``per_second`` por segundo; da cuántos.

    El ``id`` n va a la partición ``n % partitions``. Un solo productor de Kafka para todo el
    envío (abrir uno por tanda lo frenaría): así un *job* sin fin tiene trabajo mientras lo miras.
    """
    return produce_json(topic, _paced(first, last, per_second),
                        partition=lambda e: e["id"] % partitions, bootstrap=bootstrap,
                        linger_ms=5)


def not_yet_committed(topic: str, partitions: int, bootstrap: str | None = None) -> dict[int, int]:
    """Por partición de origen (``id % partitions``): cuántos ids de ``topic`` ve un lector
    ``read_uncommitted`` que un lector ``read_committed`` todavía no ve (escritos en una
    transacción abierta, o detrás de una abierta)."""
    pending = set(read_ids(topic, "read_uncommitted", bootstrap)) - set(
        read_ids(topic, "read_committed", bootstrap))
    counts = dict.fromkeys(range(partitions), 0)
    for number in pending:
        counts[number % partitions] += 1
    return counts


def wait_for_not_yet_committed(topic: str, at_least: int, partitions: int,
                               timeout_s: float = 60.0, bootstrap: str | None = None
                               ) -> dict[int, int]:
    """Espera a que **cada** partición de origen tenga ``at_least`` ids sin confirmar en
    ``topic`` (``not_yet_committed``); da ese conteo. Así, mates la subtarea que mates, deja
    registros escritos que su transacción no llegó a confirmar."""
    return _poll(lambda: not_yet_committed(topic, partitions, bootstrap),
                 lambda counts: min(counts.values()) >= at_least, timeout_s, 0.1,
                 lambda counts: f"En {timeout_s:.0f} s ninguna lectura de {topic!r} mostró "
                                f"{at_least} ids sin confirmar por partición (la última: {counts})."
                                " ¿El productor ya terminó, o los checkpoints son muy seguidos?")


def wait_for_checkpoints(config: ClusterConfig, job_id: str, completed: int = 1,
                         timeout_s: float = 60.0) -> int:
    """Espera a que el *job* tenga ``completed`` *checkpoints* completados; da cuántos hay.

    Lee ``/jobs/:jid/checkpoints``. Antes del primero, una falla no tiene desde dónde recuperarse.
    """
    def completed_now() -> int:
        return flink_cluster.rest(config, f"/jobs/{job_id}/checkpoints")["counts"]["completed"]

    return _poll(completed_now, lambda done: done >= completed, timeout_s, 0.1,
                 lambda done: f"El job {job_id} completó {done} checkpoints en {timeout_s:.0f} s "
                              f"(esperaba {completed}): mira la pestaña Checkpoints en "
                              f"{config.rest_url}")


def checkpoints(config: ClusterConfig, job_id: str) -> tuple[dict[str, int], pd.DataFrame]:
    """Los *checkpoints* del *job* según ``/jobs/:jid/checkpoints``.

    Da los conteos (``completados``, ``fallidos``, ``en_curso``...) y una tabla con ``id``,
    ``estado``, ``inicio`` (segundos de época) y ``duracion_s`` (de disparado a confirmado por
    todas las subtareas). El JobManager guarda solo los últimos (``web.checkpoints.history``).
    """
    data = flink_cluster.rest(config, f"/jobs/{job_id}/checkpoints")
    names = {"completed": "completados", "failed": "fallidos", "in_progress": "en_curso",
             "restored": "restaurados", "total": "total"}
    counts = {names[k]: v for k, v in data["counts"].items() if k in names}
    rows = [{"id": c["id"], "estado": c["status"], "inicio": c["trigger_timestamp"] / 1000,
             "duracion_s": c["end_to_end_duration"] / 1000} for c in data["history"]]
    table = pd.DataFrame(rows, columns=["id", "estado", "inicio", "duracion_s"])
    return counts, table.sort_values("id", ignore_index=True)


def wait_for_committed_ids(topic: str, count: int, timeout_s: float = 180.0,
                           bootstrap: str | None = None) -> float:
    """Espera a que un lector ``read_committed`` vea los ``count`` ids distintos; da cuánto esperó.

    No basta mirar el offset final: cada transacción confirmada deja además un marcador que ocupa
    un offset, así que el offset llega a ``count`` antes que los registros.
    """
    began = time.monotonic()
    _poll(lambda: len(set(read_ids(topic, "read_committed", bootstrap))),
          lambda seen: seen >= count, timeout_s, 0.5,
          lambda _: f"Un lector read_committed no vio los {count} ids de {topic!r} en "
                    f"{timeout_s:.0f} s: mira la pestaña Exceptions del job en la consola web.")
    return time.monotonic() - began


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
        each, total, needed = (f"{n:,.0f}".replace(",", " ")
                               for n in (per_subtask_per_s, par * per_subtask_per_s, need))
        problems.append(f"{par} subtareas × {each} ev/s = {total} ev/s no cubren {needed} ev/s "
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
