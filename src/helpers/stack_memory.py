"""La memoria residente (RSS, de ``/proc``) de toda la pila del cuaderno 09.

- ``stack_rss_mb``: cuánto ocupa ahora cada parte: broker, JobManager, TaskManagers y cuaderno.
- ``PeakMemory``: un hilo que guarda el momento de mayor memoria mientras corre el cuaderno.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from helpers import flink_cluster, kafka_local
from helpers.flink_cluster import ClusterConfig


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
