"""Fixtures compartidas: el broker real del curso y nombres de tópico únicos por prueba."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import kafka_local
from helpers.sources.timing import START_MS


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


@pytest.fixture
def hand_events() -> list[dict]:
    """Eventos de archivo hechos a mano, en orden de llegada, para probar las reglas de ventanas.

    (carpeta, segundo del evento, tamaño). El 8 y el 3 llegan cuando la marca de agua (retraso 5 s)
    ya está en 11 s: el 8 pierde su ventana fija [0, 10) pero cuenta en la deslizante [5, 15) y se
    fusiona con la sesión abierta [9, 12) de «a»; el 3 se pierde en todas. Las sesiones [21, 24)
    y [24, 27) de «b» solo se tocan: Flink las fusiona.
    """
    rows = [("a", 1, 10), ("b", 2, 20), ("a", 9, 30), ("b", 12, 40), ("a", 16, 50), ("a", 8, 60),
            ("b", 3, 70), ("a", 20, 80), ("b", 21, 90), ("b", 24, 95), ("a", 30, 100)]
    return [{"path": f"/srv/compartido/{folder}/x{i}.txt", "size_bytes": size,
             "event_time": START_MS + sec * 1000, "arrival_time": START_MS + 100_000 + i}
            for i, (folder, sec, size) in enumerate(rows)]
