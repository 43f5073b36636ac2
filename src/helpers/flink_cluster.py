"""Un clúster de Flink de verdad (JobManager + TaskManagers) en 127.0.0.1, sin Docker.

Lo arrancan los scripts que ya trae la instalación de PyFlink (``pyflink/bin/jobmanager.sh`` y
``taskmanager.sh``), con una configuración, logs y PIDs propios dentro de ``.flink/cluster``.

Uso desde la terminal::

    python -m helpers.flink_cluster start    # arranca (o reutiliza) y espera a los TaskManagers
    python -m helpers.flink_cluster status   # dice la verdad: procesos, ranuras y jobs
    python -m helpers.flink_cluster logs     # últimas líneas de los logs
    python -m helpers.flink_cluster stop     # detiene solo los procesos que arrancó el curso

Variables de entorno (con sus valores por defecto):

- ``CURSO_FLINK_REST`` (``127.0.0.1:8081``): API REST y consola web del JobManager.
- ``CURSO_FLINK_RPC_PORT`` (6123): puerto RPC del JobManager.
- ``CURSO_FLINK_TASKMANAGERS`` (2) y ``CURSO_FLINK_SLOTS`` (2 por TaskManager).
- ``CURSO_FLINK_DIR`` (``<raíz>/.flink/cluster``): configuración, logs y PIDs.

La configuración (``ClusterConfig``, ``settings``, ``write_conf``...) vive en
``helpers.flink_cluster_conf``; aquí se reexporta, así que ``flink_cluster.ClusterConfig`` sirve
igual. Aquí quedan los procesos, la API REST y las caídas (``kill_taskmanager``,
``replace_lost_taskmanagers``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from helpers import service_cli
from helpers.errors import ClusterStartError, CourseError, PortBusyError
from helpers.flink_cluster_conf import (  # noqa: F401  (se usan como flink_cluster.X)
    HOST,
    JM_MEMORY,
    READY_TIMEOUT_S,
    ROLES,
    STOP_TIMEOUT_S,
    TM_MEMORY,
    ClusterConfig,
    _script_env,
    default_config,
    flink_home,
    settings,
    write_conf,
)
from helpers.kafka_ports import port_is_free

# --- Procesos -------------------------------------------------------------------


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def processes(config: ClusterConfig | None = None) -> dict[str, list[int]]:
    """Los PIDs vivos del clúster del curso, por papel: ``{"JobManager": [...], "TaskManager": [...]}``.

    Solo cuenta procesos cuya línea de comandos usa *nuestra* carpeta de configuración.
    """
    config = config or default_config()
    found: dict[str, list[int]] = {role: [] for role in ROLES.values()}
    for daemon, role in ROLES.items():
        for pid_file in config.pid_dir.glob(f"flink-*-{daemon}.pid"):
            for line in pid_file.read_text().split():
                if line.isdigit() and str(config.conf_dir) in _cmdline(int(line)):
                    found[role].append(int(line))
    return found


def rest_json(url: str, method: str = "GET", timeout_s: float = 5.0) -> Any:
    """Llama a ``url`` (la API REST de un JobManager) y devuelve el JSON de la respuesta."""
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        body = response.read()
    return json.loads(body) if body else None


def rest(config: ClusterConfig, path: str, method: str = "GET", timeout_s: float = 5.0) -> Any:
    """Llama a la API REST del JobManager del clúster del curso y devuelve el JSON."""
    return rest_json(config.rest_url + path, method, timeout_s)


def overview(config: ClusterConfig | None = None) -> dict[str, Any] | None:
    """El resumen del clúster (``/overview``), o ``None`` si el JobManager no responde."""
    config = config or default_config()
    try:
        return rest(config, "/overview", timeout_s=2.0)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def tail_logs(config: ClusterConfig | None = None, lines: int = 20) -> str:
    """Las últimas líneas del log de cada proceso del clúster."""
    config = config or default_config()
    parts = []
    for log in sorted(config.log_dir.glob("flink-*.log")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(parts) or "(el clúster no escribió nada en sus logs)"


def _check_ports(config: ClusterConfig) -> None:
    busy = [(name, port, var) for name, port, var in (
        ("REST y consola web", config.rest_port, "CURSO_FLINK_REST=127.0.0.1:<puerto>"),
        ("RPC del JobManager", config.rpc_port, "CURSO_FLINK_RPC_PORT=<puerto>"),
    ) if not port_is_free(port)]
    if busy:
        listed = ", ".join(f"{port} ({name})" for name, port, _ in busy)
        ports = " ".join(f":{port}" for _, port, _ in busy)
        raise PortBusyError(
            f"Ya hay otro programa en {listed}: ¿otro clúster de Flink?\n"
            f"Averigua cuál con:  ss -ltnp | grep -E '{'|'.join(p[1:] for p in ports.split())}'\n"
            "Detenlo, o usa otros puertos:  "
            + " ".join(var for _, _, var in busy) + " python -m helpers.flink_cluster start"
        )


def _run_script(config: ClusterConfig, script: str, *args: str) -> None:
    result = subprocess.run(
        ["bash", str(flink_home() / "bin" / script), *args],
        env=_script_env(config), capture_output=True, text=True, timeout=120,
        # Una sesión propia, como el broker: si se reinicia el kernel que arrancó el clúster (o
        # nbconvert lo cierra con su grupo de procesos), el clúster sigue hasta  make stop.
        start_new_session=True,
    )
    if result.returncode != 0:
        raise ClusterStartError(
            f"{script} {' '.join(args)} falló:\n{(result.stderr or result.stdout).strip()[-2000:]}"
        )


def _registered(config: ClusterConfig) -> int:
    """Cuántos TaskManagers ya se registraron *con todas sus ranuras* (-1 si no hay JobManager)."""
    info = overview(config)
    if not info:
        return -1
    return min(int(info["taskmanagers"]), int(info["slots-total"]) // config.slots)


def start(config: ClusterConfig | None = None, timeout_s: float = READY_TIMEOUT_S) -> bool:
    """Arranca el clúster (o reutiliza el que corre) y espera a que se registren los TaskManagers.

    Devuelve ``True`` si lo arrancó y ``False`` si ya estaba corriendo completo.
    """
    config = config or default_config()
    running = processes(config)
    if running["JobManager"] and len(running["TaskManager"]) >= config.taskmanagers:
        _wait_ready(config, timeout_s)
        return False
    if running["JobManager"] or running["TaskManager"]:
        stop(config)  # quedó a medias: mejor empezar de cero
    _check_ports(config)
    write_conf(config)
    for stale in config.pid_dir.glob("flink-*.pid"):
        stale.unlink()
    _run_script(config, "jobmanager.sh", "start")
    for _ in range(config.taskmanagers):  # arrancan a la vez; cada uno espera al JobManager
        _run_script(config, "taskmanager.sh", "start")
    _wait_ready(config, timeout_s)
    return True


def _wait_ready(config: ClusterConfig, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        running = processes(config)
        if not running["JobManager"] or len(running["TaskManager"]) < config.taskmanagers:
            raise ClusterStartError(
                "Un proceso del clúster de Flink terminó mientras arrancaba "
                f"({len(running['JobManager'])} JobManager, {len(running['TaskManager'])} de "
                f"{config.taskmanagers} TaskManagers vivos). Últimas líneas de sus logs:\n"
                f"{tail_logs(config)}"
            )
        if _registered(config) >= config.taskmanagers:
            return
        time.sleep(0.5)
    raise ClusterStartError(
        f"Los TaskManagers no se registraron en {timeout_s:.0f} s "
        f"({max(_registered(config), 0)} de {config.taskmanagers}). Últimas líneas de sus logs:\n"
        f"{tail_logs(config)}\n"
        "Prueba  python -m helpers.flink_cluster stop  y vuelve a arrancarlo."
    )


def _wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()]
    return alive


def stop(config: ClusterConfig | None = None, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Detiene solo los procesos del clúster del curso. ``True`` si había alguno."""
    config = config or default_config()
    pids = [pid for group in processes(config).values() for pid in group]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for pid in _wait_gone(pids, timeout_s):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pids, 5.0)
    for pid_file in config.pid_dir.glob("flink-*.pid"):
        pid_file.unlink()
    return bool(pids)


def taskmanager_pids(config: ClusterConfig | None = None) -> dict[str, int]:
    """``{ResourceID: PID}`` de los TaskManagers vivos del curso.

    La API REST nombra a cada TaskManager por su ResourceID (``127.0.0.1:<puerto>-<sufijo>``); el
    script de arranque numera sus logs por la línea de su PID en el archivo de PIDs, y cada log
    dice «Starting TaskManager with ResourceID: ...». Así se sabe qué proceso es cuál.
    """
    config = config or default_config()
    alive = set(processes(config)["TaskManager"])
    found: dict[str, int] = {}
    for pid_file in config.pid_dir.glob("flink-*-taskexecutor.pid"):
        for index, line in enumerate(pid_file.read_text().split()):
            if not line.isdigit() or int(line) not in alive:
                continue
            for log in config.log_dir.glob(f"flink-*-taskexecutor-{index}-*.log"):
                match = re.search(r"ResourceID: (\S+)", log.read_text(errors="replace"))
                if match:
                    found[match.group(1)] = int(line)
    return found


def kill_taskmanager(config: ClusterConfig | None = None, resource_id: str | None = None) -> int:
    """Mata de golpe (SIGKILL) un TaskManager, como si se cayera su máquina. Devuelve su PID.

    ``resource_id`` (como lo da la API REST) elige cuál; sin él, el primero.
    """
    config = config or default_config()
    pids = taskmanager_pids(config)
    if not pids:
        raise CourseError("No hay TaskManagers del curso corriendo: arráncalos con  make cluster")
    if resource_id is not None and resource_id not in pids:
        raise CourseError(f"No hay un TaskManager del curso con ResourceID {resource_id!r}; "
                          f"los vivos son: {', '.join(pids)}")
    pid = pids[resource_id] if resource_id else next(iter(pids.values()))
    os.kill(pid, signal.SIGKILL)
    _wait_gone([pid], 5.0)
    return pid


def replace_lost_taskmanagers(config: ClusterConfig | None = None,
                              timeout_s: float = READY_TIMEOUT_S) -> int:
    """Arranca los TaskManagers que faltan (p. ej. tras ``kill_taskmanager``) sin tocar los vivos.

    Espera a que se registren y devuelve cuántos arrancó. Así el clúster vuelve a tener todas
    sus ranuras sin reiniciar el JobManager ni los *jobs* que corren.
    """
    config = config or default_config()
    if not processes(config)["JobManager"]:
        raise CourseError("No hay un JobManager del curso corriendo: arráncalo con  make cluster")
    missing = config.taskmanagers - len(processes(config)["TaskManager"])
    for _ in range(missing):
        _run_script(config, "taskmanager.sh", "start")
    _wait_ready(config, timeout_s)
    return max(missing, 0)


def status_text(config: ClusterConfig | None = None) -> tuple[bool, str]:
    """``(corriendo, texto)`` con el estado real del clúster."""
    config = config or default_config()
    running = processes(config)
    info = overview(config)
    if not running["JobManager"]:
        return False, "El clúster de Flink NO está corriendo. Arráncalo con  make cluster"
    if info is None:
        return False, (f"El JobManager (PID {running['JobManager'][0]}) existe pero NO responde en "
                       f"{config.rest_url}")
    return True, (
        f"Clúster de Flink corriendo: JobManager PID {running['JobManager'][0]}, "
        f"{info['taskmanagers']} TaskManagers registrados ({len(running['TaskManager'])} procesos), "
        f"{info['slots-available']} de {info['slots-total']} ranuras libres, "
        f"{info['jobs-running']} jobs corriendo.\nConsola web: {config.rest_url}"
    )


def _service() -> service_cli.Service:
    """El clúster según el entorno, para la línea de comandos."""
    config = default_config()

    def start_text() -> str:
        began = time.monotonic()
        verb = "listo" if start(config) else "ya estaba corriendo; lo reutilizo"
        return (f"Clúster de Flink {verb} ({time.monotonic() - began:.1f} s): 1 JobManager y "
                f"{config.taskmanagers} TaskManagers de {config.slots} ranuras.\n"
                f"Consola web: {config.rest_url}")

    return service_cli.Service(
        start=start_text,
        stop=lambda: "Clúster de Flink detenido" if stop(config)
        else "No había un clúster de Flink nuestro que detener",
        status=lambda: status_text(config),
        logs=lambda lines: tail_logs(config, lines),
    )


def main(argv: list[str] | None = None) -> int:
    """Punto de entrada de ``python -m helpers.flink_cluster``."""
    return service_cli.run(
        "python -m helpers.flink_cluster",
        "Clúster local de Flink del curso (JobManager + TaskManagers en 127.0.0.1).",
        _service, argv, default_lines=20)


if __name__ == "__main__":
    sys.exit(main())
