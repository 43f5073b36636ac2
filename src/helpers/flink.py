"""Entornos de PyFlink listos para leer y escribir en Kafka.

Dos formas de ejecutar un *job* (trabajo) de Flink, detrás de las mismas funciones:

- ``local`` (por defecto): un miniclúster embebido dentro del proceso de Python.
- ``remote``: un clúster aparte (JobManager + TaskManagers, p. ej. el de ``helpers.flink_cluster``).
  Se elige con ``CURSO_FLINK_MODE=remote``, la dirección REST en ``CURSO_FLINK_REST``
  (``127.0.0.1:8081``) y el Python de los trabajadores en ``CURSO_FLINK_PYTHON`` (por defecto, el
  de este entorno). Los jars del conector y de ``flink-python`` viajan con cada job.

Antes de crear el entorno, ``stream_env()`` y ``table_env()`` comprueban que el broker de Kafka
acepte conexiones (un *socket*, milisegundos). Sin esa comprobación, un broker apagado solo se
notaba un minuto después, dentro del *job*, con una traza de Java («Timed out waiting for a node
assignment»); con ella, el error es el mismo ``BrokerUnavailableError`` en español que da el
productor. En modo ``remote`` también sirve: el clúster lee el mismo broker.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from helpers import paths
from helpers.errors import ClusterUnavailableError, JarsMissingError, JavaVersionError
from helpers.java import MAX_JAVA_FOR_FLINK, java_info

if TYPE_CHECKING:
    from pyflink.common import JobClient
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment, TableEnvironment

CONNECTOR_GLOB = "flink-sql-connector-kafka-*.jar"
# Variable interna de PyFlink: «process» obliga a lanzar los trabajadores de Python como procesos
# de los TaskManagers; «loopback» los corre dentro de este proceso (lo normal en el miniclúster).
WORKER_MODE_VAR = "_python_worker_execution_mode"
# Hilos del trabajador de Python de Beam cuando corre dentro de este proceso (modo loopback).
HARNESS_THREADS = frozenset({"read_grpc_client_inputs", "read_log_control_messages", "read_state"})


def connector_jar() -> Path:
    """Ruta del jar ``flink-sql-connector-kafka`` (lo copia Maven con ``make jars``)."""
    jars = sorted((paths.jars_dir() / "flink").glob(CONNECTOR_GLOB))
    if not jars:
        raise JarsMissingError(
            f"Falta el jar del conector de Kafka para Flink en {paths.jars_dir() / 'flink'}.\n"
            "Sin él, Flink responde «Could not find any factory for identifier 'kafka'».\n"
            "Descárgalo con Maven desde la raíz del curso:  make jars"
        )
    return jars[-1]


def python_jar() -> Path:
    """Ruta del jar ``flink-python`` de la instalación de PyFlink (está en ``opt/``, no en ``lib/``).

    Un clúster aparte lo necesita para ejecutar funciones de Python; sin él, el job falla con
    ``ClassNotFoundException`` de ``PythonScalarFunctionOperator`` o ``ExternalPythonProcessOperator``.
    """
    import pyflink

    jars = sorted((Path(pyflink.__file__).resolve().parent / "opt").glob("flink-python-*.jar"))
    if not jars:
        raise JarsMissingError("La instalación de PyFlink no trae opt/flink-python-*.jar: "
                               "reinstálala con  make setup")
    return jars[-1]


def check_java_for_flink() -> int:
    """Comprueba que el Java que usará PyFlink sea 17..21 y devuelve su versión mayor."""
    info = java_info()
    if info.major > MAX_JAVA_FOR_FLINK:
        raise JavaVersionError(
            f"PyFlink usaría Java {info.major} ({info.executable}), pero Flink 2.2 solo está "
            f"probado hasta Java {MAX_JAVA_FOR_FLINK}.\n"
            "Apunta JAVA_HOME a un JDK 17, por ejemplo:\n"
            "  export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"
        )
    return info.major


def flink_mode() -> str:
    """``"local"`` o ``"remote"`` según ``CURSO_FLINK_MODE``."""
    mode = os.environ.get("CURSO_FLINK_MODE", "local").strip().lower()
    if mode not in {"local", "remote"}:
        raise ValueError(f"CURSO_FLINK_MODE debe ser 'local' o 'remote', no {mode!r}")
    return mode


def require_cluster(rest: str) -> None:
    """Lanza ``ClusterUnavailableError`` si no responde la API REST de Flink en ``host:puerto``.

    Así el modo remoto nunca cae, sin avisar, en un miniclúster local.
    """
    import urllib.error

    from helpers.flink_cluster import rest_json

    try:
        rest_json(f"http://{rest}/overview", timeout_s=3)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ClusterUnavailableError(
            f"CURSO_FLINK_MODE=remote, pero no hay un clúster de Flink respondiendo en {rest} "
            f"({error}).\nArráncalo con  make cluster  (o  python -m helpers.flink_cluster start), "
            "o quita CURSO_FLINK_MODE para usar el miniclúster local."
        ) from None


def _configuration(parallelism: int, extra: dict[str, str] | None = None):
    # Antes de crear el primer objeto de Java: los que se crean con la gestión de memoria de Py4J
    # activa guardan su aviso de recolección para siempre (ver keep_one_java_thread).
    keep_one_java_thread()
    from pyflink.common import Configuration

    config = Configuration()
    jars = [connector_jar()] if flink_mode() == "local" else [connector_jar(), python_jar()]
    config.set_string("pipeline.jars", ";".join(jar.as_uri() for jar in jars))
    config.set_string("parallelism.default", str(parallelism))
    config.set_string("python.client.executable", sys.executable)
    # Al terminar un job acotado, el cliente de administración de Kafka a veces registra un último
    # mensaje con un classloader ya cerrado; Flink lo convierte en un ERROR ruidoso que aparecía en
    # las celdas de los cuadernos. Esta comprobación solo sirve para detectar fugas en producción.
    config.set_string("classloader.check-leaked-classloader", "false")
    if flink_mode() == "local":
        config.set_string("python.executable", sys.executable)
    else:
        # Los trabajadores de Python del clúster usan este Python (en Docker, el de la imagen).
        config.set_string("python.executable", os.environ.get("CURSO_FLINK_PYTHON", sys.executable))
        rest = os.environ.get("CURSO_FLINK_REST", "127.0.0.1:8081")
        require_cluster(rest)
        host, _, port = rest.rpartition(":")
        config.set_string("execution.target", "remote")
        config.set_string("rest.address", host)
        config.set_string("rest.port", port)
    for key, value in (extra or {}).items():
        config.set_string(key, value)
    return config


def check_broker(bootstrap: str | None = None) -> str:
    """Comprueba (con un solo *socket*) que el broker de Kafka escuche; devuelve su dirección.

    Si no escucha, lanza ``BrokerUnavailableError`` con qué hacer, en español.
    """
    from helpers.kafka_local import default_config, require_broker

    bootstrap = bootstrap or default_config().bootstrap
    require_broker(bootstrap, quick=True)
    return bootstrap


def stream_env(parallelism: int = 1, extra: dict[str, str] | None = None,
               bootstrap: str | None = None) -> StreamExecutionEnvironment:
    """Un ``StreamExecutionEnvironment`` (API DataStream) con el conector de Kafka cargado.

    ``parallelism`` es cuántas «manos» trabajan a la vez en cada operador;
    ``extra`` permite añadir opciones de configuración de Flink; ``bootstrap`` es el broker que
    se comprueba antes (el del curso si no se indica).
    """
    check_broker(bootstrap)
    check_java_for_flink()
    from pyflink.datastream import StreamExecutionEnvironment

    config = _configuration(parallelism, extra)
    if flink_mode() == "local":
        env = StreamExecutionEnvironment.get_execution_environment(config)
        env.set_python_executable(sys.executable)
        route_worker_stderr()
    else:
        # get_execution_environment(config) ignora execution.target=remote y, si no hay clúster,
        # corre en silencio un miniclúster local. El constructor de Java sí respeta el destino.
        from pyflink.java_gateway import get_gateway

        j_class = get_gateway().jvm.org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
        env = StreamExecutionEnvironment(j_class(config._j_configuration))
    env.set_parallelism(parallelism)
    return env


def table_env(parallelism: int = 1, extra: dict[str, str] | None = None,
              bootstrap: str | None = None) -> TableEnvironment:
    """Un ``TableEnvironment`` en modo *streaming* (Table API / SQL) con el conector de Kafka.

    La zona horaria de la sesión es UTC, así las ventanas se ven igual en cualquier máquina.
    Antes comprueba que el broker ``bootstrap`` (el del curso si no se indica) escuche.
    """
    check_broker(bootstrap)
    check_java_for_flink()
    from pyflink.table import EnvironmentSettings, TableEnvironment

    settings = (
        EnvironmentSettings.new_instance()
        .in_streaming_mode()
        .with_configuration(_configuration(parallelism, extra))
        .build()
    )
    if flink_mode() == "local":
        t_env = TableEnvironment.create(settings)
    else:
        # Sin esto, PyFlink ve un entorno «local» bajo el TableEnvironment, arranca un servidor
        # *loopback* en este proceso y las UDF de Python del job corren aquí, no en los
        # TaskManagers (en un clúster de otras máquinas, ni siquiera se conectarían).
        saved = os.environ.get(WORKER_MODE_VAR)
        os.environ[WORKER_MODE_VAR] = "process"
        try:
            t_env = TableEnvironment.create(settings)
        finally:
            if saved is None:
                os.environ.pop(WORKER_MODE_VAR, None)
            else:
                os.environ[WORKER_MODE_VAR] = saved
    t_env.get_config().set("table.local-time-zone", "UTC")
    if flink_mode() == "local":
        route_worker_stderr()
    return t_env


def stream_table_env(env: StreamExecutionEnvironment) -> StreamTableEnvironment:
    """Un ``StreamTableEnvironment`` sobre ``env``: SQL y DataStream en el mismo job.

    Sirve para declarar una fuente con SQL (``CREATE TABLE ... WATERMARK FOR``) y seguir con la
    API DataStream (``to_data_stream``). Zona horaria de la sesión: UTC.
    """
    from pyflink.table import StreamTableEnvironment

    keep_one_java_thread()  # por si env no viene de stream_env(): antes de crear más objetos
    t_env = StreamTableEnvironment.create(env)
    t_env.get_config().set("table.local-time-zone", "UTC")
    return t_env


def keep_one_java_thread() -> None:
    """Que todas las llamadas de Python a Java las atienda el mismo hilo de Java.

    El planificador de Flink SQL guarda parte de su estado en el hilo de Java donde se creó el
    entorno de tablas (un ``ThreadLocal`` de Calcite). Py4J atiende cada llamada con el hilo de
    la conexión que toma de su reserva, y abre otra conexión (otro hilo) si la única está ocupada.
    En Jupyter eso pasa: los hilos del kernel disparan la recolección de basura de Python y cada
    objeto de Java recolectado avisa a Java por Py4J, a veces justo mientras tu celda usa la
    conexión. Si después tu celda cae en la conexión nueva, toda consulta falla con
    ``NullPointerException: metadataHandlerProvider``. Sin esos avisos no se abren conexiones
    nuevas; el precio es que Java no libera esos objetos hasta que termina el proceso (unos pocos
    kilobytes en un cuaderno). Solo vale para los objetos creados después: por eso
    ``stream_env()`` y ``table_env()`` lo llaman antes de crear nada.
    """
    from pyflink.java_gateway import get_gateway

    get_gateway()._gateway_client.gateway_property.enable_memory_management = False


def harness_threads() -> list[str]:
    """Los hilos vivos del trabajador de Python de PyFlink en este proceso (vacío sin jobs)."""
    return [t.name for t in threading.enumerate() if t.name in HARNESS_THREADS]


def worker_log() -> Path:
    """El archivo con los avisos que los hilos del trabajador de Python escriben en stderr."""
    return paths.logs_dir() / "pyflink-trabajador.log"


class _ThreadStderr:
    """Un ``sys.stderr`` que manda al log lo que escriben los hilos secundarios.

    Lo que escribe el hilo principal (tus celdas: errores, advertencias) sigue saliendo igual.
    """

    def __init__(self, stream: TextIO, log: Path) -> None:
        self._stream = stream
        self._log = log
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if threading.current_thread() is threading.main_thread():
            return self._stream.write(text)
        with self._lock:
            self._log.parent.mkdir(parents=True, exist_ok=True)
            with self._log.open("a", encoding="utf-8") as log:
                log.write(text)
        return len(text)

    def __getattr__(self, name: str):  # flush, fileno, encoding, isatty... del original
        return getattr(self._stream, name)


def route_worker_stderr() -> Path:
    """Desde ahora, lo que escriban en stderr los hilos secundarios va a ``worker_log()``.

    En modo local, el trabajador de Python de PyFlink corre en hilos de **este** proceso
    (*loopback*). Cuando un job termina o se cancela, Java cierra sus conexiones y esos hilos a
    veces escriben avisos como «Logging client failed: ... Multiplexer hanging up» unos
    milisegundos después, cuando Jupyter ya ejecuta otra celda. No son errores del job (los
    errores de tus funciones llegan como excepción a la celda), así que van al log: no se pierden
    y no ensucian la salida. Se instala una sola vez; devuelve la ruta del log.
    """
    if not isinstance(sys.stderr, _ThreadStderr):
        sys.stderr = _ThreadStderr(sys.stderr, worker_log())
    return worker_log()


def stop_job(client: JobClient, limit_s: float = 60.0) -> None:
    """Cancela un job sin fin y espera a que su trabajador de Python termine del todo.

    Así, nada del job sigue corriendo (ni escribiendo) cuando empieza la celda siguiente.
    Falla si el trabajador no termina en ``limit_s`` segundos.
    """
    client.cancel().result()
    deadline = time.monotonic() + limit_s
    while harness_threads():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"El trabajador de Python del job siguió vivo {limit_s:.0f} s después de "
                f"cancelarlo (hilos: {', '.join(harness_threads())}).\n"
                "Reinicia el kernel (Kernel → Restart) y vuelve a ejecutar el cuaderno."
            )
        time.sleep(0.1)
