"""La comprobación del entorno y los mensajes cuando falta Java o Maven (sin simulaciones)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import flink
from helpers.environment import check_environment, pinned_versions
from helpers.errors import JavaVersionError
from helpers.java import parse_java_major

ROOT = Path(__file__).resolve().parents[1]
PREREQS = ROOT / "scripts" / "check_prereqs.sh"
BASH = shutil.which("bash") or "/bin/bash"


@pytest.mark.parametrize(
    ("banner", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "25.0.1" 2025-10-21 LTS', 25),
    ],
)
def test_parse_java_major(banner, major):
    assert parse_java_major(banner) == major


def test_unreadable_java_version_is_a_clear_error():
    with pytest.raises(JavaVersionError, match="No pude leer la versión de Java"):
        parse_java_major("esto no es java")


def test_pins_are_read_from_the_installed_project():
    pins = pinned_versions()
    assert pins["apache-flink"] == "2.2.1"
    assert pins["kafka-python"].startswith("3.0.")


def test_environment_is_all_ok_on_this_machine(bootstrap, capsys):
    checks = check_environment()
    assert all(check.ok for check in checks), [str(c) for c in checks if not c.ok]
    printed = capsys.readouterr().out
    assert printed.count("[OK]") == len(checks)


def _newer_jdk() -> Path | None:
    """Un JDK instalado más nuevo que 21 (p. ej. Temurin 25), si la máquina tiene uno."""
    for home in sorted(Path("/usr/lib/jvm").glob("*")):
        java = home / "bin" / "java"
        if java.is_file():
            banner = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
            try:
                if parse_java_major(banner) > 21:
                    return home
            except JavaVersionError:
                continue
    return None


def test_too_new_java_for_flink_is_rejected(monkeypatch):
    home = _newer_jdk()
    if home is None:
        pytest.skip("esta máquina no tiene un JDK más nuevo que 21")
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(JavaVersionError, match="JAVA_HOME a un JDK 17"):
        flink.check_java_for_flink()
    result = subprocess.run([BASH, str(PREREQS), sys.executable], capture_output=True, text=True,
                            env={**os.environ, "JAVA_HOME": str(home)})
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("FALTA: Java 17")


def _path_with(tmp_path: Path, *tools: str) -> str:
    """Un PATH que solo contiene las herramientas pedidas (enlaces a las reales)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real, f"{tool} debería existir en esta máquina"
        (folder / tool).symlink_to(real)
    return str(folder)


def test_prereqs_first_line_names_missing_java(tmp_path):
    env = {**os.environ, "PATH": _path_with(tmp_path, "sed", "head", "mvn"), "JAVA_HOME": ""}
    result = subprocess.run([BASH, str(PREREQS), sys.executable], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("FALTA: Java 17"), result.stdout
    assert "openjdk-17-jdk" in result.stdout


def test_prereqs_first_line_names_missing_maven(tmp_path):
    env = {**os.environ, "PATH": _path_with(tmp_path, "sed", "head", "java"), "JAVA_HOME": ""}
    result = subprocess.run([BASH, str(PREREQS), sys.executable], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("FALTA: Maven"), result.stdout
    assert "apt-get install maven" in result.stdout


def test_prereqs_pass_on_this_machine():
    result = subprocess.run([BASH, str(PREREQS), sys.executable], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "Java 17" in result.stdout
