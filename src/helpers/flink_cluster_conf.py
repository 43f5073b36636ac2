"""La configuración del clúster de Flink del curso (la usa ``helpers.flink_cluster``).

- ``ClusterConfig`` / ``default_config``: puertos, número de TaskManagers y ranuras, y carpetas
  (configuración, logs y PIDs), leídos de las variables ``CURSO_FLINK_*``.
- ``settings`` / ``write_conf``: el ``config.yaml`` privado del clúster, todo en 127.0.0.1.
- ``flink_home``: la instalación de PyFlink, cuyos scripts arrancan el clúster.

Todo esto se usa también como ``helpers.flink_cluster.X`` (ese módulo lo reexporta).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import paths

HOST = "127.0.0.1"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
JM_MEMORY = "1024m"
# Con 2 TaskManagers de 1536m, el clúster entero ronda los 4 GB de tope: cabe junto al broker
# (512m) y un cuaderno en un portátil de 8 GB.
TM_MEMORY = "1536m"
ROLES = {"standalonesession": "JobManager", "taskexecutor": "TaskManager"}


@dataclass(frozen=True)
class ClusterConfig:
    """Dónde escucha el clúster, cuántas manos tiene y dónde guarda sus cosas."""

    rest_port: int
    rpc_port: int
    taskmanagers: int
    slots: int
    base_dir: Path
    python: str

    @classmethod
    def from_env(cls) -> ClusterConfig:
        """Lee la configuración de las variables ``CURSO_FLINK_*`` (o usa los valores por defecto)."""
        _, _, rest_port = os.environ.get("CURSO_FLINK_REST", f"{HOST}:8081").rpartition(":")
        env_dir = os.environ.get("CURSO_FLINK_DIR")
        return cls(
            rest_port=int(rest_port),
            rpc_port=int(os.environ.get("CURSO_FLINK_RPC_PORT", "6123")),
            taskmanagers=int(os.environ.get("CURSO_FLINK_TASKMANAGERS", "2")),
            slots=int(os.environ.get("CURSO_FLINK_SLOTS", "2")),
            base_dir=Path(env_dir).expanduser().resolve() if env_dir
            else paths.project_root() / ".flink" / "cluster",
            python=os.environ.get("CURSO_FLINK_PYTHON", sys.executable),
        )

    @property
    def rest_url(self) -> str:
        """La consola web y la API REST, p. ej. ``http://127.0.0.1:8081``."""
        return f"http://{HOST}:{self.rest_port}"

    @property
    def conf_dir(self) -> Path:
        return self.base_dir / "conf"

    @property
    def log_dir(self) -> Path:
        return self.base_dir / "log"

    @property
    def pid_dir(self) -> Path:
        return self.base_dir / "pid"


def default_config() -> ClusterConfig:
    """La configuración del clúster según el entorno actual."""
    return ClusterConfig.from_env()


def flink_home() -> Path:
    """La carpeta de la instalación de PyFlink (tiene ``bin/``, ``lib/``, ``opt/`` y ``conf/``)."""
    import pyflink

    return Path(pyflink.__file__).resolve().parent


# --- Configuración -------------------------------------------------------------


def _java_opens() -> str:
    """Las opciones ``--add-opens`` de la JVM que trae la configuración de ejemplo de PyFlink."""
    text = (flink_home() / "conf" / "config.yaml").read_text()
    match = re.search(r"^\s+all:\s*(\S.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def settings(config: ClusterConfig) -> dict[str, str]:
    """Las opciones del ``config.yaml`` del clúster (todas en 127.0.0.1)."""
    return {
        "env.java.opts.all": _java_opens(),
        "jobmanager.bind-host": HOST,
        "jobmanager.rpc.address": HOST,
        "jobmanager.rpc.port": str(config.rpc_port),
        "jobmanager.memory.process.size": JM_MEMORY,
        "jobmanager.execution.failover-strategy": "region",
        "taskmanager.bind-host": HOST,
        "taskmanager.host": HOST,
        "taskmanager.numberOfTaskSlots": str(config.slots),
        "taskmanager.memory.process.size": TM_MEMORY,
        # Reparte las subtareas entre TaskManagers en vez de llenar primero uno.
        "taskmanager.load-balance.mode": "SLOTS",
        # Latidos (*heartbeats*) cada 2 s: un TaskManager caído se detecta tras ~2 latidos fallidos
        # (heartbeat.rpc-failure-threshold) en vez de ~20 s con los 10 s por defecto. El tope de
        # 20 s (50 s por defecto) cubre a un proceso vivo pero lento en una máquina cargada.
        "heartbeat.interval": "2000",
        "heartbeat.timeout": "20000",
        # La API REST responde con una copia del estado de cada job que se renueva cada 3 s por
        # defecto: un RESTARTING de 1 s podía no verse nunca. Medio segundo basta para el curso.
        "web.refresh-interval": "500",
        "rest.address": HOST,
        "rest.bind-address": HOST,
        "rest.port": str(config.rest_port),
        "parallelism.default": "1",
        "python.executable": config.python,
    }


def write_conf(config: ClusterConfig) -> None:
    """Escribe la carpeta de configuración privada del clúster."""
    for folder in (config.conf_dir, config.log_dir, config.pid_dir):
        folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Generado por helpers.flink_cluster: no lo edites a mano."]
    lines += [f"{key}: {json.dumps(value)}" for key, value in settings(config).items()]
    (config.conf_dir / "config.yaml").write_text("\n".join(lines) + "\n")
    source = flink_home() / "conf"
    for name in ("log4j.properties", "log4j-console.properties", "logback.xml"):
        (config.conf_dir / name).write_text((source / name).read_text())


def _script_env(config: ClusterConfig) -> dict[str, str]:
    from helpers.flink import check_java_for_flink
    from helpers.java import java_info

    check_java_for_flink()
    env = dict(os.environ)
    env.update(
        FLINK_CONF_DIR=str(config.conf_dir),
        FLINK_LOG_DIR=str(config.log_dir),
        FLINK_PID_DIR=str(config.pid_dir),
        JAVA_HOME=str(java_info().executable.resolve().parents[1]),
    )
    return env
