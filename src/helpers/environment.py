"""Comprobación del entorno: una línea ``[OK]`` o ``[FALLA]`` por cada pieza del curso.

Uso: ``python -m helpers.environment`` o, en un cuaderno, ``check_environment()``.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata

from helpers import flink, paths
from helpers.errors import CourseError
from helpers.kafka_local import default_config, is_ready

DISTRIBUTION = "curso-etl-streaming"
PINNED_PACKAGES = ("apache-flink", "kafka-python", "pandas", "matplotlib")


@dataclass(frozen=True)
class Check:
    """El resultado de una comprobación: si pasó y qué encontró (o qué hacer)."""

    ok: bool
    name: str
    detail: str

    def __str__(self) -> str:
        return f"[{'OK' if self.ok else 'FALLA'}] {self.name}: {self.detail}"


def pinned_versions() -> dict[str, str]:
    """Versiones fijadas en ``pyproject.toml`` (leídas del paquete instalado)."""
    pins: dict[str, str] = {}
    for requirement in metadata.requires(DISTRIBUTION) or []:
        spec = requirement.split(";")[0].strip()
        if "==" in spec:
            name, version = spec.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def _check_python() -> Check:
    ok = sys.version_info[:2] == (3, 11)
    detail = platform.python_version() + ("" if ok else " (el curso está probado con 3.11)")
    return Check(ok, "Python", detail)


def _check_java() -> Check:
    try:
        major = flink.check_java_for_flink()
    except CourseError as error:
        return Check(False, "Java", str(error))
    return Check(True, "Java", f"{major}")


def _check_package(name: str, pins: dict[str, str]) -> Check:
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(False, name, "no está instalado; ejecuta  make setup")
    wanted = pins.get(name.lower())
    if wanted and installed != wanted:
        return Check(False, name, f"{installed}, pero el curso fija {wanted}; ejecuta  make setup")
    return Check(True, name, installed)


def _check_jars() -> list[Check]:
    checks = []
    try:
        checks.append(Check(True, "jar del conector de Flink", flink.connector_jar().name))
    except CourseError as error:
        checks.append(Check(False, "jar del conector de Flink", str(error)))
    broker = sorted((paths.jars_dir() / "kafka").glob("kafka_2.13-*.jar"))
    if broker:
        checks.append(Check(True, "jars del broker de Kafka", broker[-1].name))
    else:
        checks.append(Check(False, "jars del broker de Kafka", "faltan; ejecuta  make jars"))
    return checks


def _check_broker() -> Check:
    bootstrap = default_config().bootstrap
    if is_ready(bootstrap):
        return Check(True, "broker de Kafka", f"responde en {bootstrap}")
    return Check(False, "broker de Kafka", f"no responde en {bootstrap}; arráncalo con  make kafka")


def check_environment(verbose: bool = True) -> list[Check]:
    """Ejecuta todas las comprobaciones, las imprime (si ``verbose``) y las devuelve."""
    pins = pinned_versions()
    checks = [_check_python(), _check_java()]
    checks += [_check_package(name, pins) for name in PINNED_PACKAGES]
    checks += _check_jars()
    checks.append(_check_broker())
    if verbose:
        for check in checks:
            print(check)
    return checks


if __name__ == "__main__":
    sys.exit(0 if all(check.ok for check in check_environment()) else 1)
