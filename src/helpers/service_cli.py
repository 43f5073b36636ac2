"""La línea de comandos común de los servicios locales del curso (broker de Kafka, clúster de Flink).

Cada servicio entiende ``start``, ``stop``, ``status`` y ``logs``; ``status`` termina con código 0
si el servicio responde y 3 si no, y un ``CourseError`` se imprime en español con código 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from helpers.errors import CourseError


@dataclass(frozen=True)
class Service:
    """Lo que un servicio sabe hacer; cada acción devuelve el texto para quien la pidió."""

    start: Callable[[], str]
    stop: Callable[[], str]
    status: Callable[[], tuple[bool, str]]
    logs: Callable[[int], str]


def run(prog: str, description: str, make_service: Callable[[], Service],
        argv: list[str] | None = None, default_lines: int = 40) -> int:
    """Lee la orden de ``argv``, la ejecuta sobre ``make_service()`` y devuelve el código de salida."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("command", choices=["start", "stop", "status", "logs"])
    parser.add_argument("-n", "--lines", type=int, default=default_lines,
                        help="líneas de log a mostrar")
    args = parser.parse_args(argv)
    try:
        service = make_service()
        if args.command == "status":
            running, text = service.status()
            print(text)
            return 0 if running else 3
        if args.command == "logs":
            print(service.logs(args.lines))
        else:
            print(service.start() if args.command == "start" else service.stop())
    except CourseError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0
