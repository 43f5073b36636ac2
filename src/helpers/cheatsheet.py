"""Las hojas imprimibles del curso: su PDF y sus fragmentos de código.

Uso: ``python -m helpers.cheatsheet`` (o ``make cheatsheet``) escribe ``cheatsheet.pdf`` desde
``cheatsheet.md``; ``python -m helpers.cheatsheet entrevista.md`` (o ``make entrevista``) escribe
``entrevista.pdf``. Con ``--png CARPETA`` guarda además cada página como PNG, para revisarla a ojo.
El título del PDF es el primer título ``#`` del Markdown.

El PDF sale sin paquetes del sistema: pandoc (rueda ``pypandoc-binary``) convierte el Markdown a
Typst, y el compilador de Typst (rueda ``typst``, con sus fuentes incluidas) lo compone en A4 a dos
columnas. ``snippets()`` extrae los bloques de código para que las pruebas los ejecuten todos.

Dos comentarios HTML (invisibles en GitHub) guían el PDF y las pruebas:

- ``<!-- pdf: ancho-completo -->`` antes de un bloque lo pone a lo ancho de la página, arriba o
  abajo (``ancho-completo arriba`` o ``abajo`` lo fija); antes de un título ``##``, la sección entera.
- ``<!-- no-ejecutar: razón -->`` antes de un bloque de código: las pruebas no lo ejecutan.

Las tablas cuya línea ``|---|`` tiene más de tres guiones en alguna columna reparten el ancho como
esos guiones; las demás se ajustan a su contenido.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import paths
from helpers.errors import CourseError

SKIP_MARK = re.compile(r"<!--\s*no-ejecutar:\s*(?P<reason>.+?)\s*-->")
FULL_WIDTH_MARK = re.compile(r"<!--\s*pdf:\s*ancho-completo\s*(?P<where>arriba|abajo)?\s*-->")
PLACES = {None: "auto", "arriba": "top", "abajo": "bottom"}
FENCE = re.compile(r"^```(?P<language>[\w+-]*)\s*$")
TABLE_RULE = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")

# Estilo de la página. Solo fuentes que trae la rueda de Typst (así sale igual en cualquier máquina).
STYLE = r"""
#set document(title: "@TITLE@")
#set page(
  paper: "a4", columns: 2, margin: (x: 10mm, top: 9mm, bottom: 11mm),
  footer: context text(6.5pt, fill: luma(110))[
    Curso «ETL por lotes vs. ETL en streaming» · `make @TARGET@`
    #h(1fr) #counter(page).display("1 / 1", both: true)
  ],
)
#set columns(gutter: 5mm)
#set text(font: "Libertinus Serif", size: 8pt, lang: "es")
#set par(leading: 0.42em, spacing: 0.55em)
#set list(indent: 0pt, body-indent: 3pt, spacing: 0.42em)
#show raw: set text(font: "DejaVu Sans Mono", size: 6.2pt)
#show raw.where(block: false): highlight.with(fill: luma(236), extent: 0.8pt, top-edge: 0.9em)
// Un bloque de código corto no se parte entre columnas; uno largo, sí (si no, dejaría huecos).
#show raw.where(block: true): it => block(
  width: 100%, fill: luma(246), stroke: 0.4pt + luma(210), radius: 2pt,
  inset: (x: 4pt, y: 3.5pt), above: 0.5em, below: 0.6em, breakable: it.lines.len() > 16, it)
#show heading: set text(hyphenate: false)
#show heading.where(level: 1): it => place(top, float: true, scope: "parent", clearance: 4pt,
  text(14pt, weight: "bold", fill: rgb("#08306b"), it.body))
#show heading.where(level: 2): it => block(
  width: 100%, fill: rgb("#08519c"), inset: (x: 4pt, y: 2.5pt), above: 0.9em, below: 0.5em,
  text(9.5pt, weight: "bold", fill: white, it.body))
#show heading.where(level: 3): it => block(above: 0.8em, below: 0.45em,
  text(8.5pt, weight: "bold", fill: rgb("#08519c"), it.body))
#show figure: set block(breakable: true)
#show figure.where(kind: table): set figure(supplement: none, numbering: none)
#set table(inset: (x: 2.5pt, y: 2pt), stroke: 0.4pt + luma(190))
#show table: set text(7pt)
#show table: set align(left + top)
#show table: set par(justify: false)
#show table.cell.where(y: 0): set text(weight: "bold")
#show table.cell.where(y: 0): set table.cell(fill: luma(232))
"""


@dataclass(frozen=True)
class Snippet:
    """Un bloque de código de la hoja: su lenguaje, su texto y dónde está."""

    language: str
    code: str
    line: int
    section: str
    skip_reason: str | None = None


def source_path() -> Path:
    """``cheatsheet.md`` en la raíz del curso."""
    return paths.project_root() / "cheatsheet.md"


def document_title(markdown: str) -> str:
    """El primer título ``#`` del Markdown (el título del PDF)."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError("El Markdown no tiene un título de nivel 1 («# …»)")


def page_style(title: str, target: str) -> str:
    """El estilo de página con el título del documento y su objetivo de ``make`` en el pie."""
    return STYLE.replace("@TITLE@", title.replace("\\", "").replace('"', "'")).replace(
        "@TARGET@", target)


def output_path() -> Path:
    """``cheatsheet.pdf`` en la raíz del curso (ignorado por git)."""
    return paths.project_root() / "cheatsheet.pdf"


def section_titles(markdown: str) -> list[str]:
    """Los títulos de sección (``##`` y ``###``) fuera de los bloques de código."""
    titles, in_code = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and re.match(r"#{2,3} ", line):
            titles.append(line.lstrip("#").strip())
    return titles


def snippets(markdown: str) -> list[Snippet]:
    """Todos los bloques de código, en orden, con la sección ``##`` en la que están.

    Un comentario ``<!-- no-ejecutar: razón -->`` justo antes de un bloque (solo líneas en
    blanco entre ambos) lo marca como no ejecutable y guarda la razón.
    """
    found: list[Snippet] = []
    section, pending_skip, opened, body = "", None, None, []
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is not None:
            if fence and not fence["language"]:
                language, start, reason = opened
                found.append(Snippet(language, "\n".join(body) + "\n", start, section, reason))
                opened, body = None, []
            else:
                body.append(line)
        elif fence:
            opened, pending_skip = (fence["language"], number + 1, pending_skip), None
        elif line.startswith("## "):
            section, pending_skip = line[3:].strip(), None
        elif mark := SKIP_MARK.search(line):
            pending_skip = mark["reason"]
        elif line.strip():
            pending_skip = None
    if opened is not None:
        raise ValueError(f"El bloque de código de la línea {opened[1] - 1} no se cierra")
    return found


def _renderer(module: str):
    """Importa ``pypandoc`` o ``typst``; si faltan, dice cómo instalarlos."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise CourseError(
            f"Falta {module}, que genera el PDF de la hoja. Instálalo con  make cheatsheet\n"
            "(equivale a: .venv/bin/python -m pip install -e \".[cheatsheet]\")"
        ) from error


def _raw_typst(text: str) -> dict:
    return {"t": "RawBlock", "c": ["typst", text]}


def _full_width(blocks: list[dict]) -> list[dict]:
    """Envuelve en una figura flotante a todo lo ancho lo que sigue a ``<!-- pdf: ancho-completo -->``.

    Lo que sigue es un bloque, o la sección entera si el bloque es un título de nivel 2.
    """
    laid_out: list[dict] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        mark = block["t"] == "RawBlock" and FULL_WIDTH_MARK.search(block["c"][1])
        if not mark or index + 1 == len(blocks):
            laid_out.append(block)
            index += 1
            continue
        end = index + 2
        if blocks[index + 1]["t"] == "Header" and blocks[index + 1]["c"][0] == 2:
            while end < len(blocks) and not (blocks[end]["t"] == "Header" and blocks[end]["c"][0] <= 2):
                end += 1
        where = PLACES[mark["where"]]
        laid_out.append(_raw_typst(f'#place({where}, float: true, scope: "parent", clearance: 8pt)['))
        laid_out.extend(blocks[index + 1:end])
        laid_out.append(_raw_typst("]"))
        index = end
    return laid_out


def _column_widths(markdown: str) -> list[list[float] | None]:
    """Para cada tabla, en orden: anchos relativos según sus guiones, o ``None`` (automáticos)."""
    widths: list[list[float] | None] = []
    in_code = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and TABLE_RULE.match(line.strip()):
            dashes = [cell.count("-") for cell in line.strip().strip("|").split("|")]
            widths.append([d / sum(dashes) for d in dashes] if max(dashes) > 3 else None)
    return widths


def _set_widths(blocks: list[dict], widths: list[list[float] | None]) -> None:
    """Pone en cada tabla del AST de pandoc los anchos de ``_column_widths`` (en el mismo orden)."""
    tables = [block for block in blocks if block["t"] == "Table"]
    if len(tables) != len(widths):
        raise ValueError(f"Encontré {len(widths)} tablas en el Markdown y {len(tables)} en pandoc")
    for table, relative in zip(tables, widths):
        if relative:
            table["c"][2] = [[align, {"t": "ColWidth", "c": width}]
                             for (align, _), width in zip(table["c"][2], relative)]


def to_typst(markdown: str, target: str = "cheatsheet") -> str:
    """El documento Typst completo: el estilo de la página y el Markdown convertido por pandoc.

    ``target`` es el objetivo de ``make`` que genera el PDF (sale en el pie de página).
    """
    pypandoc = _renderer("pypandoc")
    document = json.loads(pypandoc.convert_text(markdown, "json", format="gfm"))
    _set_widths(document["blocks"], _column_widths(markdown))
    document["blocks"] = _full_width(document["blocks"])
    body = pypandoc.convert_text(json.dumps(document), "typst", format="json")
    return page_style(document_title(markdown), target) + "\n" + body


def build(source: Path | None = None, output: Path | None = None,
          png_dir: Path | None = None, ppi: int = 110) -> Path:
    """Convierte ``source`` (Markdown) en ``output`` (PDF A4) y, si se pide, en PNG por página."""
    typst = _renderer("typst")
    source = source or source_path()
    output = output or source.with_suffix(".pdf")
    document = to_typst(source.read_text(encoding="utf-8"), target=source.stem).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="hoja-") as folder:
        main = Path(folder) / "cheatsheet.typ"
        main.write_bytes(document)
        pdf, warnings = typst.compile_with_warnings(main, root=folder, ignore_system_fonts=True)
        if warnings:
            raise RuntimeError("Typst avisó de problemas:\n" + "\n".join(map(str, warnings)))
        output.write_bytes(pdf)
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            pages = typst.compile(main, root=folder, format="png", ppi=ppi, ignore_system_fonts=True)
            for number, page in enumerate(pages if isinstance(pages, list) else [pages], start=1):
                (png_dir / f"pagina-{number}.png").write_bytes(page)
    return output


def main(argv: list[str] | None = None) -> int:
    """Punto de entrada de ``python -m helpers.cheatsheet``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.cheatsheet",
                                     description="Genera el PDF (A4) de una hoja del curso.")
    parser.add_argument("fuente", nargs="?", type=Path, default=None,
                        help="el Markdown (por omisión, cheatsheet.md); el PDF sale a su lado")
    parser.add_argument("--png", type=Path, metavar="CARPETA", help="guarda también cada página en PNG")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    source = args.fuente
    if source is not None and not source.is_absolute():
        source = paths.project_root() / source
    try:
        pdf = build(source=source, png_dir=args.png)
    except CourseError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print(f"Listo: {pdf} ({time.perf_counter() - began:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
