"""Lo que cuesta una canalización, leído del sistema operativo (``/proc``), no estimado.

- **CPU-s** (segundos de CPU): tiempo de usuario + de sistema (``utime`` + ``stime`` de
  ``/proc/<pid>/stat``) de un proceso y de **todos** sus descendientes. Con PyFlink eso importa:
  la JVM es hija del proceso de Python, y en modo ``process`` los trabajadores de Python de las UDF
  son hijos de la JVM. Los hijos que ya terminaron y fueron recogidos (``wait``) suman su tiempo al
  padre en ``cutime`` + ``cstime``: también se cuentan, así no se pierde nada. Dos núcleos al 100 %
  durante 10 s son 20 CPU-s.
- **RSS pico**: el máximo, entre las muestras, de la memoria residente (``VmRSS``) sumada sobre el
  árbol de procesos; y, por proceso, su propio máximo (``VmHWM``), que el kernel anota aunque caiga
  entre dos muestras.
- El **broker** es otro proceso (no es hijo de nadie del curso); su pid lo da
  ``helpers.kafka_local.running_pid()``. Se mide aparte con ``extra_pids``.

Uso::

    with CostMeter() as meter:          # este proceso y sus hijos (la JVM de PyFlink)
        correr_la_canalizacion()
    meter.result.cpu_s, meter.result.peak_rss_mib

``meter.timeline`` guarda ``(hora, CPU-s acumulados)`` de cada muestra; ``cpu_between`` da lo que
se gastó entre dos horas (p. ej. solo el tramo en que un job procesa registros).
``idle_cpu_per_minute`` mide el costo ocioso: CPU-s por minuto de un job encendido sin datos.
Solo funciona en Linux (lee ``/proc``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def children(pid: int) -> list[int]:
    """Los hijos directos de ``pid`` (de todos sus hilos); vacío si ya no existe."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def process_tree(pid: int) -> dict[int, int]:
    """``pid`` y todos sus descendientes vivos, cada uno con su padre: ``{pid: ppid}``."""
    tree: dict[int, int] = {}
    pending = [(pid, 0)]
    while pending:
        current, parent = pending.pop()
        if current not in tree:
            tree[current] = parent
            pending += [(child, current) for child in children(current)]
    return tree


def cpu_seconds(pid: int, *, reaped: bool = True) -> float:
    """CPU-s de ``pid`` (usuario + sistema); con ``reaped``, más los de sus hijos ya recogidos."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    fields = stat.rpartition(")")[2].split()  # el nombre del programa puede tener espacios
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (campos 14 y 15 de proc(5))
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def memory_kib(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` de ``pid`` en KiB; ``(0, 0)`` si ya no existe."""
    rss = hwm = 0
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0, 0
    for line in lines:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return rss, hwm


def tree_cpu_seconds(pid: int) -> float:
    """CPU-s acumulados por ``pid`` y todo su árbol (vivos y ya recogidos)."""
    return sum(cpu_seconds(p) for p in process_tree(pid))


@dataclass
class Costs:
    """Lo que costó un tramo: CPU-s, memoria pico y duración."""

    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_rss_mib: float = 0.0
    peak_hwm_mib: float = 0.0
    extra_cpu_s: dict[int, float] = field(default_factory=dict)
    processes: int = 0

    @property
    def cores_used(self) -> float:
        """Núcleos ocupados en promedio (CPU-s / segundos de reloj)."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0


class CostMeter:
    """Mide CPU-s y RSS pico de un árbol de procesos mientras dura un ``with``.

    - ``pid``: la raíz del árbol (este proceso si no se indica); debe seguir vivo al salir.
    - ``extra_pids``: otros procesos que se miden aparte (p. ej. el broker), solo su CPU-s.
    - ``interval_s``: cada cuánto un hilo toma una muestra de memoria y de los procesos vivos.

    Cuenta: lo que gastó cada proceso vivo desde que se le vio por primera vez (los que ya existían
    al entrar, desde ese momento); un hijo que terminó y su padre recogió ya está en el ``cutime``
    del padre. Un descendiente cuyo padre también terminó se cuenta con su última muestra
    (aproximación: lo que gastó entre esa muestra y su final se pierde).
    """

    def __init__(self, pid: int | None = None, *, extra_pids: Iterable[int] = (),
                 interval_s: float = 0.2) -> None:
        self.pid = pid or os.getpid()
        self.extra_pids = [p for p in extra_pids if p]
        self.interval_s = interval_s
        self.result = Costs()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._parent: dict[int, int] = {}
        self._hwm: dict[int, int] = {}
        self.timeline: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="costos", daemon=True)

    def _sample(self, baseline: bool = False) -> None:
        rss_total = 0
        cpu_total = 0.0
        with self._lock:
            for pid, parent in process_tree(self.pid).items():
                cpu = cpu_seconds(pid)
                cpu_total += cpu
                self._first.setdefault(pid, cpu if baseline else 0.0)
                self._last[pid] = cpu
                self._parent.setdefault(pid, parent)
                rss, hwm = memory_kib(pid)
                rss_total += rss
                self._hwm[pid] = max(self._hwm.get(pid, 0), hwm)
            self.result.peak_rss_mib = max(self.result.peak_rss_mib, rss_total / 1024)
            self.timeline.append((time.time(), cpu_total))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def __enter__(self) -> CostMeter:
        self._sample(baseline=True)  # lo que ya habían gastado los procesos que existen ahora
        self._extra_start = {p: cpu_seconds(p, reaped=False) for p in self.extra_pids}
        self._began = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.result.wall_s = time.perf_counter() - self._began
        alive = process_tree(self.pid)
        total = 0.0
        for pid, last in self._last.items():
            if pid in alive or self._parent.get(pid) not in alive:
                total += last - self._first[pid]
            else:  # recogido por un padre vivo: su total ya está en el cutime del padre
                total -= self._first[pid]
        self.result.cpu_s = total
        self.result.peak_hwm_mib = sum(self._hwm.values()) / 1024
        self.result.processes = len(self._last)
        self.result.extra_cpu_s = {p: cpu_seconds(p, reaped=False) - start
                                   for p, start in self._extra_start.items()}


def cpu_between(timeline: list[tuple[float, float]], start: float, end: float) -> float:
    """CPU-s que gastó el árbol entre dos horas (``time.time()``), interpolando las muestras.

    ``timeline`` es ``CostMeter.timeline``: ``(hora, CPU-s acumulados de los procesos vivos)``.
    Sirve para separar, dentro de un job, el tramo que procesa registros de su arranque.
    """
    def at(moment: float) -> float:
        before = [(t, c) for t, c in timeline if t <= moment] or timeline[:1]
        after = [(t, c) for t, c in timeline if t >= moment] or timeline[-1:]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (moment - t0) / (t1 - t0)

    if not timeline:
        raise ValueError("La línea de tiempo está vacía: ¿se usó el CostMeter en un with?")
    return at(end) - at(start)


def idle_cpu_per_minute(pids: Iterable[int], seconds: float = 30.0) -> float:
    """CPU-s por minuto que gastan ``pids`` (con sus árboles) durante ``seconds`` sin datos.

    Sirve para el costo ocioso de un job de streaming encendido: arráncalo, espera a que esté
    ``RUNNING`` sin eventos nuevos, y mide.
    """
    roots = list(pids)
    before = sum(tree_cpu_seconds(p) for p in roots)
    time.sleep(seconds)
    after = sum(tree_cpu_seconds(p) for p in roots)
    return (after - before) * 60.0 / seconds
