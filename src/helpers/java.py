"""Encontrar Java y comprobar que su versión sirve para Kafka 4 y Flink 2."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from helpers.errors import JavaNotFoundError, JavaVersionError

MIN_JAVA = 17
"""Kafka 4.x exige Java 17 o más nuevo."""

MAX_JAVA_FOR_FLINK = 21
"""Flink 2.2 está probado con Java 11, 17 y 21; el curso usa 17."""

INSTALL_HINT = (
    "Instala el JDK 17:\n"
    "  - Debian/Ubuntu: sudo apt-get install openjdk-17-jdk\n"
    "  - macOS (Homebrew): brew install openjdk@17\n"
    "  - conda: conda install -c conda-forge openjdk=17\n"
    "y, si tienes varios, apunta JAVA_HOME al JDK 17."
)

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


@dataclass(frozen=True)
class JavaInfo:
    """Un Java encontrado: su ejecutable y su versión mayor (17, 21...)."""

    executable: Path
    major: int
    banner: str


def parse_java_major(banner: str) -> int:
    """Extrae la versión mayor del texto de ``java -version``.

    Entiende los dos formatos: ``"1.8.0_392"`` → 8 y ``"17.0.15"`` → 17.
    """
    match = _VERSION_RE.search(banner)
    if not match:
        raise JavaVersionError(
            f"No pude leer la versión de Java de este texto:\n{banner.strip()}\n{INSTALL_HINT}"
        )
    first = int(match.group(1))
    if first == 1 and match.group(2):
        return int(match.group(2))
    return first


def find_java() -> Path:
    """Devuelve el ejecutable ``java``: primero ``$JAVA_HOME/bin/java``, luego el PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return candidate
    found = shutil.which("java")
    if found:
        return Path(found)
    raise JavaNotFoundError(
        "No encontré Java: no hay `java` en el PATH ni en JAVA_HOME.\n"
        "Kafka y Flink corren sobre la JVM y necesitan Java 17.\n" + INSTALL_HINT
    )


def java_info() -> JavaInfo:
    """Encuentra Java y comprueba que sea 17 o más nuevo.

    Lanza ``JavaNotFoundError`` o ``JavaVersionError`` con un mensaje que dice qué hacer.
    """
    executable = find_java()
    result = subprocess.run(
        [str(executable), "-version"], capture_output=True, text=True, timeout=60
    )
    banner = result.stderr or result.stdout
    major = parse_java_major(banner)
    if major < MIN_JAVA:
        raise JavaVersionError(
            f"Encontré Java {major} en {executable}, pero Kafka 4 y Flink 2 necesitan "
            f"Java {MIN_JAVA} o más nuevo.\n" + INSTALL_HINT
        )
    return JavaInfo(executable=executable, major=major, banner=banner.strip())
