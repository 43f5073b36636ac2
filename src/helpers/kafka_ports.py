"""Los puertos del broker local: cuáles están libres y cuáles recuerda el broker.

El broker del curso escucha en dos puertos de ``127.0.0.1``: el de los clientes
(``CURSO_KAFKA_PORT``, 9092 por omisión) y el del controlador KRaft
(``CURSO_KAFKA_CONTROLLER_PORT``, 9093). Este módulo resuelve tres problemas de quien aprende:

- **Los dos puertos se revisan a la vez**: si alguno está ocupado, un solo error dice cuáles y da
  una orden con las dos variables y dos puertos que sí están libres.
- **El broker recuerda sus puertos** en su carpeta de datos (``server.properties``, que escribe
  ``helpers.kafka_local`` al arrancar). Un proceso sin las variables exportadas (otra terminal,
  otro *kernel*) usa esos puertos y no habla en silencio con el Kafka de otra persona en el 9092.
- **Aviso si el entorno no coincide** con el broker del curso que está corriendo.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from helpers.errors import PortBusyError

HOST = "127.0.0.1"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
PORT_VAR = "CURSO_KAFKA_PORT"
CONTROLLER_VAR = "CURSO_KAFKA_CONTROLLER_PORT"
PROPERTIES = "server.properties"
# Dónde buscar un par de puertos libres para sugerirlo: 19092/19093, 29092/29093, ...
SUGGESTION_BASES = tuple(range(19092, 65000, 10000))


class PortsMismatchWarning(UserWarning):
    """El entorno pide unos puertos y el broker del curso que corre usa otros."""


@dataclass(frozen=True)
class Ports:
    """Puerto de los clientes y puerto del controlador."""

    port: int
    controller_port: int


def port_is_free(port: int) -> bool:
    """``True`` si nadie escucha en ``127.0.0.1:port`` y podemos ocuparlo.

    Con ``SO_REUSEADDR``, como Kafka y Flink: las conexiones recién cerradas (``TIME_WAIT``) de un
    servidor que acabamos de detener no cuentan como ocupado; un programa escuchando sí.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def remembered_ports(data_dir: Path) -> Ports | None:
    """Los puertos que el broker de ``data_dir`` usó la última vez (``None`` si nunca arrancó)."""
    try:
        text = (data_dir / PROPERTIES).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    port = controller = None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "listeners":
            for listener in value.split(","):
                name, _, address = listener.strip().partition("://")
                number = int(address.rpartition(":")[2])
                if name == "PLAINTEXT":
                    port = number
                elif name == "CONTROLLER":
                    controller = number
    if port is None or controller is None:
        return None
    return Ports(port, controller)


def configured_ports(data_dir: Path) -> Ports:
    """Los puertos que debe usar este proceso.

    Cada puerto sale de su variable de entorno si está puesta; si no, del que recuerda el broker
    en ``data_dir``; si el broker nunca arrancó, del valor por omisión (9092 y 9093).
    """
    remembered = remembered_ports(data_dir)
    port = os.environ.get(PORT_VAR)
    controller = os.environ.get(CONTROLLER_VAR)
    return Ports(
        int(port) if port else (remembered.port if remembered else DEFAULT_PORT),
        int(controller) if controller else (remembered.controller_port if remembered
                                            else DEFAULT_CONTROLLER_PORT),
    )


def mismatch_message(wanted: Ports, running: Ports, pid: int, data_dir: Path) -> str:
    """Explica, en español, que el entorno y el broker que corre no usan los mismos puertos."""
    return (
        f"Tu entorno pide el broker en {PORT_VAR}={wanted.port} y "
        f"{CONTROLLER_VAR}={wanted.controller_port}, pero el broker del curso que corre "
        f"(PID {pid}, datos en {data_dir}) escucha en {running.port} y {running.controller_port}.\n"
        f"Para usar ese broker:  export {PORT_VAR}={running.port} "
        f"{CONTROLLER_VAR}={running.controller_port}   (o quita las dos variables).\n"
        "Para moverlo a los puertos nuevos: detenlo con  make stop  y vuelve a arrancarlo."
    )


def suggest_free_ports() -> Ports | None:
    """Un par de puertos libres (``N`` y ``N + 1``) para proponer en un mensaje de error."""
    for base in SUGGESTION_BASES:
        if port_is_free(base) and port_is_free(base + 1):
            return Ports(base, base + 1)
    return None


def check_ports_free(wanted: Ports) -> None:
    """Revisa **los dos** puertos y, si alguno está ocupado, lanza un solo ``PortBusyError``."""
    busy = [(name, port) for name, port in (("clientes", wanted.port),
                                            ("controlador", wanted.controller_port))
            if not port_is_free(port)]
    if not busy:
        return
    lines = [f"El puerto {port} ({name} de Kafka) ya está ocupado por otro programa."
             for name, port in busy]
    lines += [f"Averigua cuál es con:  ss -ltnp 'sport = :{port}'   (o lsof -i :{port})"
              for _, port in busy]
    free = suggest_free_ports()
    if free is not None:
        lines.append("Detén ese programa, o usa otros dos puertos (libres ahora mismo):\n"
                     f"  {PORT_VAR}={free.port} {CONTROLLER_VAR}={free.controller_port} make lab")
    else:
        lines.append(f"Detén ese programa, o elige otros dos puertos libres:\n"
                     f"  {PORT_VAR}=<puerto> {CONTROLLER_VAR}=<otro puerto> make lab")
    lines.append("El broker recuerda esos puertos en su carpeta de datos: las próximas veces "
                 "(otra terminal, otro kernel) no hace falta repetir las variables.")
    raise PortBusyError("\n".join(lines))
