"""Rutas del proyecto: raíz, jars, datos del broker y logs.

Todas se pueden cambiar con variables de entorno, para que el curso funcione igual
desde un clon, desde CI o desde una instalación con conda.
"""

from __future__ import annotations

import os
from pathlib import Path

_MARKER = Path("jvm") / "pom.xml"


def project_root() -> Path:
    """Devuelve la carpeta raíz del curso (la que contiene ``jvm/pom.xml``).

    Orden de búsqueda: la variable ``CURSO_HOME``; la carpeta de este paquete
    (instalación editable desde ``src/``); la carpeta actual y sus padres.
    """
    env = os.environ.get("CURSO_HOME")
    if env:
        return Path(env).expanduser().resolve()
    candidates = [Path(__file__).resolve().parents[2], Path.cwd().resolve()]
    candidates += list(Path.cwd().resolve().parents)
    for candidate in candidates:
        if (candidate / _MARKER).is_file():
            return candidate
    return Path.cwd().resolve()


def jars_dir() -> Path:
    """Carpeta de los jars que copia Maven (``CURSO_JARS_DIR`` o ``<raíz>/.jars``)."""
    env = os.environ.get("CURSO_JARS_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / ".jars"


def kafka_data_dir() -> Path:
    """Carpeta de datos, logs y PID del broker (``CURSO_KAFKA_DIR`` o ``<raíz>/.kafka``)."""
    env = os.environ.get("CURSO_KAFKA_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / ".kafka"


def logs_dir() -> Path:
    """Carpeta de los logs del curso fuera del broker (``CURSO_LOGS_DIR`` o ``<raíz>/.logs``)."""
    env = os.environ.get("CURSO_LOGS_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / ".logs"
