"""Un término por concepto: las variantes que el curso evita no aparecen en lo que lee quien aprende.

La fuente única es el glosario de ``cheatsheet.md``: cada «no «X»» de su segunda columna es una
variante prohibida (su término correcto es el de la misma celda). A esas se suman los
regionalismos y los prefijos con guion que la RAE escribe unidos.

Dónde se busca: ``README.md``, ``cheatsheet.md`` (menos el propio glosario, que nombra las
variantes), ``entrevista.md`` y los cuadernos ``notebooks/*.ipynb``: sus celdas de Markdown y, en
las celdas de código, solo los comentarios y las cadenas de texto (los identificadores van en
inglés). No se mira el código en línea (```` `así` ````): ahí van nombres de opciones y de API.

Cada archivo es un caso: ``pytest tests/test_terminologia.py -k "not ipynb"`` revisa solo README y hojas.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHEATSHEET = ROOT / "cheatsheet.md"
GLOSSARY_TITLE = "## Glosario"
# Términos fijos de las reglas del proyecto: el glosario debe prohibir estas variantes.
REQUIRED_BANS = ("llave", "desplazamiento", "reasignación", "brecha", "cola de errores",
                 "punto de control", "marca de tiempo", "workers")
# Regionalismos y prefijos que van unidos (reejecutar, reemite, miniclúster): patrón → qué decir.
STYLE_BANS = {
    r"de un jal[oó]n": "de una vez / de una sola vez",
    r"todo mundo": "todo el mundo / todos",
    r"se encim(?:a|an|en|aba|aban)": "se superponen / se traslapan",
    r"re-[a-záéíóúñ]+": "el prefijo unido: reejecutar, reemite, reprocesar",
    r"mini-[a-záéíóúñ]+": "el prefijo unido: miniclúster",
    r"s[oó]lo-agregar": "«solo se añade al final» (*append-only*)",
}
# Frases correctas que contienen una palabra prohibida («llaves» también son las { }).
ALLOWED = (r"entre llaves", r"llaves \{")


@dataclass(frozen=True)
class Ban:
    pattern: re.Pattern
    variant: str
    preferred: str


def glossary(markdown: str) -> str:
    """La sección del glosario (desde su título hasta el siguiente ``##``)."""
    start = markdown.index(GLOSSARY_TITLE)
    end = markdown.find("\n## ", start + len(GLOSSARY_TITLE))
    return markdown[start:] if end == -1 else markdown[start:end]


def _variant_regex(variant: str) -> str:
    words = [re.escape(word) + r"(?:e?s)?" for word in variant.split()]  # admite el plural
    return r"\b" + r"\s+".join(words) + r"\b"


def bans_from_glossary(markdown: str) -> list[Ban]:
    """Las variantes «no «X»» de cada fila del glosario, con el término de la misma celda."""
    bans = []
    for line in glossary(markdown).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        for piece in re.split(r" · | / ", cells[1]):  # «a / b (no «x»)»: x es variante de b
            for group in re.findall(r"\(no ([^)]*)\)", piece):
                preferred = re.sub(r"\s*\(no [^)]*\)", "", piece).strip()
                for variant in re.findall(r"«([^»]+)»", group):
                    bans.append(Ban(re.compile(_variant_regex(variant), re.IGNORECASE),
                                    variant, preferred))
    return bans


def all_bans() -> list[Ban]:
    bans = bans_from_glossary(CHEATSHEET.read_text(encoding="utf-8"))
    bans += [Ban(re.compile(rf"\b{pattern}\b", re.IGNORECASE), pattern, preferred)
             for pattern, preferred in STYLE_BANS.items()]
    return bans


# --- Qué texto lee quien aprende ---------------------------------------------------------------


def prose(markdown: str) -> str:
    """Markdown sin el código en línea ni las frases permitidas."""
    text = re.sub(r"`[^`\n]*`", " ", markdown)
    for allowed in ALLOWED:
        text = re.sub(allowed, " ", text, flags=re.IGNORECASE)
    return text


def code_text(source: str) -> str:
    """Los comentarios y las cadenas de texto de una celda de código."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source  # si no se puede tokenizar, se revisa la celda entera
    return "\n".join(tok.string for tok in tokens if tok.type in (tokenize.COMMENT, tokenize.STRING))


def learner_texts(path: Path) -> list[tuple[str, str]]:
    """``(dónde, texto)`` de todo lo que lee quien aprende en ``path``."""
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
        if path == CHEATSHEET:
            text = text.replace(glossary(text), "")
        return [(f"{path.name}, línea {n}", prose(line))
                for n, line in enumerate(text.splitlines(), start=1)]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for number, cell in enumerate(cells):
        source = "".join(cell["source"])
        text = prose(source) if cell["cell_type"] == "markdown" else code_text(source)
        found.append((f"{path.name}, celda {number} ({cell['cell_type']})", prose(text)))
    return found


def violations(path: Path, bans: list[Ban]) -> list[str]:
    return [f"{where}: «{match.group(0)}» → di «{ban.preferred}»"
            for where, text in learner_texts(path) for ban in bans
            for match in ban.pattern.finditer(text)]


FILES = [ROOT / "README.md", CHEATSHEET, ROOT / "entrevista.md",
         *sorted((ROOT / "notebooks").glob("*.ipynb"))]


# --- Pruebas ------------------------------------------------------------------------------------


def test_glossary_bans_every_fixed_term_of_the_course():
    banned = {ban.variant for ban in bans_from_glossary(CHEATSHEET.read_text(encoding="utf-8"))}
    missing = [term for term in REQUIRED_BANS if term not in banned]
    assert not missing, f"El glosario de cheatsheet.md no marca con «no «…»» estas variantes: {missing}"


def test_checker_finds_variants_in_prose_comments_and_strings_but_not_in_code(tmp_path):
    notebook = {"cells": [
        {"cell_type": "markdown", "source": ["La llave decide la partición; `llave` es código."]},
        {"cell_type": "code", "source": ["llave = 1  # el punto de control del lote\n",
                                         "print('vamos a re-ejecutar')\n"]},
        {"cell_type": "markdown", "source": ["Un diccionario va entre llaves."]},
    ]}
    path = tmp_path / "99_prueba.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    found = violations(path, all_bans())
    assert [v.split(": ")[1].split(" →")[0] for v in found] == [
        "«llave»", "«punto de control»", "«re-ejecutar»"], found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_banned_variant_in_what_the_learner_reads(path):
    assert path.is_file(), f"Falta {path.relative_to(ROOT)}"
    found = violations(path, all_bans())
    assert not found, (f"{path.relative_to(ROOT)} usa variantes que el glosario de cheatsheet.md "
                       "evita:\n" + "\n".join(found))
