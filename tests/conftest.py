"""Fixtures compartidas: el broker real del curso y nombres de tópico únicos por prueba."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import kafka_local


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Deja ``os.environ`` como estaba después de cada prueba.

    Un job de DataStream con funciones de Python corre en modo *loopback* dentro de este mismo
    proceso, y PyFlink le deja ``PYFLINK_GATEWAY_DISABLED=true`` en el entorno. Si esa variable
    llegara a los kernels que nbval arranca después, ningún cuaderno podría crear su entorno de Flink.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def bootstrap() -> Iterator[str]:
    """La dirección del broker del curso; lo arranca si hace falta y, entonces, lo detiene al final."""
    config = kafka_local.default_config()
    _, started = kafka_local.start(config)
    yield config.bootstrap
    if started:
        kafka_local.stop(config)


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> str:
    """Un nombre de tópico propio de cada prueba (así las pruebas no se pisan)."""
    return "prueba-" + re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-").lower()


def free_port() -> int:
    """Un puerto TCP libre en 127.0.0.1 (el sistema operativo lo elige)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def second_broker_config(tmp_path: Path) -> Iterator[kafka_local.BrokerConfig]:
    """Configuración de un segundo broker (puertos libres, datos en una carpeta temporal).

    Sirve para probar el ciclo de vida sin tocar el broker que usan los cuadernos.
    Al terminar, detiene el broker si quedó corriendo.
    """
    base = kafka_local.default_config()
    config = kafka_local.BrokerConfig(
        port=free_port(),
        controller_port=free_port(),
        data_dir=tmp_path / "kafka",
        jars_dir=base.jars_dir,
        heap="384m",
    )
    yield config
    kafka_local.stop(config)
