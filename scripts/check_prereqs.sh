#!/usr/bin/env bash
# Comprueba las herramientas del sistema que el curso no puede instalar por sí mismo:
# Python 3.11, Java 17 (JDK) y Maven. Si falta algo, lo dice en la primera línea y explica
# cómo instalarlo. Uso: scripts/check_prereqs.sh [python]
set -u
PY="${1:-python3.11}"
fail=0

say_fail() { echo "FALTA: $1"; shift; for line in "$@"; do echo "   $line"; done; fail=1; }

if ! command -v "$PY" >/dev/null 2>&1; then
  say_fail "Python 3.11 ($PY no está en el PATH)." \
    "Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" \
    "macOS: brew install python@3.11    conda: conda env create -f environment.yml" \
    "O indica otro intérprete 3.11: make PYTHON=/ruta/a/python3.11 ..."
fi

java_bin="java"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java_bin="$JAVA_HOME/bin/java"; fi
if ! command -v "$java_bin" >/dev/null 2>&1; then
  say_fail "Java 17 (no hay 'java' en el PATH ni en JAVA_HOME). Kafka 4 y Flink 2 lo necesitan." \
    "Debian/Ubuntu: sudo apt-get install openjdk-17-jdk" \
    "macOS: brew install openjdk@17    conda: conda install -c conda-forge openjdk=17"
else
  version=$("$java_bin" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.\([0-9]*\)\)\{0,1\}.*/\1 \3/p' | head -n1)
  major=${version%% *}; minor=${version##* }
  [ "$major" = "1" ] && major=$minor
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    say_fail "Java 17: encontré Java ${major:-desconocido} ($java_bin); Kafka 4 y Flink 2 piden 17." \
      "Instala openjdk-17-jdk (apt), openjdk@17 (brew) u openjdk=17 (conda) y apunta JAVA_HOME a él."
  elif [ "$major" -gt 21 ]; then
    say_fail "Java 17: encontré Java $major ($java_bin); Flink 2.2 solo está probado hasta Java 21." \
      "Apunta JAVA_HOME a un JDK 17, por ejemplo: export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"
  fi
fi

if ! command -v mvn >/dev/null 2>&1; then
  say_fail "Maven (mvn), que descarga los jars de Kafka y del conector de Flink." \
    "Debian/Ubuntu: sudo apt-get install maven" \
    "macOS: brew install maven    conda: conda install -c conda-forge maven"
fi

if [ "$fail" -ne 0 ]; then
  echo "Instala lo que falta y vuelve a ejecutar el mismo comando."
  exit 1
fi
echo "==> Herramientas del sistema: Python 3.11, Java $major y Maven encontrados"
