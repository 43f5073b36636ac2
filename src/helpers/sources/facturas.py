"""Facturas electrónicas (CFDI 4.0 simplificado) como eventos: el XML viaja dentro del JSON.

Cada evento es ``{"factura_id", "uuid", "rfc_emisor", "rfc_receptor", "xml", "event_time",
"arrival_time", "defecto"}``. El receptor es siempre un cliente de ``respaldos`` (con la misma
semilla), así que las facturas se pueden unir (*join*) con la tabla ``clientes`` por RFC.

Una fracción exacta ``bad_rate`` de las facturas viene mal a propósito, repartida por partes
iguales entre los defectos de ``DEFECTS``; ``defecto`` dice cuál (o ``None``) y es el código
que ``parse_factura`` debe dar al rechazarla. ``defecto`` es la respuesta de los ejercicios:
a Kafka solo van los campos de ``KAFKA_FIELDS``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from faker import Faker

from helpers.sources.cfdi import IVA_RATE, InvalidInvoiceError, money, parse_factura, render_cfdi
from helpers.sources.respaldos import initial_tables
from helpers.sources.rfc import company_rfc
from helpers.sources.seeding import count_for, even_split, scatter_labels, seeded, uuid_from
from helpers.sources.timing import START_MS, Timing, schedule, with_times

__all__ = ["DEFECTS", "KAFKA_FIELDS", "KEY", "InvalidInvoiceError", "invoices", "parse_factura"]

DEFECTS = ("xml_malformado", "falta_total", "total_no_cuadra", "monto_negativo")
KAFKA_FIELDS = ("factura_id", "uuid", "rfc_emisor", "rfc_receptor", "xml", "event_time",
                "arrival_time")
KEY = "factura_id"
MEXICO = timezone(timedelta(hours=-6), "America/Mexico_City")
"""La hora del centro de México (UTC−6, sin horario de verano desde 2022): la de ``Fecha``."""

Row = Mapping[str, Any]


def _local(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=MEXICO).strftime("%Y-%m-%dT%H:%M:%S")


def _conceptos(rng: random.Random, products: Sequence[Row], negative: bool) -> list[dict[str, str]]:
    """De 1 a 5 conceptos del catálogo; con ``negative``, uno trae precio negativo."""
    chosen = [rng.choice(products) for _ in range(rng.randint(1, 5))]
    flipped = rng.randrange(len(chosen)) if negative else -1
    conceptos = []
    for i, product in enumerate(chosen):
        quantity = rng.randint(1, 10)
        price = money(Decimal(str(product["precio"]))) * (-1 if i == flipped else 1)
        conceptos.append({
            "ClaveProdServ": product["clave_prod_serv"], "Cantidad": str(quantity),
            "ClaveUnidad": "H87", "Descripcion": product["descripcion"],
            "ValorUnitario": f"{price:.2f}", "Importe": f"{money(price * quantity):.2f}",
            "ObjetoImp": "02",
        })
    return conceptos


def _break_xml(rng: random.Random, xml: str) -> str:
    """Tres maneras reales de romper un XML: cortado, ``&`` sin escapar, etiqueta sin cerrar."""
    way = rng.randrange(3)
    if way == 0:
        return xml[: rng.randint(len(xml) // 5, len(xml) * 9 // 10)]
    if way == 1:
        return xml.replace('Nombre="', 'Nombre="Hermanos & ', 1)
    return xml.replace("</cfdi:Conceptos>", "", 1)


def _issuers(rng: random.Random, fake: Faker, count: int) -> list[dict[str, str]]:
    issuers = []
    for serie in "ABCDEFGHJK"[:count]:
        name = fake.company()
        issuers.append({"Serie": serie, "Rfc": company_rfc(rng, name), "Nombre": name,
                        "LugarExpedicion": fake.postcode()[:5]})
    return issuers


def invoices(count: int = 200, seed: int = 7, *, bad_rate: float = 0.1,
             customers: Sequence[Row] | None = None, products: Sequence[Row] | None = None,
             issuers: int = 4, start_ms: int = START_MS, timing: Timing = Timing()
             ) -> list[dict[str, Any]]:
    """``count`` facturas en orden de ``event_time`` (``timing.arrival_order`` para el de llegada).

    ``customers`` y ``products`` son filas de ``respaldos`` (por defecto, las del primer
    respaldo con la misma ``seed``); ``issuers`` empresas emiten, cada una con su serie.
    """
    if not 1 <= issuers <= 10:
        raise ValueError("issuers debe estar entre 1 y 10")
    if customers is None or products is None:
        tables = initial_tables(seed)
        customers = tables["clientes"] if customers is None else customers
        products = tables["productos"] if products is None else products
    rng, fake = seeded(seed)
    stamps = schedule(count, rng, start_ms=start_ms, timing=timing)
    defects = scatter_labels(rng, count, even_split(count_for(bad_rate, count), DEFECTS))
    sellers = _issuers(rng, fake, issuers)
    postcodes = {c["rfc"]: fake.postcode()[:5] for c in customers}
    folios = {s["Serie"]: 1000 for s in sellers}
    events = []
    for stamp, defect in zip(stamps, defects, strict=True):
        seller, buyer = rng.choice(sellers), rng.choice(customers)
        folios[seller["Serie"]] += 1
        folio = str(folios[seller["Serie"]])
        conceptos = _conceptos(rng, products, negative=defect == "monto_negativo")
        subtotal = sum((Decimal(c["Importe"]) for c in conceptos), Decimal())
        iva = money(subtotal * IVA_RATE)
        total: str | None = f"{subtotal + iva:.2f}"
        if defect == "falta_total":
            total = None
        elif defect == "total_no_cuadra":  # olvidaron el IVA, o un error de captura
            wrong = subtotal if rng.random() < 0.5 else subtotal + iva + rng.randint(1, 500)
            total = f"{wrong:.2f}"
        uuid = uuid_from(rng)
        comprobante = {
            "Version": "4.0", "Serie": seller["Serie"], "Folio": folio,
            "Fecha": _local(stamp.event_time), "FormaPago": "03", "SubTotal": f"{subtotal:.2f}",
            "Moneda": "MXN", "Total": total, "TipoDeComprobante": "I", "Exportacion": "01",
            "MetodoPago": "PUE", "LugarExpedicion": seller["LugarExpedicion"],
        }
        xml = render_cfdi(
            {k: v for k, v in comprobante.items() if v is not None},
            {"Rfc": seller["Rfc"], "Nombre": seller["Nombre"], "RegimenFiscal": "601"},
            {"Rfc": buyer["rfc"], "Nombre": buyer["nombre"],
             "DomicilioFiscalReceptor": postcodes[buyer["rfc"]],
             "RegimenFiscalReceptor": "601" if len(buyer["rfc"]) == 12 else "612",
             "UsoCFDI": "G03"},
            conceptos,
            {"Base": f"{subtotal:.2f}", "Impuesto": "002", "TipoFactor": "Tasa",
             "TasaOCuota": "0.160000", "Importe": f"{iva:.2f}"},
            {"Version": "1.1", "UUID": uuid, "FechaTimbrado": _local(stamp.event_time + 2_000),
             "RfcProvCertif": "SAT970701NN3"},
        )
        if defect == "xml_malformado":
            xml = _break_xml(rng, xml)
        events.append(with_times({
            "factura_id": f"{seller['Serie']}-{folio}", "uuid": uuid, "rfc_emisor": seller["Rfc"],
            "rfc_receptor": buyer["rfc"], "xml": xml}, stamp) | {"defecto": defect})
    return events
