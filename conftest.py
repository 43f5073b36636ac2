"""Para ``pytest tests notebooks``: si una celda comprobada falla, muestra lo que escribió en stderr.

nbval solo dice «Unexpected output fields: {'stderr'}»; con el texto se sabe de dónde vino.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    outputs = getattr(item, "test_outputs", None) or []  # lo que nbval recibió de la celda
    stderr = "".join(o.get("text", "") for o in outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    if report.when == "call" and report.failed and stderr:
        report.sections.append(("stderr de la celda", stderr))
