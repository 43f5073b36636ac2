"""Los puertos del broker: los dos se revisan a la vez, el broker los recuerda y avisa si no coinciden.

Todo contra un segundo broker real (``second_broker_config``): el del curso no se toca.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings

import pytest

from helpers import kafka_local, kafka_ports
from helpers.errors import PortBusyError, PortsMismatchError
from helpers.kafka_ports import Ports, PortsMismatchWarning

from conftest import free_port  # noqa: E402


def _listen(port: int) -> socket.socket:
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    return squatter


def _use_data_dir(monkeypatch, config, **ports: int) -> None:
    """Este proceso como una terminal nueva: la carpeta del broker y solo las variables dadas."""
    monkeypatch.setenv("CURSO_KAFKA_DIR", str(config.data_dir))
    monkeypatch.delenv("CURSO_KAFKA_PORT", raising=False)
    monkeypatch.delenv("CURSO_KAFKA_CONTROLLER_PORT", raising=False)
    for name, value in ports.items():
        monkeypatch.setenv(name, str(value))


def test_both_busy_ports_are_reported_at_once_with_one_command(second_broker_config):
    config = second_broker_config
    with _listen(config.port), _listen(config.controller_port):
        with pytest.raises(PortBusyError) as error:
            kafka_local.start(config)
    message = str(error.value)
    assert f"El puerto {config.port} (clientes" in message
    assert f"El puerto {config.controller_port} (controlador" in message
    command = next(line for line in message.splitlines() if line.strip().endswith("make lab"))
    assert "CURSO_KAFKA_PORT=" in command and "CURSO_KAFKA_CONTROLLER_PORT=" in command
    suggested = [int(part.split("=")[1]) for part in command.split() if "=" in part]
    assert all(kafka_ports.port_is_free(port) for port in suggested), "la orden propone puertos libres"


def test_only_the_controller_port_busy_also_names_both_variables(second_broker_config):
    config = second_broker_config
    with _listen(config.controller_port):
        with pytest.raises(PortBusyError) as error:
            kafka_local.start(config)
    message = str(error.value)
    assert f"El puerto {config.controller_port} (controlador" in message
    assert f"El puerto {config.port} " not in message
    assert "CURSO_KAFKA_PORT=" in message and "CURSO_KAFKA_CONTROLLER_PORT=" in message


def test_remembered_ports_are_used_without_the_variables(second_broker_config, monkeypatch):
    config = second_broker_config
    _use_data_dir(monkeypatch, config)
    assert kafka_local.default_config().ports == Ports(9092, 9093), "sin broker previo: 9092/9093"

    kafka_local.start(config)
    assert kafka_ports.remembered_ports(config.data_dir) == config.ports
    with warnings.catch_warnings():
        warnings.simplefilter("error", PortsMismatchWarning)  # coincide: nada que avisar
        fresh = kafka_local.default_config()
    assert fresh.ports == config.ports, "una terminal sin variables debe usar los puertos del broker"
    assert kafka_local.is_ready(fresh.bootstrap)

    kafka_local.stop(config)  # detenido, los recuerda igual: al volver a arrancar, los mismos
    assert kafka_local.default_config().ports == config.ports


def test_cli_in_a_new_terminal_finds_the_running_broker(second_broker_config):
    config = second_broker_config
    kafka_local.start(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURSO_KAFKA_")}
    env["CURSO_KAFKA_DIR"] = str(config.data_dir)
    status = subprocess.run([sys.executable, "-m", "helpers.kafka_local", "status"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    assert config.bootstrap in status.stdout


def test_environment_that_disagrees_with_the_running_broker_is_warned(second_broker_config, monkeypatch):
    config = second_broker_config
    kafka_local.start(config)
    other = free_port()
    _use_data_dir(monkeypatch, config, CURSO_KAFKA_PORT=other)
    with pytest.warns(PortsMismatchWarning) as caught:
        wrong = kafka_local.default_config()
    message = str(caught[0].message)
    assert f"CURSO_KAFKA_PORT={other}" in message and str(config.port) in message
    assert f"export CURSO_KAFKA_PORT={config.port} CURSO_KAFKA_CONTROLLER_PORT={config.controller_port}" \
        in message

    with pytest.raises(PortsMismatchError, match="make stop"):
        kafka_local.start(wrong)  # antes: esperaba 60 s a un broker en el puerto equivocado
    assert kafka_local.is_ready(config.bootstrap), "el broker que corría sigue intacto"
