"""Ciclo de vida del broker local y sus errores en español, contra un broker real."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import kafka_local, topics
from helpers.errors import BrokerStartError, BrokerUnavailableError, JarsMissingError, PortBusyError

from conftest import free_port  # noqa: E402


def test_lifecycle_start_status_reuse_stop_restart_keeps_data(second_broker_config):
    config = second_broker_config
    running, text = kafka_local.status_text(config)
    assert not running and "NO está corriendo" in text

    pid, started = kafka_local.start(config)
    assert started
    assert kafka_local.is_ready(config.bootstrap)
    assert kafka_local.status_text(config)[0]
    assert config.pid_file.read_text().strip() == str(pid)

    again_pid, started_again = kafka_local.start(config)
    assert (again_pid, started_again) == (pid, False), "un segundo start debe reutilizar el broker"

    topics.create_topic("persistente", 2, bootstrap=config.bootstrap)
    events = [{"n": i} for i in range(25)]
    topics.produce_json("persistente", events, key=lambda e: str(e["n"] % 5), bootstrap=config.bootstrap)

    assert kafka_local.stop(config)
    assert not kafka_local.is_ready(config.bootstrap, timeout_s=1)
    assert not config.pid_file.exists()
    assert not kafka_local.status_text(config)[0]
    assert not kafka_local.stop(config), "sin broker corriendo, stop no tiene nada que detener"

    new_pid, started = kafka_local.start(config)
    assert started and new_pid != pid
    back = topics.read_topic("persistente", bootstrap=config.bootstrap)
    assert sorted(v["n"] for v in back["value"]) == list(range(25)), "los datos deben sobrevivir"


def test_stop_only_stops_the_pid_we_started(second_broker_config):
    config = second_broker_config
    config.data_dir.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        config.pid_file.write_text(f"{sleeper.pid}\n")  # un PID que no es nuestro broker
        assert kafka_local.running_pid(config) is None
        assert not kafka_local.stop(config)
        assert sleeper.poll() is None, "stop no debe matar procesos ajenos"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_busy_port_gives_spanish_error(second_broker_config):
    config = second_broker_config
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config.port))
        squatter.listen()
        with pytest.raises(PortBusyError) as error:
            kafka_local.start(config)
    message = str(error.value)
    assert f"El puerto {config.port}" in message and "ocupado" in message
    assert "CURSO_KAFKA_PORT" in message


def test_missing_jars_names_the_make_target(second_broker_config, tmp_path):
    config = second_broker_config
    empty = kafka_local.BrokerConfig(
        port=config.port, controller_port=config.controller_port,
        data_dir=config.data_dir, jars_dir=tmp_path / "sin-jars",
    )
    with pytest.raises(JarsMissingError, match="make jars"):
        kafka_local.start(empty)


def test_broker_that_dies_during_start_shows_its_log(second_broker_config):
    config = second_broker_config
    kafka_local.start(config)
    kafka_local.stop(config)
    meta = config.storage_dir / "meta.properties"
    # Un meta.properties de otro nodo: Kafka se niega a arrancar (fallo real del broker).
    meta.write_text(meta.read_text().replace("node.id=1", "node.id=7"))
    with pytest.raises(BrokerStartError) as error:
        kafka_local.start(config, timeout_s=60)
    message = str(error.value)
    assert "terminó mientras arrancaba" in message
    assert "Últimas líneas del log" in message
    assert not config.pid_file.exists()


def test_dead_broker_is_reported_in_spanish(second_broker_config):
    config = second_broker_config
    pid, _ = kafka_local.start(config)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while kafka_local._pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    running, text = kafka_local.status_text(config)
    assert not running and "ya terminó" in text
    with pytest.raises(BrokerUnavailableError, match="No hay un broker de Kafka respondiendo"):
        topics.produce_json("x", [{"a": 1}], bootstrap=config.bootstrap)


def _cli(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "helpers.kafka_local", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_cli_without_java_says_what_to_install(tmp_path):
    no_java_path = tmp_path / "bin-sin-java"
    no_java_path.mkdir()
    env = {
        "PATH": str(no_java_path),
        "JAVA_HOME": "",
        "CURSO_KAFKA_DIR": str(tmp_path / "kafka"),
        "CURSO_KAFKA_PORT": str(free_port()),
        "CURSO_KAFKA_CONTROLLER_PORT": str(free_port()),
    }
    result = _cli(env, "start")
    assert result.returncode == 1
    assert "No encontré Java" in result.stderr
    assert "openjdk-17-jdk" in result.stderr


def test_cli_busy_port_and_status_exit_codes(tmp_path):
    port = free_port()
    env = {
        "CURSO_KAFKA_DIR": str(tmp_path / "kafka"),
        "CURSO_KAFKA_PORT": str(port),
        "CURSO_KAFKA_CONTROLLER_PORT": str(free_port()),
    }
    status = _cli(env, "status")
    assert status.returncode == 3 and "NO está corriendo" in status.stdout
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = _cli(env, "start")
    assert result.returncode == 1
    assert f"El puerto {port}" in result.stderr


def test_logs_command_shows_broker_log(second_broker_config):
    kafka_local.start(second_broker_config)
    assert "Kafka Server started" in kafka_local.tail_log(second_broker_config, 400)
    assert Path(second_broker_config.log_file).is_file()
