"""La hoja de entrevista (``entrevista.md``): 30 preguntas, cada una enlazada a una sección real.

- Cada enlace ``notebooks/NN_tema.ipynb#Título`` apunta a un cuaderno que existe y a un título de
  ese cuaderno. El ancla es la que pone Jupyter: el texto del título sin marcas (``*``, `` ` ``) y con
  guiones en vez de espacios. Sirve igual para los cuadernos que se sumen después (06, 07...).
- El PDF se genera con el mismo generador que la hoja de referencia (``make entrevista``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import cheatsheet

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "entrevista.md"
MARKDOWN = SOURCE.read_text(encoding="utf-8")
LINK = re.compile(r"\]\((notebooks/[^)#\s]+\.ipynb)#((?:[^()\s]|\([^()\s]*\))+)\)")
QUESTION = re.compile(r"^\*\*(\d+)\. .+\*\*$", re.MULTILINE)
A4_POINTS = (595.28, 841.89)


def jupyter_anchor(heading: str) -> str:
    """El ancla que Jupyter da a un título: su texto sin ``*`` ni `` ` ``, espacios → guiones."""
    text = re.sub(r"[*`]", "", heading.lstrip("#").strip())
    return text.replace(" ", "-")


def notebook_anchors(path: Path) -> set[str]:
    anchors = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if re.match(r"#{1,6} ", line):
                    anchors.add(jupyter_anchor(line))
    return anchors


def test_anchor_follows_jupyter_rules():
    assert jupyter_anchor("## 3. El *job* con la API DataStream") == "3.-El-job-con-la-API-DataStream"
    assert jupyter_anchor("## 6. `HOP`: cada archivo") == "6.-HOP:-cada-archivo"


def test_thirty_questions_each_with_a_notebook_link():
    numbers = [int(n) for n in QUESTION.findall(MARKDOWN)]
    assert numbers == list(range(1, 31))
    blocks = re.split(QUESTION, MARKDOWN)[2::2]  # el texto de cada pregunta
    missing = [n for n, block in zip(numbers, blocks) if not LINK.search(block)]
    assert not missing, f"Preguntas sin enlace a un cuaderno: {missing}"


@pytest.mark.parametrize("notebook,anchor", LINK.findall(MARKDOWN),
                         ids=lambda value: value if value.endswith(".ipynb") else value[:40])
def test_every_link_resolves_to_a_heading_of_an_existing_notebook(notebook, anchor):
    path = ROOT / notebook
    assert path.is_file(), f"entrevista.md enlaza a {notebook}, que no existe"
    anchors = notebook_anchors(path)
    assert unquote(anchor) in anchors, (
        f"entrevista.md enlaza a {notebook}#{anchor}, pero ese cuaderno no tiene ese título.\n"
        "Sus títulos son:\n" + "\n".join(sorted(anchors)))


def test_pdf_is_generated_on_a4(tmp_path):
    from pypdf import PdfReader

    pdf = PdfReader(cheatsheet.build(source=SOURCE, output=tmp_path / "entrevista.pdf"))
    assert 1 <= len(pdf.pages) <= 6
    for page in pdf.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_POINTS, abs=0.5)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
    assert "Preguntas de entrevista" in text and "exactamente una vez" in text
    assert "make entrevista" in text, "el pie de página nombra el objetivo que genera este PDF"
