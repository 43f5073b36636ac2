"""La hoja de referencia (``cheatsheet.md``): su PDF se genera bien y cada fragmento funciona de verdad.

- El PDF: A4, a lo más 4 páginas, con todos los títulos de sección (texto extraído con pypdf).
- Los fragmentos de Python y SQL se ejecutan todos, en el orden del archivo y con las variables
  compartidas (como en un cuaderno), contra el broker real y PyFlink:

  - Python, con ``exec``.
  - SQL, en el ``TableEnvironment`` que crea la propia hoja (``t_env``): ``CREATE TABLE`` se ejecuta,
    ``EXPLAIN …`` se ejecuta tal cual y las consultas e ``INSERT`` se explican con ``explain_sql``
    (así se validan contra el catálogo sin lanzar un *job* por cada una).
  - Los bloques con ``<!-- no-ejecutar: razón -->`` justo antes se saltan; la razón es obligatoria.

  Para no pisar los tópicos de los cuadernos, los nombres de tópico y de grupo de la hoja que van
  entre comillas reciben el prefijo ``chuleta-`` antes de ejecutar (``"ventas"`` → ``"chuleta-ventas"``).
- Los bloques de bash: cada ``make X`` es un objetivo del Makefile y cada
  ``python -m helpers.kafka_local X`` o ``python -m helpers.flink_cluster X`` un subcomando
  que existe.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from helpers import cheatsheet, topics

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = (ROOT / "cheatsheet.md").read_text(encoding="utf-8")
SNIPPETS = cheatsheet.snippets(MARKDOWN)
A4_POINTS = (595.28, 841.89)
MAX_PAGES = 4
MAX_CODE_LINE = 68  # caracteres que caben en una columna del PDF sin partir la línea
COURSE_BOOTSTRAP = "127.0.0.1:9092"
PREFIX = "chuleta-"
RENAMED = ("ventas", "ventas-por-ventana", "ventas-invalidas", "reportes", "flink-ventas", "flink-sql")


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


# --- El PDF ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    from pypdf import PdfReader

    path = cheatsheet.build(output=tmp_path_factory.mktemp("hoja") / "cheatsheet.pdf")
    return PdfReader(path)


def test_pdf_is_a4_and_at_most_four_pages(pdf):
    assert 1 <= len(pdf.pages) <= MAX_PAGES
    for page in pdf.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_POINTS, abs=0.5)


def test_pdf_contains_every_section_title(pdf):
    text = _normalize(" ".join(page.extract_text() for page in pdf.pages))
    titles = cheatsheet.section_titles(MARKDOWN)
    assert "Solución de problemas" in titles and "Glosario" in titles
    missing = [title for title in titles if _normalize(title) not in text]
    assert not missing, f"Títulos que no aparecen en el PDF: {missing}"


def test_code_lines_fit_a_pdf_column():
    long_lines = [f"línea {s.line + i}: {line}" for s in SNIPPETS
                  for i, line in enumerate(s.code.splitlines()) if len(line) > MAX_CODE_LINE]
    assert not long_lines, "Líneas de código que el PDF partiría:\n" + "\n".join(long_lines)


# --- Los fragmentos ------------------------------------------------------------


def test_snippets_are_python_sql_or_bash_and_skips_say_why():
    assert {s.language for s in SNIPPETS} <= {"python", "sql", "bash"}
    skipped = [s for s in SNIPPETS if s.skip_reason is not None]
    assert all(len(s.skip_reason) > 10 for s in skipped)
    assert len(skipped) <= 2, "Marcar como no ejecutable debe ser la excepción"


def test_snippet_parser_sees_marks_and_sections():
    parsed = cheatsheet.snippets(
        "## Uno\n```python\na = 1\n```\n\n<!-- no-ejecutar: necesita un clúster -->\n\n"
        "```sql\nSELECT 1;\n```\n## Dos\n```bash\nmake lab\n```\n"
    )
    assert [(s.language, s.section, s.line, s.skip_reason) for s in parsed] == [
        ("python", "Uno", 3, None), ("sql", "Uno", 9, "necesita un clúster"), ("bash", "Dos", 13, None),
    ]
    assert parsed[0].code == "a = 1\n"


def test_bash_snippets_use_real_commands():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split())
    from helpers.flink_cluster import main as flink_cluster_main
    from helpers.kafka_local import main as kafka_local_main

    clis = {"helpers.kafka_local": kafka_local_main, "helpers.flink_cluster": flink_cluster_main}

    for snippet in (s for s in SNIPPETS if s.language == "bash"):
        for line in snippet.code.splitlines():
            command = line.split("#")[0].split()
            if command[:1] == ["make"]:
                assert command[1] in phony, f"make {command[1]} no es un objetivo del Makefile"
            elif command[:2] == ["python", "-m"] and command[2] in clis:
                with pytest.raises(SystemExit) as exit_info:
                    clis[command[2]]([*command[3:], "--help"])
                assert exit_info.value.code == 0, line
            else:
                pytest.fail(f"Orden de bash sin comprobar en la hoja: {line!r}")


def rename_for_tests(code: str, bootstrap: str) -> str:
    """Los tópicos y grupos de la hoja, con el prefijo ``chuleta-``; el broker, el de las pruebas."""
    names = "|".join(re.escape(name) for name in sorted(RENAMED, key=len, reverse=True))
    code = re.sub(rf"""(["'])({names})\1""", rf"\1{PREFIX}\2\1", code)
    return code.replace(COURSE_BOOTSTRAP, bootstrap)


def sql_statements(code: str) -> list[str]:
    """Las sentencias de un bloque SQL (separadas por ``;`` al final de una línea)."""
    return [part.strip() for part in re.split(r";[ \t]*(?:--[^\n]*)?$", code, flags=re.MULTILINE)
            if part.strip()]


def run_sql(t_env, statement: str) -> None:
    first_word = re.sub(r"^(\s*--[^\n]*\n)*", "", statement).split(None, 1)[0].upper()
    if first_word in {"CREATE", "DROP", "ALTER"}:
        t_env.execute_sql(statement)
    elif first_word == "EXPLAIN":
        with t_env.execute_sql(statement).collect() as rows:
            assert "== Optimized" in next(iter(rows))[0]
    else:  # SELECT, INSERT, WITH: se valida y se planifica, sin lanzar un job
        assert "== Optimized" in t_env.explain_sql(statement)


@pytest.fixture
def clean_topics(bootstrap):
    """Borra los tópicos ``chuleta-`` de una ejecución anterior (la hoja los crea de nuevo).

    Al borrar un tópico, Kafka borra también los offsets que los grupos guardaron de él.
    """
    for name in RENAMED:
        topics.delete_topic(PREFIX + name, bootstrap)


def test_every_snippet_runs_against_kafka_and_pyflink(bootstrap, clean_topics):
    namespace: dict = {"__name__": "cheatsheet_snippets"}
    ran = 0
    for snippet in SNIPPETS:
        if snippet.skip_reason is not None or snippet.language == "bash":
            continue
        code = rename_for_tests(snippet.code, bootstrap)
        where = f"cheatsheet.md, línea {snippet.line} ({snippet.section})"
        try:
            if snippet.language == "python":
                exec(compile(code, where, "exec"), namespace)
            else:
                for statement in sql_statements(code):
                    run_sql(namespace["t_env"], statement)
        except Exception as error:
            raise AssertionError(f"Falló el fragmento de {where}:\n{code}") from error
        if "env.execute(" in code:
            # La trampa que explica la hoja: el job local deja esta variable en el entorno.
            assert os.environ.get("PYFLINK_GATEWAY_DISABLED") == "true"
        ran += 1
    assert ran >= 15

    # El job de DataStream escribió 3 tiendas × 3 ventanas de 10 s, y la venta inválida aparte.
    by_window = topics.read_topic(PREFIX + "ventas-por-ventana", bootstrap)
    assert len(by_window) == 9
    assert sorted({v["tienda"] for v in by_window["value"]}) == ["CDMX", "GDL", "MTY"]
    invalid = topics.read_topic(PREFIX + "ventas-invalidas", bootstrap)
    assert [v["venta_id"] for v in invalid["value"]] == [99]
    # La consulta de Flink SQL trajo lo mismo a pandas, y la hoja quitó la variable del entorno.
    assert len(namespace["df"]) == 9
    assert "PYFLINK_GATEWAY_DISABLED" not in os.environ
