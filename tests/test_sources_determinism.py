"""La misma semilla da los mismos bytes (también en otro proceso); otra semilla, otros datos."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest

from helpers.sources import archivos, cambios, facturas, ocr, respaldos, timing


def _dumps_as_rows(count: int, seed: int) -> list[dict[str, Any]]:
    return [asdict(d) for d in respaldos.backups(count, seed)]


GENERATORS: dict[str, Callable[[int, int], list[dict[str, Any]]]] = {
    "facturas": lambda n, seed: facturas.invoices(n, seed),
    "respaldos": lambda n, seed: _dumps_as_rows(max(2, n // 100), seed),
    "archivos": lambda n, seed: archivos.file_events(n, seed),
    "ocr": lambda n, seed: ocr.ocr_pages(n, seed),
    "cambios": lambda n, seed: cambios.change_events(n, seed),
}


def _bytes(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, sort_keys=True, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_bytes_other_seed_other_bytes(name):
    make = GENERATORS[name]
    assert _bytes(make(300, 7)) == _bytes(make(300, 7))
    assert _bytes(make(300, 7)) != _bytes(make(300, 8))


@pytest.mark.parametrize("name", sorted(set(GENERATORS) - {"respaldos"}))
def test_every_event_has_event_and_arrival_time(name):
    events = GENERATORS[name](300, 7)
    assert events[0]["event_time"] == timing.START_MS
    assert all(isinstance(e["event_time"], int) and isinstance(e["arrival_time"], int)
               for e in events)
    assert [e["event_time"] for e in events] == sorted(e["event_time"] for e in events)
    kinds = timing.classify_arrivals(events)
    assert kinds.count(timing.LATE) == pytest.approx(0.05 * 300, abs=3)
    assert kinds.count(timing.OUT_OF_ORDER) == pytest.approx(0.10 * 300, abs=4)


_FINGERPRINT = """
import hashlib, json
from tests.test_sources_determinism import GENERATORS, _bytes
print(json.dumps({n: hashlib.sha256(_bytes(g(200, 3))).hexdigest() for n, g in GENERATORS.items()}))
"""


def test_output_does_not_depend_on_the_process_or_hash_seed():
    """Nada depende de ``hash()`` ni del orden de un ``set``: dos procesos, mismos bytes."""
    here = {n: hashlib.sha256(_bytes(g(200, 3))).hexdigest() for n, g in GENERATORS.items()}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, os.path.join(root, "src"), env.get("PYTHONPATH")) if p)
        out = subprocess.run([sys.executable, "-c", _FINGERPRINT], env=env, cwd=root,
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out) == here
