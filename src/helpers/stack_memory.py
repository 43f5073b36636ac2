"""La memoria residente (RSS, de ``/proc``) de toda la pila del cuaderno 09.

- ``stack_rss_mb``: cuánto ocupa ahora cada parte: broker, JobManager, TaskManagers y cuaderno.
- ``PeakMemory``: un hilo que guarda el momento de mayor memoria mientras corre el cuaderno.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from helpers import costs, flink_cluster, kafka_local
from helpers.flink_cluster import ClusterConfig


def _tree_rss_mb(pid: int) -> float:
    """RSS en MB de ``pid`` y todos sus descendientes (hijos, nietos...)."""
    return sum(costs.memory_kib(p)[0] for p in costs.process_tree(pid)) / 1024


def stack_rss_mb(config: ClusterConfig, notebook_pid: int) -> dict[str, float]:
    """RSS en MB de cada parte de la pila: broker, JobManager, TaskManagers (con sus hijos, p. ej.
    trabajadores de Python) y el cuaderno (su proceso y sus hijos, como la JVM de PyFlink)."""
    running = flink_cluster.processes(config)
    broker = kafka_local.running_pid()
    parts = {"broker de Kafka": costs.memory_kib(broker)[0] / 1024 if broker else 0.0}
    parts["JobManager"] = sum(costs.memory_kib(pid)[0] for pid in running["JobManager"]) / 1024
    parts["TaskManagers"] = sum(_tree_rss_mb(pid) for pid in running["TaskManager"])
    parts["cuaderno"] = _tree_rss_mb(notebook_pid)
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
