"""Texto extraído de documentos escaneados (OCR): una página por evento.

Cada evento es ``{"document_id", "page", "text", "confidence", "event_time", "arrival_time"}``.
Los documentos tienen de 1 a 6 páginas seguidas. Una fracción exacta ``noisy_rate`` de las
páginas salió mal escaneada: su texto trae caracteres confundidos o basura (``0`` por ``o``,
``1`` por ``l``, ``|``, ``~``...) y su ``confidence`` es menor que ``LOW_CONFIDENCE``;
todas las demás páginas tienen ``confidence`` de al menos ``LOW_CONFIDENCE``.

``invoice_scans`` da el OCR de las copias escaneadas de unas facturas (una página por factura,
con su UUID en el texto): escaneos a tiempo, atrasados, ruidosos y facturas sin escaneo.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from faker import Faker

from helpers.sources.respaldos import CITIES
from helpers.sources.seeding import count_for, iso_utc, scatter_labels, seeded
from helpers.sources.timing import START_MS, Timing, schedule, with_times

KEY = "document_id"
DAY_MS = 86_400_000
LOW_CONFIDENCE = 0.7
"""Por debajo de esta confianza, una página se considera ruidosa."""
NOISY = "ruidosa"
TITLES = ("CONTRATO DE PRESTACIÓN DE SERVICIOS", "RECIBO DE PAGO", "ACTA DE ENTREGA",
          "ESTADO DE CUENTA", "CARTA PODER", "ORDEN DE COMPRA")
CONFUSIONS = {"o": "0", "O": "0", "l": "1", "i": "l", "e": "c", "a": "@", "s": "5", "S": "5",
              "B": "8", "m": "rn", "n": "ri", "á": "a", "é": "e", "ó": "6", "ñ": "n"}
JUNK = "~|^¬#*°¦"


def garble(rng: random.Random, text: str, fraction: float) -> str:
    """``text`` con una ``fraction`` de sus caracteres confundidos o cambiados por basura."""
    out = []
    for char in text:
        if char.strip() and rng.random() < fraction:
            out.append(CONFUSIONS.get(char) or rng.choice(JUNK))
        else:
            out.append(char)
    return "".join(out)


def _page_text(rng: random.Random, fake: Faker, title: str, page: int, when: int) -> str:
    body = fake.paragraph(nb_sentences=rng.randint(4, 9))
    if page == 1:  # la fecha sale del tiempo del evento (nunca de «hoy»: no sería reproducible)
        signed = iso_utc(when - rng.randint(0, 30) * DAY_MS)[:10].split("-")
        place = f"{rng.choice(CITIES)}, a {'/'.join(reversed(signed))}"
        return f"{title}\n{place}\n{fake.name()}\n{body}"
    return f"{body}\n{fake.paragraph(nb_sentences=rng.randint(2, 5))}\nPágina {page}"


def ocr_pages(count: int = 300, seed: int = 7, *, noisy_rate: float = 0.1,
              start_ms: int = START_MS, timing: Timing = Timing()) -> list[dict[str, Any]]:
    """``count`` páginas en orden de ``event_time`` (el último documento puede quedar trunco)."""
    rng, fake = seeded(seed)
    stamps = schedule(count, rng, start_ms=start_ms, timing=timing)
    noisy = scatter_labels(rng, count, [(NOISY, count_for(noisy_rate, count))])
    events = []
    document, page, pages, title = 0, 0, 0, ""
    for stamp, label in zip(stamps, noisy, strict=True):
        if page == pages:  # empieza un documento nuevo
            document, page, pages, title = document + 1, 0, rng.randint(1, 6), rng.choice(TITLES)
        page += 1
        text = _page_text(rng, fake, title, page, stamp.event_time)
        if label == NOISY:
            text = garble(rng, text, rng.uniform(0.15, 0.35))
            confidence = rng.uniform(0.25, LOW_CONFIDENCE - 0.01)
        else:
            confidence = rng.uniform(0.86, 0.995)
        events.append(with_times({"document_id": f"DOC-{document:05d}", "page": page,
                                  "text": text, "confidence": round(confidence, 3)}, stamp))
    return events


# --- Escaneos de facturas (para unirlos con las facturas por su UUID) ---------------------

SCAN_DELAY_MS = (60_000, 480_000)
"""Lo normal: la copia impresa de una factura se escanea de 1 a 8 min después de emitirla."""
LATE_SCAN_DELAY_MS = (900_000, 2_700_000)
"""Los escaneos atrasados: de 15 a 45 min después (la pila se quedó en un escritorio)."""
LATE_SCAN, NO_SCAN = "tarde", "sin_escaneo"


def invoice_scans(invoices: Sequence[dict[str, Any]], seed: int = 7, *, late_rate: float = 0.1,
                  missing_rate: float = 0.05, noisy_rate: float = 0.1) -> list[dict[str, Any]]:
    """El OCR de la copia escaneada de cada factura, en orden de ``event_time`` (el escaneo).

    Cada evento es ``{"document_id", "page", "text", "confidence", "factura_id", "caso",
    "event_time", "arrival_time"}``; el texto trae ``Folio fiscal (UUID): ...``. ``caso`` es la
    respuesta de los ejercicios (no viaja a Kafka): ``None`` (escaneo normal, a los 1–8 min),
    ``"tarde"`` (15–45 min), ``"ruidosa"`` (a tiempo, pero el ruido del OCR rompió el UUID).
    Las facturas del caso ``"sin_escaneo"`` no tienen evento. Las fracciones son exactas.
    """
    rng, fake = seeded(seed)
    cases = scatter_labels(rng, len(invoices), [
        (LATE_SCAN, count_for(late_rate, len(invoices))),
        (NO_SCAN, count_for(missing_rate, len(invoices))),
        (NOISY, count_for(noisy_rate, len(invoices)))])
    scans = []
    for number, (invoice, case) in enumerate(zip(invoices, cases, strict=True), start=1):
        if case == NO_SCAN:
            continue
        delay = rng.randint(*(LATE_SCAN_DELAY_MS if case == LATE_SCAN else SCAN_DELAY_MS))
        text = (f"FACTURA {invoice['factura_id']}\nFolio fiscal (UUID): {invoice['uuid']}\n"
                f"RFC receptor: {invoice['rfc_receptor']}\n{fake.sentence()}")
        confidence = rng.uniform(0.86, 0.995)
        if case == NOISY:
            clean = text
            while invoice["uuid"] in text or text == clean:  # el ruido debe tocar el UUID
                text = garble(rng, clean, rng.uniform(0.15, 0.35))
            confidence = rng.uniform(0.25, LOW_CONFIDENCE - 0.01)
        when = invoice["event_time"] + delay
        scans.append({"document_id": f"ESC-{number:05d}", "page": 1, "text": text,
                      "confidence": round(confidence, 3), "factura_id": invoice["factura_id"],
                      "caso": case, "event_time": when,
                      "arrival_time": when + rng.randint(200, 3_000)})
    return sorted(scans, key=lambda s: (s["event_time"], s["document_id"]))
