"""Lo que deben dar la normalización, el CDC y los joins del cuaderno 06, en Python puro.

Nada de esto usa Flink ni Kafka: son las reglas escritas a mano sobre los eventos generados,
para comprobar lo que calcula Flink (como ``helpers.window_rules`` hace con las ventanas).

- ``expected_rejections``: qué registro de cada fuente es válido y cuál va a la DLQ, y por qué.
  Para las facturas usa el validador completo ``parse_factura`` (no las reglas de texto del SQL).
- ``changelog`` y ``state_at``: las filas ``+I``/``-U``/``+U``/``-D`` que da un flujo Debezium y
  el estado de la tabla en un instante (todos los cambios con ``event_time <= instante``).
- ``temporal_join``: cada factura con la versión del cliente vigente **en el tiempo de la factura**;
  ``snapshot_join``: con la fila de una sola foto (el hábito del ETL por lotes).
- ``interval_join``: facturas y escaneos con el mismo UUID y el escaneo en
  ``[factura, factura + cota]``; ``read_uuid`` lee el UUID del texto como el SQL del cuaderno.
- ``interval_state``: cuántas facturas guarda en su estado un join con cota a cada momento.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from helpers.sources.cfdi import InvalidInvoiceError, parse_factura
from helpers.sources.ocr import LOW_CONFIDENCE

Row = Mapping[str, Any]
UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
"""El patrón del UUID: el mismo texto va en el ``REGEXP_EXTRACT`` del cuaderno."""
KINDS = {"read": ("+I",), "insert": ("+I",), "update": ("-U", "+U"), "delete": ("-D",)}


# --- Normalización y DLQ -----------------------------------------------------------------


REQUIRED = {"ocr": ("document_id", "confidence"), "facturas": ("factura_id", "xml")}
"""Campos sin los cuales un registro va a la DLQ como ``campo_faltante`` (igual que el SQL)."""


def _reason(source: str, value: Row) -> str | None:
    if any(value.get(field) is None for field in REQUIRED.get(source, ())):
        return "campo_faltante"
    if source == "ocr" and not value["confidence"] >= LOW_CONFIDENCE:
        return "ocr_ilegible"
    if source == "facturas":
        try:
            parse_factura(value["xml"])
        except InvalidInvoiceError as error:
            return error.reason
    return None


def expected_rejections(records: Mapping[str, Sequence[Any]]) -> dict[str, list[str | None]]:
    """Para cada fuente, el motivo de rechazo de cada registro (``None`` si es válido).

    ``records`` son los ``Record`` de ``helpers.sources.many`` (con ``.value`` en bytes).
    Motivos: ``json_invalido`` (no es un objeto JSON), ``campo_faltante`` (falta un campo de
    ``REQUIRED``), ``ocr_ilegible`` (confianza del OCR por debajo de ``LOW_CONFIDENCE``) y, en
    facturas, el código de ``parse_factura``.
    """
    out: dict[str, list[str | None]] = {}
    for source, rows in records.items():
        reasons: list[str | None] = []
        for record in rows:
            try:
                value = json.loads(record.value)
            except json.JSONDecodeError:
                reasons.append("json_invalido")
                continue
            reasons.append(_reason(source, value) if isinstance(value, dict) else "json_invalido")
        out[source] = reasons
    return out


# --- CDC: changelog y estado ---------------------------------------------------------------


class Change(NamedTuple):
    """Una fila del changelog: tipo (``+I``, ``-U``, ``+U``, ``-D``), clave, fila y tiempo."""

    kind: str
    key: str
    row: dict[str, Any]
    event_time: int


def changelog(events: Iterable[Row], keys: Iterable[str] | None = None) -> list[Change]:
    """Las filas que Flink saca de los eventos Debezium (en su orden), de ``keys`` o de todas.

    ``r`` y ``c`` dan ``+I``; ``u`` da ``-U`` (la fila de antes) y ``+U`` (la de después);
    ``d`` da ``-D`` con la fila de antes.
    """
    wanted = None if keys is None else set(keys)
    out = []
    for event in events:
        if wanted is not None and event["key"] not in wanted:
            continue
        for kind in KINDS[event["op"]]:
            row = event["before"] if kind in ("-U", "-D") else event["after"]
            out.append(Change(kind, event["key"], dict(row), event["event_time"]))
    return out


def state_at(events: Iterable[Row], moment: int | None = None) -> dict[str, dict[str, Any]]:
    """La tabla (clave → fila) tras aplicar los cambios con ``event_time <= moment`` (o todos)."""
    table: dict[str, dict[str, Any]] = {}
    for event in events:
        if moment is not None and event["event_time"] > moment:
            continue
        if event["after"] is None:
            table.pop(event["key"], None)
        else:
            table[event["key"]] = dict(event["after"])
    return table


# --- Temporal join vs. join contra la foto ---------------------------------------------------


def temporal_join(invoices: Iterable[Row], events: Sequence[Row], key: str = "rfc"
                  ) -> dict[str, dict[str, Any] | None]:
    """``factura_id`` → la fila del cliente vigente en el ``event_time`` de la factura.

    La versión vigente es la del último cambio de ese cliente con ``event_time <=`` el de la
    factura; si ese cambio fue un borrado, o aún no existía, ``None`` (un ``LEFT JOIN`` da nulos).
    La fila trae además ``version_desde``: el ``event_time`` de esa versión.
    """
    versions: dict[str, list[tuple[int, dict[str, Any] | None]]] = {}
    for event in sorted(events, key=lambda e: e["event_time"]):
        row = event["after"] if event["after"] is not None else event["before"]
        live = None if event["after"] is None else {**event["after"],
                                                     "version_desde": event["event_time"]}
        versions.setdefault(row[key], []).append((event["event_time"], live))
    out: dict[str, dict[str, Any] | None] = {}
    for invoice in invoices:
        valid = [row for when, row in versions.get(invoice["rfc_receptor"], [])
                 if when <= invoice["event_time"]]
        out[invoice["factura_id"]] = valid[-1] if valid else None
    return out


def snapshot_join(invoices: Iterable[Row], rows: Iterable[Row], key: str = "rfc"
                  ) -> dict[str, dict[str, Any] | None]:
    """``factura_id`` → la fila del cliente en una sola foto (``None`` si ya no está en ella)."""
    by_key = {row[key]: dict(row) for row in rows}
    return {i["factura_id"]: by_key.get(i["rfc_receptor"]) for i in invoices}


def misattributed(temporal: Mapping[str, Row | None], snapshot: Mapping[str, Row | None],
                  columns: Sequence[str] = ("nombre", "email", "ciudad", "segmento")
                  ) -> dict[str, list[str]]:
    """Las facturas que la foto atribuye distinto que el temporal join: ``factura_id`` → columnas.

    Una factura cuyo cliente no está en una de las dos da ``["cliente"]``.
    """
    wrong = {}
    for invoice_id, right in temporal.items():
        seen = snapshot.get(invoice_id)
        if (right is None) != (seen is None):
            wrong[invoice_id] = ["cliente"]
        elif right is not None and seen is not None:
            if diff := [c for c in columns if right[c] != seen[c]]:
                wrong[invoice_id] = diff
    return wrong


# --- Interval join ---------------------------------------------------------------------------


def read_uuid(text: str) -> str | None:
    """El primer UUID del texto del OCR (como ``REGEXP_EXTRACT(text, UUID_PATTERN, 0)``)."""
    found = re.search(UUID_PATTERN, text)
    return found.group(0) if found else None


class IntervalResult(NamedTuple):
    """Lo que da un ``FULL OUTER`` interval join: parejas y los que se quedaron solos."""

    matched: list[tuple[str, str]]
    lonely_invoices: list[str]
    lonely_scans: list[str]


def interval_join(invoices: Sequence[Row], scans: Sequence[Row], bound_ms: int) -> IntervalResult:
    """Facturas y escaneos con el mismo UUID y ``factura <= escaneo <= factura + bound_ms``.

    Parejas ``(factura_id, document_id)`` ordenadas; facturas y escaneos sin pareja, ordenados.
    """
    by_uuid: dict[str | None, list[Row]] = {}
    for scan in scans:
        by_uuid.setdefault(read_uuid(scan["text"]), []).append(scan)
    matched = []
    for invoice in invoices:
        for scan in by_uuid.get(invoice["uuid"], []):
            if invoice["event_time"] <= scan["event_time"] <= invoice["event_time"] + bound_ms:
                matched.append((invoice["factura_id"], scan["document_id"]))
    paired_invoices = {m[0] for m in matched}
    paired_scans = {m[1] for m in matched}
    return IntervalResult(
        sorted(matched),
        sorted(i["factura_id"] for i in invoices if i["factura_id"] not in paired_invoices),
        sorted(s["document_id"] for s in scans if s["document_id"] not in paired_scans))


def interval_state(invoices: Sequence[Row], bound_ms: int | None, delay_ms: int,
                   moments: Iterable[int]) -> list[int]:
    """Cuántas facturas guarda el estado del join en cada instante de ``moments``.

    Con cota, una factura de tiempo ``t`` llega al estado en ``t`` y sale cuando la marca de
    agua (``instante − delay_ms``) pasa ``t + bound_ms``: ya no puede llegar un escaneo para ella.
    Sin cota (``None``, un join regular sin TTL), nunca sale.
    """
    times = sorted(i["event_time"] for i in invoices)
    counts = []
    for now in moments:
        watermark = now - delay_ms
        counts.append(sum(1 for t in times if t <= now
                          and (bound_ms is None or t + bound_ms >= watermark)))
    return counts
