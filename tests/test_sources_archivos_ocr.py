"""Metadatos de archivos y páginas de OCR."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from helpers.sources import archivos, ocr
from helpers.sources.seeding import iso_utc

N = 2000


def test_file_events_fields_and_values():
    events = archivos.file_events(N, seed=4)
    assert list(events[0]) == ["path", "size_bytes", "mime_type", "modified_time", "owner",
                               "event_time", "arrival_time"]
    for event in events:
        assert event["path"].startswith(archivos.ROOT + "/")
        assert event["mime_type"] in archivos.MIME_TYPES
        assert event["path"].endswith("." + archivos.MIME_TYPES[event["mime_type"]][0])
        assert event["size_bytes"] >= 1 and event["owner"]
        assert event["modified_time"] == iso_utc(event["event_time"])
    assert len(Counter(e["mime_type"] for e in events)) == len(archivos.MIME_TYPES)


def test_rewrites_keep_the_path_and_metadata():
    events = archivos.file_events(N, seed=4, rewrite_rate=0.2)
    first_seen: dict[str, dict] = {}
    rewrites = 0
    for event in events:
        if event["path"] in first_seen:
            rewrites += 1
            original = first_seen[event["path"]]
            assert event["mime_type"] == original["mime_type"]
            assert event["owner"] == original["owner"]
        else:
            first_seen[event["path"]] = event
    assert rewrites / N == pytest.approx(0.2, abs=0.03)
    assert len({e["path"] for e in archivos.file_events(200, rewrite_rate=0.0)}) == 200


def test_noisy_pages_have_exactly_the_requested_rate():
    pages = ocr.ocr_pages(N, seed=9, noisy_rate=0.1)
    low = [p for p in pages if p["confidence"] < ocr.LOW_CONFIDENCE]
    assert len(low) == 0.1 * N
    assert all(0.0 <= p["confidence"] <= 1.0 for p in pages)
    garbage = re.compile(f"[{re.escape(ocr.JUNK)}0-9@]")
    clean_words = re.compile(r"^[\w\s.,/:()ÁÉÍÓÚÑáéíóúñü¿?¡!-]+$")
    assert all(garbage.search(p["text"]) for p in low)
    high = [p for p in pages if p["confidence"] >= ocr.LOW_CONFIDENCE]
    assert all(clean_words.match(p["text"]) for p in high)


def test_pages_are_grouped_by_document():
    pages = ocr.ocr_pages(500, seed=9)
    by_doc: dict[str, list[int]] = {}
    for page in pages:
        by_doc.setdefault(page["document_id"], []).append(page["page"])
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_doc.values())
    assert {len(n) for n in list(by_doc.values())[:-1]} <= set(range(1, 7))
    first_pages = [p["text"] for p in pages if p["page"] == 1 and p["confidence"] > 0.8]
    assert all(t.split("\n")[0] in ocr.TITLES for t in first_pages)


def test_garble_is_seeded_and_changes_the_text():
    import random

    text = "La factura del señor Gómez se pagó el lunes"
    once = ocr.garble(random.Random(1), text, 0.3)
    assert once == ocr.garble(random.Random(1), text, 0.3) != text
    assert ocr.garble(random.Random(1), text, 0.0) == text
