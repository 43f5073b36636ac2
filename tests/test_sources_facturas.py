"""Facturas CFDI: fracción de facturas malas, validación con defusedxml y RFC de los clientes."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from helpers.sources import cfdi, facturas, respaldos, rfc
from helpers.sources.facturas import DEFECTS, InvalidInvoiceError, parse_factura

N = 2000
RFC_REGEX = re.compile(r"^([A-ZÑ&]{3}|[A-ZÑ&]{4})\d{6}[A-Z\d]{3}$")


@pytest.fixture(scope="module")
def batch() -> list[dict]:
    return facturas.invoices(N, seed=21, bad_rate=0.1)


def _reason(xml: str) -> str | None:
    try:
        parse_factura(xml)
    except InvalidInvoiceError as error:
        return error.reason
    return None


def test_bad_fraction_is_exact_and_every_defect_appears(batch):
    kinds = Counter(e["defecto"] for e in batch)
    assert sum(kinds[d] for d in DEFECTS) == 0.1 * N
    assert {d: kinds[d] for d in DEFECTS} == dict.fromkeys(DEFECTS, 50)
    assert kinds[None] == 0.9 * N


def test_every_invoice_is_accepted_or_rejected_exactly_as_labelled(batch):
    outcome = Counter((e["defecto"], _reason(e["xml"])) for e in batch)
    assert outcome == Counter({(d, d): 50 for d in DEFECTS} | {(None, None): 0.9 * N})


def test_valid_invoices_have_consistent_data(batch):
    customers = {c["rfc"]: c for c in respaldos.initial_tables(21)["clientes"]}
    seen_uuids = set()
    for event in (e for e in batch if e["defecto"] is None):
        data = parse_factura(event["xml"])
        assert data["uuid"] == event["uuid"] and data["rfc_receptor"] == event["rfc_receptor"]
        assert data["rfc_emisor"] == event["rfc_emisor"]
        assert f"{data['serie']}-{data['folio']}" == event["factura_id"]
        assert data["rfc_receptor"] in customers, "el receptor debe ser un cliente del respaldo"
        assert data["nombre_receptor"] == customers[data["rfc_receptor"]]["nombre"]
        assert 1 <= len(data["conceptos"]) <= 5
        assert data["total"] == pytest.approx(data["subtotal"] * 1.16, abs=0.011)
        assert data["moneda"] == "MXN" and data["version"] == "4.0"
        seen_uuids.add(data["uuid"])
    assert len(seen_uuids) == 0.9 * N
    assert len({e["factura_id"] for e in batch}) == N


def test_rfcs_have_the_official_shape_and_check_digit(batch):
    rfcs = {e["rfc_emisor"] for e in batch} | {e["rfc_receptor"] for e in batch}
    assert all(RFC_REGEX.match(r) and rfc.is_valid_rfc(r) for r in rfcs)
    assert {len(r) for r in rfcs} == {12, 13}, "personas morales y físicas"
    assert rfc.check_digit("GODE561231GR") == "8"  # el ejemplo que publica el SAT
    assert not rfc.is_valid_rfc("GODE561231GR9") and not rfc.is_valid_rfc("GODE561331GR8")


def test_kafka_event_fields_and_xml_parts(batch):
    event = batch[0]
    assert set(facturas.KAFKA_FIELDS) | {"defecto"} == set(event)
    assert event["xml"].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<cfdi:Comprobante')
    for tag in ("cfdi:Emisor", "cfdi:Receptor", "cfdi:Concepto ", "cfdi:Traslado ",
                "tfd:TimbreFiscalDigital", 'Moneda="MXN"', 'TasaOCuota="0.160000"'):
        assert tag in event["xml"]


def test_default_tables_are_the_first_backup_with_the_same_seed():
    tables = respaldos.initial_tables(3)
    explicit = facturas.invoices(30, seed=3, customers=tables["clientes"],
                                 products=tables["productos"])
    assert explicit == facturas.invoices(30, seed=3)
    small = respaldos.initial_tables(3, customers=5, products=4)
    few = facturas.invoices(200, seed=3, customers=small["clientes"], products=small["productos"])
    assert {e["rfc_receptor"] for e in few} == {c["rfc"] for c in small["clientes"]}


# --- Reglas de parse_factura, una por una --------------------------------------------


@pytest.fixture(scope="module")
def good_xml() -> str:
    """Una factura válida cuyo primer concepto tiene Cantidad distinta de 2."""
    return next(e["xml"] for e in facturas.invoices(5, seed=2, bad_rate=0)
                if 'Cantidad="2"' not in e["xml"])


def _replace_attr(xml: str, attr: str, value: str, nth: int = 0) -> str:
    matches = list(re.finditer(rf' {attr}="[^"]*"', xml))
    m = matches[nth]
    return xml[: m.start()] + f' {attr}="{value}"' + xml[m.end():]


@pytest.mark.parametrize("mutate, reason", [
    (lambda x: x.replace("sat.gob.mx/cfd/4", "sat.gob.mx/cfd/3"), "no_es_cfdi"),
    (lambda x: x.replace('Version="4.0"', 'Version="3.3"'), "no_es_cfdi"),
    (lambda x: re.sub(r' UUID="[^"]*"', "", x), "falta_campo"),
    (lambda x: re.sub(r"<cfdi:Receptor [^>]*/>", "", x), "falta_campo"),
    (lambda x: _replace_attr(x, "SubTotal", "mil"), "monto_invalido"),
    (lambda x: _replace_attr(x, "SubTotal", "NaN"), "monto_invalido"),
    (lambda x: x.replace('Moneda="MXN"', 'Moneda="USD"'), "moneda_invalida"),
    (lambda x: _replace_attr(x, "Rfc", "XAXX01010100"), "rfc_invalido"),
    (lambda x: _replace_attr(x, "UUID", "no-es-un-uuid"), "uuid_invalido"),
    (lambda x: _replace_attr(x, "Cantidad", "2"), "importe_no_cuadra"),
    (lambda x: _replace_attr(x, "SubTotal", "1.00"), "subtotal_no_cuadra"),
    (lambda x: _replace_attr(x, "Importe", "1.00", nth=-1), "iva_no_cuadra"),
    (lambda x: _replace_attr(x, "TotalImpuestosTrasladados", "1.00"), "iva_no_cuadra"),
    (lambda x: _replace_attr(x, "Total", "1.00"), "total_no_cuadra"),
    (lambda x: x.replace("<cfdi:Emisor", "<cfdi:Emisor Extra=\"&\""), "xml_malformado"),
    (lambda x: x[:-30], "xml_malformado"),
    (lambda x: "", "xml_malformado"),
])
def test_each_rule_has_its_own_reason(good_xml, mutate, reason):
    assert _reason(good_xml) is None
    assert _reason(mutate(good_xml)) == reason
    assert reason in cfdi.REASONS


def test_cent_rounding_is_tolerated(good_xml):
    total = re.search(r' Total="([^"]*)"', good_xml).group(1)
    assert _reason(_replace_attr(good_xml, "Total", f"{float(total) + 0.01:.2f}")) is None


@pytest.mark.parametrize("payload", [
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.com/r.dtd"><r/>',
])
def test_dangerous_xml_is_refused_not_expanded(payload):
    assert _reason(payload) == "xml_prohibido"


def test_bytes_input_and_error_message(good_xml):
    assert parse_factura(good_xml.encode("utf-8"))["moneda"] == "MXN"
    with pytest.raises(InvalidInvoiceError, match="^falta_total$") as info:
        parse_factura(re.sub(r' Total="[^"]*"', "", good_xml))
    assert info.value.reason == "falta_total" and isinstance(info.value, ValueError)


def test_bad_rate_bounds():
    assert all(e["defecto"] is None for e in facturas.invoices(20, bad_rate=0.0))
    assert all(e["defecto"] for e in facturas.invoices(20, bad_rate=1.0))
    with pytest.raises(ValueError):
        facturas.invoices(5, bad_rate=1.2)
    state = random.getstate()  # el generador nunca toca el azar global
    facturas.invoices(10)
    assert random.getstate() == state


def test_tables_read_back_from_the_csv_backups_work_too():
    import csv
    import io

    dump = respaldos.backups(1, seed=6)[0]
    tables = {t: list(csv.DictReader(io.StringIO(respaldos.dump_csv(dump, t))))
              for t in respaldos.KEYS}  # todo es texto, como al leer el CSV
    from_csv = facturas.invoices(40, seed=6, bad_rate=0, customers=tables["clientes"],
                                 products=tables["productos"])
    assert [e["xml"] for e in from_csv] == [e["xml"] for e in facturas.invoices(40, 6, bad_rate=0)]
