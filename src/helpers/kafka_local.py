"""El broker local de Kafka del curso: un proceso Java en 127.0.0.1, en modo KRaft.

Uso desde la terminal::

    python -m helpers.kafka_local start    # arranca (o reutiliza) el broker
    python -m helpers.kafka_local status   # dice la verdad: corriendo o no
    python -m helpers.kafka_local logs     # últimas líneas del log del broker
    python -m helpers.kafka_local stop     # detiene solo el broker que arrancamos

Variables de entorno (con sus valores por defecto):

- ``CURSO_KAFKA_PORT`` (9092): puerto de los clientes.
- ``CURSO_KAFKA_CONTROLLER_PORT`` (9093): puerto del controlador KRaft.
  Sin estas dos variables se usan los puertos que el broker recuerda en su carpeta de datos
  (``helpers.kafka_ports``), y 9092/9093 si nunca arrancó.
- ``CURSO_KAFKA_DIR`` (``<raíz>/.kafka``): datos, logs, configuración y PID.
- ``CURSO_JARS_DIR`` (``<raíz>/.jars``): jars que resuelve Maven.
- ``CURSO_KAFKA_HEAP`` (512m): memoria máxima de la JVM del broker.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from helpers import paths, service_cli
from helpers.errors import (
    BrokerStartError,
    BrokerUnavailableError,
    JarsMissingError,
    PortsMismatchError,
)
from helpers.java import java_info
from helpers.kafka_ports import (
    Ports,
    PortsMismatchWarning,
    check_ports_free,
    configured_ports,
    mismatch_message,
    remembered_ports,
)

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


@dataclass(frozen=True)
class BrokerConfig:
    """Dónde escucha el broker y dónde guarda sus cosas."""

    port: int
    controller_port: int
    data_dir: Path
    jars_dir: Path
    heap: str = "512m"

    @classmethod
    def from_env(cls) -> BrokerConfig:
        """Lee la configuración de las variables ``CURSO_*`` (o usa los valores por defecto)."""
        data_dir = paths.kafka_data_dir()
        ports = configured_ports(data_dir)
        return cls(
            port=ports.port,
            controller_port=ports.controller_port,
            data_dir=data_dir,
            jars_dir=paths.jars_dir() / "kafka",
            heap=os.environ.get("CURSO_KAFKA_HEAP", "512m"),
        )

    @property
    def bootstrap(self) -> str:
        """Dirección para los clientes, p. ej. ``127.0.0.1:9092``."""
        return f"{HOST}:{self.port}"

    @property
    def ports(self) -> Ports:
        """Los dos puertos de esta configuración."""
        return Ports(self.port, self.controller_port)

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "server.log"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "datos"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"


def default_config() -> BrokerConfig:
    """La configuración del broker según el entorno actual.

    Si el entorno pide otros puertos que los del broker del curso que ya corre, avisa con un
    ``PortsMismatchWarning`` que dice cómo arreglarlo.
    """
    config = BrokerConfig.from_env()
    message = ports_mismatch(config)
    if message:
        warnings.warn(message, PortsMismatchWarning, stacklevel=2)
    return config


def ports_mismatch(config: BrokerConfig) -> str | None:
    """El aviso en español si ``config`` no usa los puertos del broker que corre; ``None`` si sí."""
    remembered = remembered_ports(config.data_dir)
    if remembered is None or remembered == config.ports:
        return None
    pid = running_pid(config)
    if pid is None:
        return None
    return mismatch_message(config.ports, remembered, pid, config.data_dir)


# --- Comprobaciones previas -------------------------------------------------


def classpath(config: BrokerConfig) -> str:
    """Classpath con los jars del broker; si faltan, dice cómo conseguirlos."""
    jars = sorted(config.jars_dir.glob("*.jar"))
    if not any(jar.name.startswith("kafka_2.13-") for jar in jars):
        raise JarsMissingError(
            f"Faltan los jars del broker de Kafka en {config.jars_dir}.\n"
            "Descárgalos con Maven desde la raíz del curso:  make jars\n"
            "(equivale a: mvn -q -f jvm/pom.xml package)"
        )
    return os.pathsep.join(str(jar) for jar in jars)


# --- Proceso -----------------------------------------------------------------


def _read_pid(config: BrokerConfig) -> int | None:
    try:
        return int(config.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _is_our_broker(pid: int, config: BrokerConfig) -> bool:
    """``True`` si ``pid`` vive y es un broker de Kafka con *nuestra* configuración."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return _pid_alive(pid) and sys.platform != "linux"
    args = [part.decode(errors="replace") for part in cmdline]
    return MAIN_CLASS in args and str(config.properties_file) in args


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(config: BrokerConfig | None = None) -> int | None:
    """El PID del broker que arrancamos, si sigue vivo; ``None`` si no."""
    config = config or default_config()
    pid = _read_pid(config)
    if pid is not None and _is_our_broker(pid, config):
        return pid
    return None


def is_listening(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """``True`` si alguien acepta conexiones en ``bootstrap`` (un solo *socket*: milisegundos)."""
    host, _, port = bootstrap.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except (OSError, ValueError):
        return False
    return True


def is_ready(bootstrap: str, timeout_s: float = 5.0) -> bool:
    """``True`` si el broker en ``bootstrap`` responde a una petición de metadatos."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    if not is_listening(bootstrap, timeout_s):  # primero lo barato: ¿hay alguien en ese puerto?
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout_s * 1000),
            bootstrap_timeout_ms=int(timeout_s * 1000),
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.describe_cluster()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def tail_log(config: BrokerConfig | None = None, lines: int = 30) -> str:
    """Las últimas ``lines`` líneas del log del broker (o de su salida estándar)."""
    config = config or default_config()
    for candidate in (config.log_file, config.log_dir / "kafka.out"):
        if candidate.is_file() and candidate.stat().st_size:
            text = candidate.read_text(errors="replace").splitlines()
            return "\n".join(text[-lines:])
    return "(el broker no escribió nada en el log)"


# --- Arranque ----------------------------------------------------------------


def _write_config(config: BrokerConfig) -> None:
    config.log_dir.mkdir(parents=True, exist_ok=True)
    config.storage_dir.mkdir(parents=True, exist_ok=True)
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{config.controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{config.port},CONTROLLER://{HOST}:{config.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{config.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(config.storage_dir),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "delete.topic.enable": "true",
        # Los eventos del curso traen tiempos del evento fijos (enero de 2026). La retención por
        # tiempo de Kafka se mide con el timestamp de los registros, así que con 7 días borraría
        # esos datos en la siguiente revisión (cada 5 min). Sin límite de tiempo: nada se pierde.
        "log.retention.ms": "-1",
    }
    text = "# Generado por helpers.kafka_local: no lo edites a mano.\n"
    text += "".join(f"{key}={value}\n" for key, value in props.items())
    config.properties_file.write_text(text)
    (config.data_dir / "log4j2.properties").write_text(
        "# Generado por helpers.kafka_local\n"
        "rootLogger.level = INFO\n"
        "rootLogger.appenderRef.file.ref = archivo\n"
        "appender.file.type = File\n"
        "appender.file.name = archivo\n"
        f"appender.file.fileName = {config.log_file}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
    )


def _java_command(config: BrokerConfig, java: Path) -> list[str]:
    return [
        str(java),
        f"-Xmx{config.heap}",
        "-Xms128m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={config.data_dir / 'log4j2.properties'}",
        "-cp",
        classpath(config),
    ]


def _format_storage(config: BrokerConfig, java: Path) -> None:
    if (config.storage_dir / "meta.properties").is_file():
        return
    cluster_id = "-"
    while cluster_id.startswith("-"):  # StorageTool leería un id que empieza con «-» como opción
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    cmd = _java_command(config, java) + [
        STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(config.properties_file),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BrokerStartError(
            "No pude formatear el almacenamiento de Kafka (kafka.tools.StorageTool).\n"
            f"{(result.stderr or result.stdout).strip()[-2000:]}\n"
            f"Si la carpeta {config.data_dir} viene de otra versión, bórrala con  make clean"
        )


def start(config: BrokerConfig | None = None, timeout_s: float = READY_TIMEOUT_S) -> tuple[int, bool]:
    """Arranca el broker (o reutiliza el que ya corre) y espera a que responda.

    Devuelve ``(pid, arrancado)``; ``arrancado`` es ``False`` si ya estaba corriendo.
    """
    config = config or default_config()
    pid = running_pid(config)
    if pid is not None:
        mismatch = ports_mismatch(config)
        if mismatch:  # sin esto, esperaría 60 s a un broker que escucha en otro puerto
            raise PortsMismatchError(mismatch)
        if is_ready(config.bootstrap):
            return pid, False
        _wait_ready(config, pid, timeout_s)
        return pid, False
    java = java_info().executable
    classpath(config)  # falla pronto y claro si faltan los jars
    check_ports_free(config.ports)  # los dos puertos a la vez
    config.data_dir.mkdir(parents=True, exist_ok=True)
    _write_config(config)
    _format_storage(config, java)
    out = (config.log_dir / "kafka.out").open("ab")
    process = subprocess.Popen(
        _java_command(config, java) + [MAIN_CLASS, str(config.properties_file)],
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=config.data_dir,
        start_new_session=True,
    )
    out.close()
    config.pid_file.write_text(f"{process.pid}\n")
    _wait_ready(config, process.pid, timeout_s, process)
    return process.pid, True


def _wait_ready(
    config: BrokerConfig, pid: int, timeout_s: float, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        exited = process.poll() is not None if process else not _pid_alive(pid)
        if exited:
            config.pid_file.unlink(missing_ok=True)
            raise BrokerStartError(
                "El broker de Kafka terminó mientras arrancaba. Últimas líneas del log:\n"
                f"{tail_log(config)}\n"
                f"Log completo en {config.log_file}"
            )
        if is_ready(config.bootstrap, timeout_s=2.0):
            return
        time.sleep(0.3)
    raise BrokerStartError(
        f"El broker (PID {pid}) no respondió en {timeout_s:.0f} s en {config.bootstrap}.\n"
        f"Últimas líneas del log:\n{tail_log(config)}\n"
        "Prueba  python -m helpers.kafka_local stop  y vuelve a arrancarlo."
    )


# --- Parada y estado -----------------------------------------------------------


def stop(config: BrokerConfig | None = None, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Detiene el broker que arrancamos (solo ese PID). ``True`` si había uno que parar."""
    config = config or default_config()
    pid = running_pid(config)
    if pid is None:
        config.pid_file.unlink(missing_ok=True)  # si quedó, es de un broker que ya no existe
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _pid_alive(pid) and _is_our_broker(pid, config):
        time.sleep(0.2)
    if _pid_alive(pid) and _is_our_broker(pid, config):
        os.kill(pid, signal.SIGKILL)
    config.pid_file.unlink(missing_ok=True)
    return True


def ensure_running(config: BrokerConfig | None = None) -> str:
    """Garantiza que haya un broker respondiendo y devuelve su dirección ``bootstrap``."""
    config = config or default_config()
    start(config)
    return config.bootstrap


def require_broker(bootstrap: str, quick: bool = False) -> None:
    """Lanza ``BrokerUnavailableError`` (en español) si nadie responde en ``bootstrap``.

    Con ``quick=True`` solo abre un *socket* (lo usan ``stream_env()`` y ``table_env()``): basta
    para descubrir un broker apagado antes de que Flink tarde un minuto en decirlo en Java.
    """
    if not (is_listening(bootstrap) if quick else is_ready(bootstrap)):
        raise BrokerUnavailableError(
            f"No hay un broker de Kafka respondiendo en {bootstrap}.\n"
            "Arráncalo con  make kafka  (o  python -m helpers.kafka_local start).\n"
            "Si ya lo habías arrancado, mira qué pasó con  python -m helpers.kafka_local logs"
        )


def status_text(config: BrokerConfig | None = None) -> tuple[bool, str]:
    """``(corriendo, texto)`` con el estado real del broker."""
    config = config or default_config()
    pid = running_pid(config)
    if pid is None:
        if _read_pid(config) is not None:
            return False, (
                "Kafka NO está corriendo: el archivo de PID apunta a un proceso que ya terminó.\n"
                f"Últimas líneas del log:\n{tail_log(config, 10)}"
            )
        return False, "Kafka NO está corriendo. Arráncalo con  make kafka"
    if is_ready(config.bootstrap):
        return True, f"Kafka está corriendo (PID {pid}) y responde en {config.bootstrap}"
    return False, f"El proceso de Kafka (PID {pid}) existe pero NO responde en {config.bootstrap}"


def _service() -> service_cli.Service:
    """El broker según el entorno, para la línea de comandos (avisa si los puertos no coinciden)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PortsMismatchWarning)
        config = default_config()
    for warning in caught:
        print(f"AVISO: {warning.message}", file=sys.stderr)

    def start_text() -> str:
        began = time.monotonic()
        pid, started = start(config)
        if started:
            return f"Kafka listo en {config.bootstrap} (PID {pid}, {time.monotonic() - began:.1f} s)"
        return f"Kafka ya estaba corriendo en {config.bootstrap} (PID {pid}); lo reutilizo"

    return service_cli.Service(
        start=start_text,
        stop=lambda: "Kafka detenido" if stop(config) else "No había un broker nuestro que detener",
        status=lambda: status_text(config),
        logs=lambda lines: tail_log(config, lines),
    )


def main(argv: list[str] | None = None) -> int:
    """Punto de entrada de ``python -m helpers.kafka_local``."""
    return service_cli.run("python -m helpers.kafka_local",
                           "Broker local de Kafka del curso (KRaft, 127.0.0.1).", _service, argv)


if __name__ == "__main__":
    sys.exit(main())
