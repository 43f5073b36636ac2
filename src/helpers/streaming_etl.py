"""El primer ETL en streaming (cuaderno 03): la cola de mensajes muertos y cómo mirar un *job*.

- ``dead_letter``: el registro que va a la cola de mensajes muertos (*dead-letter queue*, DLQ)
  cuando una factura no pasa la validación. Conserva el mensaje **original, tal cual llegó**,
  más el código del motivo (``motivo``), su descripción en español y el detalle del error: con
  eso alguien puede corregirla y volver a enviarla, sin adivinar qué pasó.
- ``REASONS`` / ``describe_reason``: los motivos de ``helpers.sources.cfdi.REASONS`` más
  ``registro_ilegible`` (el mensaje de Kafka ni siquiera es JSON con un campo ``xml``) y
  ``cliente_desconocido`` (el RFC receptor no está en el catálogo de clientes del *job*).
- ``customer_for``: busca el cliente de una factura en la **copia difundida** del catálogo (un
  diccionario que viaja con el *job* a cada subtarea, congelado al arrancar). Si no está, lanza
  ``UnknownCustomerError`` (un ``InvalidInvoiceError``), que el *job* manda a la DLQ en vez de morir
  con un ``KeyError``. No es un *lookup join* de Flink: ese consulta una tabla externa por cada fila.
- ``topic_values``: lee un tópico de JSON y abre cada valor en columnas de un ``DataFrame``.
- ``plan_table`` y ``explain_section``: el plan de un *job* (DataStream o SQL) en poco espacio,
  para ver qué operadores hay, cuántas «manos» (paralelismo) tiene cada uno y cómo se reparten
  los registros entre ellos (``FORWARD``, ``HASH``...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers import topics
from helpers.sources.cfdi import REASONS as INVOICE_REASONS
from helpers.sources.cfdi import InvalidInvoiceError

UNREADABLE = "registro_ilegible"
UNKNOWN_CUSTOMER = "cliente_desconocido"
REASONS: dict[str, str] = {
    **INVOICE_REASONS,
    UNREADABLE: "el mensaje no es JSON con los campos de una factura (factura_id, xml)",
    UNKNOWN_CUSTOMER: "el RFC receptor no está en el catálogo de clientes que el job cargó al arrancar",
}
"""Código del motivo → descripción en español: los de ``parse_factura``, ``registro_ilegible`` y
``cliente_desconocido``."""

DEAD_LETTER_FIELDS = ("factura_id", "motivo", "descripcion", "detalle", "payload")
"""Los campos de todo registro de la DLQ (``dead_letter`` puede añadir otros al final)."""


def describe_reason(reason: str | None) -> str | None:
    """La descripción en español del motivo ``reason`` (``None`` si no hay motivo).

    Un código desconocido es un error de programación: lanza ``KeyError`` en vez de inventar.
    """
    return None if reason is None else REASONS[reason]


class UnknownCustomerError(InvalidInvoiceError):
    """El RFC receptor de una factura no está en el catálogo de clientes (motivo ``cliente_desconocido``)."""

    def __init__(self, rfc: str) -> None:
        super().__init__(UNKNOWN_CUSTOMER, f"rfc_receptor {rfc} no está en el catálogo")
        self.rfc = rfc


def customer_for(customers: Mapping[str, Mapping[str, Any]], rfc: str) -> Mapping[str, Any]:
    """El cliente con RFC ``rfc`` en ``customers`` (RFC → fila del cliente).

    ``customers`` es una copia difundida: un diccionario que se copia a cada subtarea al arrancar el
    *job* y ya no cambia. Un cliente dado de alta después no está: en vez de un ``KeyError`` que
    tumba el *job*, lanza ``UnknownCustomerError``, con su motivo, para mandar la factura a la DLQ.
    """
    try:
        return customers[rfc]
    except KeyError:
        raise UnknownCustomerError(rfc) from None


def factura_id_of(payload: str | bytes) -> str | None:
    """El ``factura_id`` de un mensaje de Kafka, si se puede leer; si no, ``None``.

    Sirve para que la DLQ diga de qué factura se trata aun cuando el XML viene roto.
    """
    try:
        value = json.loads(payload)
    except (ValueError, TypeError):
        return None
    found = value.get("factura_id") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def dead_letter(payload: str | bytes, reason: str, detail: str = "", /, **extra: Any) -> str:
    """El registro JSON de la DLQ para el mensaje ``payload`` rechazado por ``reason``.

    Campos: ``factura_id`` (o ``null`` si el mensaje es ilegible), ``motivo`` (código estable,
    para contar y filtrar), ``descripcion`` (para una persona), ``detalle`` (el mensaje del
    error) y ``payload`` (el mensaje original, **sin tocar**), más los de ``extra``
    (p. ej. ``subtarea=2``). ``reason`` debe ser un código de ``REASONS``.
    """
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else payload
    record = {"factura_id": factura_id_of(text), "motivo": reason,
              "descripcion": describe_reason(reason), "detalle": detail, "payload": text}
    clash = set(extra) & set(record)
    if clash:
        raise ValueError(f"Los campos {sorted(clash)} ya son parte del registro de la DLQ")
    return json.dumps(record | extra, ensure_ascii=False)


def topic_values(topic: str, bootstrap: str | None = None, timeout_s: float = 30.0
                 ) -> pd.DataFrame:
    """Lee ``topic`` completo y abre cada valor JSON en columnas.

    Devuelve ``partition`` y ``offset`` (dónde estaba cada registro) seguidas de los campos del
    JSON. Falla si algún valor no es un objeto JSON: aquí solo leemos tópicos que escribimos.
    """
    raw = topics.read_topic(topic, bootstrap, timeout_s)
    bad = [v for v in raw["value"] if not isinstance(v, Mapping)]
    if bad:
        raise ValueError(f"{len(bad)} registros de {topic!r} no son objetos JSON, p. ej. {bad[0]!r}")
    values = pd.DataFrame(list(raw["value"]), index=raw.index)
    return pd.concat([raw[["partition", "offset"]], values], axis=1)


def plan_table(plan_json: str) -> pd.DataFrame:
    """El plan de ``env.get_execution_plan()`` como tabla: una fila por operador.

    Columnas: ``operador`` (su nombre), ``paralelismo`` (cuántas subtareas, «manos», lo
    ejecutan), ``recibe_de`` (de qué operadores le llegan los registros) y ``reparto`` (cómo:
    ``FORWARD`` = cada mano pasa lo suyo a la mano del mismo número; ``HASH`` = se reparten por
    clave; ``REBALANCE`` = por turnos). La fuente no recibe de nadie: ``—``.
    """
    nodes = json.loads(plan_json)["nodes"]
    names = {node["id"]: node["type"] for node in nodes}
    rows = []
    for node in nodes:
        inputs = node.get("predecessors", [])
        rows.append({
            "operador": node["type"],
            "paralelismo": node["parallelism"],
            "recibe_de": ", ".join(names.get(p["id"], str(p["id"])) for p in inputs) or "—",
            "reparto": ", ".join(p["ship_strategy"] for p in inputs) or "—",
        })
    return pd.DataFrame(rows, columns=["operador", "paralelismo", "recibe_de", "reparto"])


def explain_section(explanation: str, title: str = "Optimized Execution Plan") -> str:
    """Solo la sección ``== title ==`` del texto de ``explain()`` de Flink SQL.

    ``explain()`` trae tres planes (el árbol sintáctico, el físico optimizado y el de
    ejecución); para leerlo con calma casi siempre basta el último.
    """
    header = f"== {title} =="
    start = explanation.find(header)
    if start < 0:
        raise ValueError(f"El texto no tiene la sección {header!r}")
    body = explanation[start + len(header):]
    end = body.find("\n== ")
    return (body if end < 0 else body[:end]).strip("\n")
