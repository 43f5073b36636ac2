"""Las autocomprobaciones de los cuadernos explican qué esperaban: nada de ``assert`` pelado.

Un ``assert`` que falla en una celda solo muestra ``AssertionError``. Las comprobaciones del curso
usan ``helpers.checks`` (``check_equal``/``check``), que dicen qué se esperaba, qué llegó y la pista.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def code_cells(notebook: Path) -> list[tuple[int, str]]:
    """Las celdas de código (índice, texto), sin las líneas mágicas de IPython (``%``, ``!``)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [(i, "\n".join(line for line in "".join(c["source"]).splitlines()
                          if not line.lstrip().startswith(("%", "!"))))
            for i, c in enumerate(cells) if c["cell_type"] == "code"]


def bare_asserts(source: str) -> list[int]:
    """Las líneas con una sentencia ``assert`` en ``source``."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert)]


def test_bare_assert_is_detected():
    assert bare_asserts("x = 1\nassert x == 2\n") == [2]
    assert bare_asserts("check_equal(x, 2, 'x')\n") == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_checks_use_helpers_checks(notebook: Path):
    found = [f"celda {i}, línea {line}" for i, source in code_cells(notebook)
             for line in bare_asserts(source)]
    assert not found, (
        f"{notebook.name} tiene assert pelados ({', '.join(found)}): usa helpers.checks "
        "(check_equal o check) para que la falla diga qué se esperaba, qué llegó y la pista"
    )
