"""Facturas CFDI 4.0 (simplificadas): escribir el XML y leerlo validando las reglas del negocio.

El XML sigue la forma del CFDI 4.0 del SAT, simplificada para el curso: los impuestos van solo
a nivel comprobante (un traslado de IVA al 16 %), sin sellos ni certificados.

``parse_factura`` es la puerta de entrada de datos **no confiables**: usa
``defusedxml.ElementTree`` (nunca ``xml.etree`` directo, que acepta entidades y DTD
maliciosos) y, si algo está mal, lanza ``InvalidInvoiceError`` con un código corto y estable
en ``reason`` (la lista completa, con su significado, está en ``REASONS``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # solo para *escribir*: leer siempre con defusedxml
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from helpers.sources.rfc import is_valid_rfc

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital"}
IVA_RATE = Decimal("0.16")
CENT = Decimal("0.01")
TOLERANCE = CENT
"""Diferencia máxima aceptada al cuadrar importes (redondeos de un centavo)."""

REASONS = {
    "xml_malformado": "el texto no es XML bien formado (cortado, etiquetas sin cerrar, & suelto)",
    "xml_prohibido": "el XML trae DTD o entidades: se rechaza por seguridad (defusedxml)",
    "no_es_cfdi": "la raíz no es cfdi:Comprobante versión 4.0",
    "falta_total": "el comprobante no trae el atributo Total",
    "falta_campo": "falta otro dato obligatorio (Emisor, Receptor, Conceptos, UUID, SubTotal...)",
    "monto_invalido": "un importe no es un número",
    "monto_negativo": "algún importe, cantidad o precio es negativo",
    "moneda_invalida": "la moneda no es MXN",
    "rfc_invalido": "un RFC no tiene el formato o el dígito verificador correctos",
    "uuid_invalido": "el UUID del timbre no tiene formato de UUID",
    "importe_no_cuadra": "en un concepto, Importe ≠ Cantidad × ValorUnitario",
    "subtotal_no_cuadra": "SubTotal ≠ suma de los importes de los conceptos",
    "iva_no_cuadra": "el IVA trasladado ≠ 16 % del SubTotal",
    "total_no_cuadra": "Total ≠ SubTotal + impuestos trasladados",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

Attrs = Mapping[str, str]


class InvalidInvoiceError(ValueError):
    """Una factura que no pasa la validación; ``reason`` es uno de los códigos de ``REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def money(value: Decimal) -> Decimal:
    """Redondea a centavos (mitad hacia arriba, como el SAT)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Escribir -------------------------------------------------------------------


def _node(parent: ET.Element | None, tag: str, attrs: Attrs) -> ET.Element:
    # Nombres con prefijo literal («cfdi:...»): así ElementTree no inventa prefijos ns0, ns1...
    return ET.Element(tag, dict(attrs)) if parent is None else ET.SubElement(parent, tag, attrs)


def render_cfdi(comprobante: Attrs, emisor: Attrs, receptor: Attrs,
                conceptos: Sequence[Attrs], traslado: Attrs, timbre: Attrs) -> str:
    """El XML de un CFDI con esos atributos (en ese orden); el atributo ausente no se escribe."""
    root = _node(None, "cfdi:Comprobante", {
        "xmlns:cfdi": NS["cfdi"], "xmlns:tfd": NS["tfd"], **comprobante})
    _node(root, "cfdi:Emisor", emisor)
    _node(root, "cfdi:Receptor", receptor)
    parent = _node(root, "cfdi:Conceptos", {})
    for concepto in conceptos:
        _node(parent, "cfdi:Concepto", concepto)
    taxes = _node(root, "cfdi:Impuestos", {"TotalImpuestosTrasladados": traslado["Importe"]})
    _node(_node(taxes, "cfdi:Traslados", {}), "cfdi:Traslado", traslado)
    _node(_node(root, "cfdi:Complemento", {}), "tfd:TimbreFiscalDigital", timbre)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- Leer y validar -------------------------------------------------------------


def _parse(xml: str | bytes) -> Any:
    try:
        return SafeET.fromstring(xml, forbid_dtd=True)
    except SafeET.ParseError as error:
        raise InvalidInvoiceError("xml_malformado", str(error)) from error
    except DefusedXmlException as error:
        raise InvalidInvoiceError("xml_prohibido", type(error).__name__) from error


def _find(parent: Any, path: str) -> Any:
    found = parent.find(path, NS)
    if found is None:
        raise InvalidInvoiceError("falta_campo", path)
    return found


def _get(element: Any, attr: str) -> str:
    value = element.get(attr)
    if value is None:
        raise InvalidInvoiceError("falta_campo", f"{element.tag.rsplit('}', 1)[-1]}@{attr}")
    return value


def _amount(element: Any, attr: str) -> Decimal:
    text = _get(element, attr)
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise InvalidInvoiceError("monto_invalido", f"{attr}={text!r}") from error
    if not value.is_finite():
        raise InvalidInvoiceError("monto_invalido", f"{attr}={text!r}")
    return value


def _check_equal(reason: str, declared: Decimal, expected: Decimal) -> None:
    if abs(declared - expected) > TOLERANCE:
        raise InvalidInvoiceError(reason, f"declarado {declared}, esperado {expected}")


def parse_factura(xml: str | bytes) -> dict[str, Any]:
    """Lee y valida una factura; devuelve sus datos o lanza ``InvalidInvoiceError``.

    Las cuentas se hacen con ``Decimal``; en el resultado los importes van como ``float``
    (redondeados a centavos) para que quepan en pandas, SQLite o JSON.
    """
    root = _parse(xml)
    if root.tag != f"{{{NS['cfdi']}}}Comprobante" or root.get("Version") != "4.0":
        raise InvalidInvoiceError("no_es_cfdi", root.tag)
    if root.get("Total") is None:
        raise InvalidInvoiceError("falta_total")
    emisor, receptor = _find(root, "cfdi:Emisor"), _find(root, "cfdi:Receptor")
    traslado = _find(root, "cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado")
    timbre = _find(root, "cfdi:Complemento/tfd:TimbreFiscalDigital")
    items = root.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    if not items:
        raise InvalidInvoiceError("falta_campo", "cfdi:Conceptos/cfdi:Concepto")
    conceptos = [{"clave_prod_serv": _get(c, "ClaveProdServ"),
                  "descripcion": _get(c, "Descripcion"), "cantidad": _amount(c, "Cantidad"),
                  "valor_unitario": _amount(c, "ValorUnitario"), "importe": _amount(c, "Importe")}
                 for c in items]
    subtotal, total = _amount(root, "SubTotal"), _amount(root, "Total")
    iva = _amount(traslado, "Importe")
    declared_taxes = _amount(_find(root, "cfdi:Impuestos"), "TotalImpuestosTrasladados")
    header = {"version": "4.0", "serie": root.get("Serie"), "folio": root.get("Folio"),
              "fecha": _get(root, "Fecha"), "moneda": _get(root, "Moneda"),
              "rfc_emisor": _get(emisor, "Rfc"), "nombre_emisor": emisor.get("Nombre"),
              "rfc_receptor": _get(receptor, "Rfc"), "nombre_receptor": receptor.get("Nombre"),
              "uuid": _get(timbre, "UUID")}
    amounts = [subtotal, total, iva, declared_taxes] + [c[k] for c in conceptos
                                        for k in ("cantidad", "valor_unitario", "importe")]
    if any(a < 0 for a in amounts):
        raise InvalidInvoiceError("monto_negativo")
    if header["moneda"] != "MXN":
        raise InvalidInvoiceError("moneda_invalida", header["moneda"])
    for field in ("rfc_emisor", "rfc_receptor"):
        if not is_valid_rfc(header[field]):
            raise InvalidInvoiceError("rfc_invalido", f"{field}={header[field]}")
    if not _UUID.match(header["uuid"]):
        raise InvalidInvoiceError("uuid_invalido", header["uuid"])
    for c in conceptos:
        _check_equal("importe_no_cuadra", c["importe"], money(c["cantidad"] * c["valor_unitario"]))
    _check_equal("subtotal_no_cuadra", subtotal, sum((c["importe"] for c in conceptos), Decimal()))
    _check_equal("iva_no_cuadra", iva, money(subtotal * IVA_RATE))
    _check_equal("iva_no_cuadra", declared_taxes, iva)
    _check_equal("total_no_cuadra", total, subtotal + iva)
    return {**header, "subtotal": float(subtotal), "iva": float(iva), "total": float(total),
            "conceptos": [{k: float(v) if isinstance(v, Decimal) else v for k, v in c.items()}
                          for c in conceptos]}
