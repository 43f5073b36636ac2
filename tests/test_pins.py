"""Las versiones fijadas del curso coinciden en todos los archivos que las repiten.

Fuentes de verdad:

- ``pyproject.toml``: ``apache-flink`` y ``kafka-python`` (en ``[project].dependencies``).
- ``jvm/pom.xml``: ``kafka.version`` (broker) y ``flink.connector.version`` (conector).

Copias que deben coincidir: ``environment.yml``, ``docker-compose.yml``,
``docker/flink/Dockerfile`` y la tabla de compatibilidad de ``README.md``.
Estas pruebas no usan la red ni Docker: solo leen archivos.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET  # noqa: N817 - pom.xml es un archivo local y confiable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
POM = ROOT / "jvm" / "pom.xml"
ENVIRONMENT = ROOT / "environment.yml"
COMPOSE = ROOT / "docker-compose.yml"
README = ROOT / "README.md"

PYTHON_VERSION = "3.11"
JAVA_VERSION = "17"
LOCALHOST = "127.0.0.1"
MAVEN_CONNECTOR_URL = (
    "https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/"
    "${KAFKA_CONNECTOR_VERSION}/flink-sql-connector-kafka-${KAFKA_CONNECTOR_VERSION}.jar"
)


# --- Lectura de las fuentes --------------------------------------------------


def _normalize(name: str) -> str:
    """Nombre de paquete normalizado (PEP 503): minúsculas y ``-`` como separador."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions() -> dict[str, str]:
    """Versiones fijadas con ``==`` en ``[project].dependencies`` de ``pyproject.toml``."""
    with PYPROJECT.open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    pins: dict[str, str] = {}
    for requirement in dependencies:
        match = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*==\s*([^\s;,]+)\s*", requirement)
        if match:
            pins[_normalize(match.group(1))] = match.group(2)
    return pins


def pin(package: str) -> str:
    """La versión exacta de ``package`` en ``pyproject.toml``; falla si no está fijada."""
    pins = pinned_versions()
    assert package in pins, (
        f"{package} debe estar fijado con '==' en [project].dependencies de pyproject.toml"
    )
    return pins[package]


def pom_properties() -> dict[str, str]:
    """Las ``<properties>`` de ``jvm/pom.xml`` como diccionario (sin el espacio de nombres)."""
    root = ET.parse(POM).getroot()
    properties = next((child for child in root if child.tag.endswith("}properties")), None)
    assert properties is not None, "jvm/pom.xml no tiene una sección <properties>"
    return {child.tag.split("}")[-1]: (child.text or "").strip() for child in properties}


def pom_property(name: str) -> str:
    """El valor de la propiedad ``name`` de ``jvm/pom.xml``; falla si falta o está vacía."""
    value = pom_properties().get(name, "")
    assert value, f"Falta la propiedad <{name}> en jvm/pom.xml"
    return value


def load_yaml(path: Path) -> dict[str, Any]:
    """Lee un archivo YAML con ``yaml.safe_load`` y comprueba que sea un diccionario."""
    assert path.exists(), f"Falta el archivo {path.relative_to(ROOT)}"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.relative_to(ROOT)} debe ser un diccionario YAML"
    return data


def minor(version: str) -> str:
    """La versión «mayor.menor» de una versión como ``2.2.1`` (da ``2.2``)."""
    return ".".join(version.split(".")[:2])


def conda_packages(env: dict[str, Any]) -> dict[str, str]:
    """Paquetes de conda de ``environment.yml``: nombre → versión pedida (``""`` si no hay)."""
    packages: dict[str, str] = {}
    for entry in env.get("dependencies", []):
        if isinstance(entry, str):
            name, _, version = entry.partition("=")
            packages[name.strip()] = version.lstrip("=").strip()
    return packages


def pip_requirements(env: dict[str, Any]) -> list[str]:
    """Las líneas de la sección ``pip:`` de ``environment.yml``."""
    for entry in env.get("dependencies", []):
        if isinstance(entry, dict) and "pip" in entry:
            return [str(line) for line in entry["pip"]]
    return []


def compose_services() -> dict[str, dict[str, Any]]:
    """Los servicios de ``docker-compose.yml``."""
    services = load_yaml(COMPOSE).get("services")
    assert isinstance(services, dict) and services, "docker-compose.yml no define servicios"
    return services


def built_services() -> dict[str, dict[str, Any]]:
    """Servicios de ``docker-compose.yml`` que se construyen con un Dockerfile: nombre → build."""
    built = {
        name: service["build"]
        for name, service in compose_services().items()
        if isinstance(service.get("build"), dict)
    }
    assert built, "docker-compose.yml no construye ningún servicio de Flink (falta 'build:')"
    return built


def published_host_ip(port: str | int | dict[str, Any]) -> str:
    """La IP de la máquina donde se publica un puerto de compose (``""`` si no se indica)."""
    if isinstance(port, dict):  # sintaxis larga: {target, published, host_ip}
        return str(port.get("host_ip", ""))
    parts = str(port).split(":")
    return parts[0] if len(parts) == 3 else ""


def mentions_version(text: str, version: str) -> bool:
    """``True`` si ``text`` nombra ``version`` tal cual (``2.2.1`` no vale dentro de ``2.2.10``)."""
    return re.search(rf"(?<![\d.]){re.escape(version)}(?!\d|\.\d)", text) is not None


def readme_compatibility_table(text: str) -> list[str]:
    """Filas de tabla Markdown de la sección del README cuyo título menciona «compatib»."""
    rows: list[str] = []
    level = 0
    for line in text.splitlines():
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        if heading:
            if level and len(heading.group(1)) <= level:
                break  # empieza otra sección del mismo nivel o superior
            if not level and "compatib" in heading.group(2).lower():
                level = len(heading.group(1))
            continue
        if level and line.lstrip().startswith("|"):
            rows.append(line)
    return rows


# --- pyproject.toml y jvm/pom.xml --------------------------------------------


def test_pyproject_pins_exact_versions() -> None:
    flink = pin("apache-flink")
    kafka_python = pin("kafka-python")
    assert re.fullmatch(r"\d+\.\d+\.\d+", flink), (
        f"apache-flink debe fijarse a una versión completa X.Y.Z, no {flink!r}"
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", kafka_python), (
        f"kafka-python debe fijarse a una versión completa X.Y.Z, no {kafka_python!r}"
    )


def test_pom_defines_kafka_and_connector_versions() -> None:
    kafka = pom_property("kafka.version")
    connector = pom_property("flink.connector.version")
    assert re.fullmatch(r"\d+\.\d+\.\d+", kafka), (
        f"kafka.version en jvm/pom.xml debe ser X.Y.Z, no {kafka!r}"
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+-\d+\.\d+", connector), (
        f"flink.connector.version en jvm/pom.xml debe tener la forma X.Y.Z-A.B, no {connector!r}"
    )


def test_connector_matches_flink_minor() -> None:
    flink = pin("apache-flink")
    connector = pom_property("flink.connector.version")
    suffix = connector.rpartition("-")[2]
    assert suffix == minor(flink), (
        f"El conector {connector} (jvm/pom.xml) es para Flink {suffix}, "
        f"pero pyproject.toml fija apache-flink=={flink} (Flink {minor(flink)})"
    )


# --- environment.yml -----------------------------------------------------------


def test_environment_yml_pins_python_java_and_tools() -> None:
    env = load_yaml(ENVIRONMENT)
    assert env.get("name") == "curso-etl-streaming", (
        "El entorno de conda debe llamarse curso-etl-streaming"
    )
    assert env.get("channels") == ["conda-forge"], "environment.yml debe usar solo conda-forge"
    packages = conda_packages(env)
    assert packages.get("python") == PYTHON_VERSION, (
        f"environment.yml debe fijar python={PYTHON_VERSION}, no {packages.get('python')!r}"
    )
    assert packages.get("openjdk") == JAVA_VERSION, (
        f"environment.yml debe fijar openjdk={JAVA_VERSION}, no {packages.get('openjdk')!r}"
    )
    for tool in ("maven", "make", "pip"):
        assert tool in packages, f"environment.yml debe incluir {tool}"
    with PYPROJECT.open("rb") as file:
        requires_python = tomllib.load(file)["project"]["requires-python"]
    assert f">={PYTHON_VERSION}" in requires_python, (
        f"environment.yml usa Python {PYTHON_VERSION}, pero pyproject.toml pide {requires_python}"
    )


def test_environment_yml_installs_project_with_pip() -> None:
    lines = pip_requirements(load_yaml(ENVIRONMENT))
    requirements = [line.replace('"', "").replace("'", "") for line in lines]
    assert "-e .[dev]" in requirements, (
        "La sección pip: de environment.yml debe instalar el curso con -e \".[dev]\", "
        f"pero contiene {requirements}"
    )


# --- docker-compose.yml y docker/flink/Dockerfile ------------------------------


def test_compose_uses_pom_kafka_version() -> None:
    kafka = compose_services().get("kafka")
    assert kafka is not None, "docker-compose.yml debe tener un servicio llamado kafka"
    expected = f"apache/kafka:{pom_property('kafka.version')}"
    assert kafka.get("image") == expected, (
        f"La imagen de Kafka en docker-compose.yml es {kafka.get('image')!r}, "
        f"pero jvm/pom.xml pide {expected!r}"
    )


@pytest.mark.parametrize("service", ["jobmanager", "taskmanager"])
def test_compose_builds_flink_with_pinned_versions(service: str) -> None:
    build = built_services().get(service)
    assert build is not None, f"El servicio {service} debe construirse con docker/flink/Dockerfile"
    args = {key: str(value) for key, value in (build.get("args") or {}).items()}
    flink = pin("apache-flink")
    connector = pom_property("flink.connector.version")
    assert args.get("FLINK_VERSION") == flink, (
        f"{service}: FLINK_VERSION es {args.get('FLINK_VERSION')!r}, "
        f"pero pyproject.toml fija apache-flink=={flink}"
    )
    assert args.get("PYFLINK_VERSION") == flink, (
        f"{service}: PYFLINK_VERSION es {args.get('PYFLINK_VERSION')!r}, "
        f"pero pyproject.toml fija apache-flink=={flink}"
    )
    assert args.get("KAFKA_CONNECTOR_VERSION") == connector, (
        f"{service}: KAFKA_CONNECTOR_VERSION es {args.get('KAFKA_CONNECTOR_VERSION')!r}, "
        f"pero jvm/pom.xml pide flink.connector.version={connector}"
    )


def test_compose_publishes_ports_on_localhost_only() -> None:
    for name, service in compose_services().items():
        assert service.get("network_mode") != "host", (
            f"{name} no debe usar network_mode: host (expondría todos sus puertos)"
        )
        for port in service.get("ports", []):
            assert published_host_ip(port) == LOCALHOST, (
                f"{name} publica el puerto {port!r} fuera de {LOCALHOST}; "
                f"usa la forma \"{LOCALHOST}:<puerto>:<puerto>\""
            )


def test_flink_dockerfile_uses_version_args() -> None:
    for service, build in built_services().items():
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.exists(), f"{service}: falta {dockerfile.relative_to(ROOT)}"
        lines = [
            line.strip()
            for line in dockerfile.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        code = "\n".join(lines)
        froms = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
        assert froms, f"{dockerfile.name}: no tiene línea FROM"
        from_index = froms[-1]  # la imagen final; las anteriores son etapas de construcción
        assert lines[from_index] == "FROM flink:${FLINK_VERSION}-java17", (
            f"{dockerfile.name}: la imagen base debe ser flink:${{FLINK_VERSION}}-java17, "
            f"no {lines[from_index]!r}"
        )
        for arg in ("FLINK_VERSION", "PYTHON_VERSION"):
            assert f"ARG {arg}" in lines[:froms[0]], (
                f"{dockerfile.name}: ARG {arg} debe declararse antes del primer FROM"
            )
        assert "FROM python:${PYTHON_VERSION}-slim-bookworm AS python" in lines, (
            f"{dockerfile.name}: los trabajadores deben usar el Python del curso "
            "(etapa FROM python:${PYTHON_VERSION}-slim-bookworm AS python)"
        )
        after_from = lines[from_index + 1 :]
        for arg in ("PYFLINK_VERSION", "KAFKA_CONNECTOR_VERSION"):
            assert f"ARG {arg}" in after_from, (
                f"{dockerfile.name}: ARG {arg} debe declararse después de FROM para usarse en RUN"
            )
        assert "apache-flink==${PYFLINK_VERSION}" in code, (
            f"{dockerfile.name}: debe instalar apache-flink==${{PYFLINK_VERSION}} con pip"
        )
        assert MAVEN_CONNECTOR_URL in code, (
            f"{dockerfile.name}: debe descargar el conector desde Maven Central: "
            f"{MAVEN_CONNECTOR_URL}"
        )
        for version in (pin("apache-flink"), pom_property("flink.connector.version")):
            assert version not in code, (
                f"{dockerfile.name}: no escribas la versión {version} a mano; "
                "usa los ARG que llegan desde docker-compose.yml"
            )


def compose_flink_properties(service: str) -> dict[str, str]:
    """Las opciones de ``FLINK_PROPERTIES`` de un servicio de Flink en ``docker-compose.yml``."""
    text = (compose_services()[service].get("environment") or {}).get("FLINK_PROPERTIES", "")
    loaded = yaml.safe_load(text) or {}
    return {str(key): str(value) for key, value in loaded.items()}


@pytest.mark.parametrize("service", ["jobmanager", "taskmanager"])
def test_compose_workers_use_the_course_python_minor(service: str) -> None:
    args = {key: str(value) for key, value in (built_services()[service].get("args") or {}).items()}
    assert args.get("PYTHON_VERSION") == PYTHON_VERSION, (
        f"{service}: PYTHON_VERSION es {args.get('PYTHON_VERSION')!r}; los trabajadores de PyFlink "
        f"deben usar el mismo Python menor que el curso ({PYTHON_VERSION}): cloudpickle no "
        "garantiza que una función serializada en un Python se lea en otro"
    )


def test_compose_taskmanager_scales() -> None:
    taskmanager = compose_services()["taskmanager"]
    fixed = [key for key in ("container_name", "hostname", "ports") if key in taskmanager]
    assert not fixed, (
        f"El servicio taskmanager define {fixed}: con eso, docker compose up --scale "
        "taskmanager=N falla (nombres o puertos repetidos)"
    )


@pytest.mark.parametrize("service", ["jobmanager", "taskmanager"])
def test_compose_flink_options_match_the_local_cluster(service: str) -> None:
    from helpers import flink_cluster

    local = flink_cluster.settings(flink_cluster.default_config())
    compose = compose_flink_properties(service)
    shared = ("jobmanager.memory.process.size", "taskmanager.memory.process.size",
              "taskmanager.numberOfTaskSlots", "taskmanager.load-balance.mode",
              "heartbeat.interval", "heartbeat.timeout", "parallelism.default")
    different = {key: (compose.get(key), local[key])
                 for key in shared if compose.get(key) != local[key]}
    assert not different, (
        f"{service}: FLINK_PROPERTIES de docker-compose.yml no coincide con el clúster local "
        f"(helpers.flink_cluster.settings), opción: (compose, local) = {different}"
    )


# --- README.md -------------------------------------------------------------------


def test_readme_compatibility_table_names_each_version() -> None:
    if not README.exists():
        pytest.skip("README.md todavía no existe")
    rows = readme_compatibility_table(README.read_text(encoding="utf-8"))
    assert rows, (
        "README.md debe tener una sección cuyo título mencione «Compatibilidad» "
        "con una tabla de versiones"
    )
    table = "\n".join(rows)
    expected = {
        "apache-flink (pyproject.toml)": pin("apache-flink"),
        "kafka-python (pyproject.toml)": pin("kafka-python"),
        "Kafka (jvm/pom.xml)": pom_property("kafka.version"),
        "conector de Kafka para Flink (jvm/pom.xml)": pom_property("flink.connector.version"),
        "Python (environment.yml)": PYTHON_VERSION,
        "Java (environment.yml)": JAVA_VERSION,
    }
    missing = [
        f"{what} {version}"
        for what, version in expected.items()
        if not mentions_version(table, version)
    ]
    assert not missing, f"La tabla de compatibilidad del README no menciona: {', '.join(missing)}"
