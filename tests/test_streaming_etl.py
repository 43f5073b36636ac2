"""La DLQ del cuaderno 03, la lectura de tópicos JSON y el plan de un job: broker y PyFlink reales."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer

from helpers import topics
from helpers.flink import stream_env, table_env
from helpers.sources.cfdi import REASONS as INVOICE_REASONS
from helpers.sources.cfdi import InvalidInvoiceError, parse_factura
from helpers.sources.facturas import KAFKA_FIELDS, KEY, invoices
from helpers.sources.sinks import write_kafka
from helpers.streaming_etl import (
    DEAD_LETTER_FIELDS,
    REASONS,
    UNKNOWN_CUSTOMER,
    UNREADABLE,
    UnknownCustomerError,
    customer_for,
    dead_letter,
    describe_reason,
    explain_section,
    factura_id_of,
    plan_table,
    topic_values,
)


@pytest.fixture
def n03_topics(bootstrap: str, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Tres tópicos ``n03.prueba-...`` propios de la prueba (entrada, salida, DLQ); se borran al final."""
    base = "n03.prueba-" + re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-").lower()
    names = [f"{base}-entrada", f"{base}-salida", f"{base}-dlq"]
    yield names
    for name in names:
        topics.delete_topic(name, bootstrap)


# --- Registros de la DLQ ----------------------------------------------------------


def test_dead_letter_keeps_the_original_payload_untouched():
    payload = '{"factura_id": "A-1001", "xml": "<roto", "extra": "ñandú & cía"}'
    record = json.loads(dead_letter(payload, "xml_malformado", "línea 1", subtarea=1))
    assert list(record) == [*DEAD_LETTER_FIELDS, "subtarea"]
    assert record["payload"] == payload, "la DLQ guarda el mensaje tal cual, byte por byte"
    assert record == {"factura_id": "A-1001", "motivo": "xml_malformado",
                      "descripcion": INVOICE_REASONS["xml_malformado"], "detalle": "línea 1",
                      "payload": payload, "subtarea": 1}


def test_dead_letter_of_an_unreadable_message_has_no_factura_id():
    record = json.loads(dead_letter(b"esto no es JSON \xff", UNREADABLE, "JSONDecodeError"))
    assert record["factura_id"] is None
    assert record["payload"] == "esto no es JSON \ufffd"
    assert record["descripcion"] == REASONS[UNREADABLE]


def test_dead_letter_refuses_unknown_reasons_and_overwriting_fields():
    with pytest.raises(KeyError):
        dead_letter("{}", "motivo_inventado")
    with pytest.raises(ValueError, match="payload"):
        dead_letter("{}", "falta_total", payload="otro")


@pytest.mark.parametrize(("payload", "expected"), [
    ('{"factura_id": "B-1002"}', "B-1002"),
    ('{"factura_id": 7}', None),
    ('["factura_id", "B-1002"]', None),
    ('{"factura_id": "B-1', None),
    ("", None),
])
def test_factura_id_of(payload, expected):
    assert factura_id_of(payload) == expected


def test_every_invoice_reason_is_described():
    assert set(REASONS) == set(INVOICE_REASONS) | {UNREADABLE, UNKNOWN_CUSTOMER}
    assert all(describe_reason(code) for code in REASONS)
    assert describe_reason(None) is None


def test_customer_for_finds_the_customer_or_raises_an_invalid_invoice_with_its_reason():
    customers = {"AAA010101AAA": {"nombre": "Ana", "ciudad": "Puebla"}}
    assert customer_for(customers, "AAA010101AAA")["ciudad"] == "Puebla"
    with pytest.raises(InvalidInvoiceError) as caught:  # no un KeyError: el job lo manda a la DLQ
        customer_for(customers, "XXX999999XXX")
    assert isinstance(caught.value, UnknownCustomerError)
    assert (caught.value.reason, caught.value.rfc) == (UNKNOWN_CUSTOMER, "XXX999999XXX")
    assert "XXX999999XXX" in caught.value.detail


# --- Leer tópicos y planes ----------------------------------------------------------


def test_topic_values_opens_each_json_in_columns(bootstrap, n03_topics):
    topic = n03_topics[0]
    topics.create_topic(topic, 2, bootstrap=bootstrap)
    events = [{"id": i, "cliente": f"c{i % 3}", "total": i * 1.5} for i in range(9)]
    topics.produce_json(topic, events, key=lambda e: e["cliente"], bootstrap=bootstrap)
    frame = topic_values(topic, bootstrap)
    assert list(frame.columns) == ["partition", "offset", "id", "cliente", "total"]
    assert sorted(frame["id"]) == list(range(9))
    assert frame.groupby("cliente")["partition"].nunique().eq(1).all()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topic, b'["no", "es", "objeto"]')
    producer.close()
    with pytest.raises(ValueError, match="no son objetos JSON"):
        topic_values(topic, bootstrap)


def test_plan_table_shows_parallelism_and_the_hash_after_key_by():
    from pyflink.common import Types

    env = stream_env(parallelism=2)
    numbers = env.from_collection([1, 2, 3, 4], type_info=Types.INT()).name("numeros")
    numbers.key_by(lambda n: n % 2, key_type=Types.INT()).reduce(lambda a, b: a + b).name("sumar")
    plan = plan_table(env.get_execution_plan())
    assert list(plan.columns) == ["operador", "paralelismo", "recibe_de", "reparto"]
    first = plan.iloc[0]
    assert first["recibe_de"] == "—" and first["reparto"] == "—"
    summed = plan[plan["operador"].str.startswith("sumar")].iloc[0]
    assert summed["reparto"] == "HASH" and summed["paralelismo"] == 2
    assert summed["recibe_de"] in set(plan["operador"])


def test_explain_section_keeps_only_the_asked_plan():
    t_env = table_env()
    t_env.execute_sql("CREATE TEMPORARY VIEW uno AS SELECT * FROM (VALUES (1), (2)) AS t(n)")
    text = t_env.sql_query("SELECT n + 1 AS m FROM uno").explain()
    section = explain_section(text)
    assert section and "==" not in section
    assert section in text and "Values" in section
    assert explain_section(text, "Abstract Syntax Tree").startswith("LogicalProject")
    with pytest.raises(ValueError, match="no tiene la sección"):
        explain_section(text, "Plan que no existe")


# --- Un job real: validar, apartar a la DLQ y escribir en Kafka -----------------------------


def test_a_real_job_routes_every_bad_message_to_the_dlq_with_its_reason(bootstrap, n03_topics):
    """Facturas malas, mensajes ilegibles y clientes que no están en la copia difundida del
    catálogo: todo llega a la DLQ con su motivo y el job termina (un KeyError lo habría tumbado)."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream import OutputTag
    from pyflink.datastream.connectors import DeliveryGuarantee
    from pyflink.datastream.connectors.kafka import (
        KafkaOffsetsInitializer,
        KafkaRecordSerializationSchema,
        KafkaSink,
        KafkaSource,
    )
    from pyflink.datastream.functions import ProcessFunction

    source_topic, out_topic, dlq_topic = n03_topics
    events = invoices(40, seed=3, bad_rate=0.25)
    missing_rfc = next(e["rfc_receptor"] for e in events if e["defecto"] is None)
    catalog = {e["rfc_receptor"]: {"nombre": "cliente " + e["rfc_receptor"]}
               for e in events if e["rfc_receptor"] != missing_rfc}
    unknown = {e["factura_id"] for e in events
               if e["defecto"] is None and e["rfc_receptor"] == missing_rfc}
    assert unknown, "la prueba necesita al menos una factura válida de un cliente desconocido"
    topics.create_topic(source_topic, 2, bootstrap=bootstrap)
    for name in (out_topic, dlq_topic):
        topics.create_topic(name, 1, bootstrap=bootstrap)
    write_kafka(source_topic, events, key=KEY, fields=KAFKA_FIELDS, bootstrap=bootstrap)
    poison = 'esto no es JSON {"factura_id"'
    topics.produce_json(source_topic, [{"factura_id": "Z-1", "sin_xml": True}], bootstrap=bootstrap)
    raw = KafkaProducer(bootstrap_servers=bootstrap)  # bytes sueltos: ni siquiera JSON
    raw.send(source_topic, poison.encode("utf-8"))
    raw.close()

    rejected = OutputTag("rechazadas", Types.STRING())

    class Validate(ProcessFunction):
        def process_element(self, payload, ctx):
            try:
                invoice = parse_factura(json.loads(payload)["xml"])
                customer = customer_for(catalog, invoice["rfc_receptor"])
            except InvalidInvoiceError as error:  # también UnknownCustomerError
                yield rejected, dead_letter(payload, error.reason, error.detail)
            except (ValueError, KeyError, TypeError) as error:
                yield rejected, dead_letter(payload, UNREADABLE, repr(error))
            else:
                yield json.dumps({"uuid": invoice["uuid"], "total": invoice["total"],
                                  "cliente": customer["nombre"]})

    def sink(topic: str) -> KafkaSink:
        serializer = (KafkaRecordSerializationSchema.builder().set_topic(topic)
                      .set_value_serialization_schema(SimpleStringSchema()).build())
        return (KafkaSink.builder().set_bootstrap_servers(bootstrap)
                .set_record_serializer(serializer)
                .set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build())

    env = stream_env(parallelism=2)
    source = (KafkaSource.builder().set_bootstrap_servers(bootstrap).set_topics(source_topic)
              .set_group_id("n03.prueba-dlq")
              .set_starting_offsets(KafkaOffsetsInitializer.earliest())
              .set_bounded(KafkaOffsetsInitializer.latest())
              .set_value_only_deserializer(SimpleStringSchema()).build())
    valid = env.from_source(source, WatermarkStrategy.no_watermarks(), "facturas").process(
        Validate(), output_type=Types.STRING())
    valid.sink_to(sink(out_topic))
    valid.get_side_output(rejected).sink_to(sink(dlq_topic))
    env.execute("n03 prueba dlq")

    out, dlq = topic_values(out_topic, bootstrap), topic_values(dlq_topic, bootstrap)
    assert len(out) + len(dlq) == len(events) + 2, "nada se pierde ni se duplica"
    label = {e["factura_id"]: e["defecto"] for e in events}
    assert sorted(out["uuid"]) == sorted(e["uuid"] for e in events
                                         if e["defecto"] is None and e["factura_id"] not in unknown)
    assert set(out["cliente"]) <= {c["nombre"] for c in catalog.values()}
    by_id = dict(zip(dlq["factura_id"].fillna("<ilegible>"), dlq["motivo"]))
    assert by_id == {**{k: d for k, d in label.items() if d}, **dict.fromkeys(unknown, UNKNOWN_CUSTOMER),
                     "Z-1": UNREADABLE,
                     "<ilegible>": UNREADABLE}
    assert Counter(dlq["motivo"])[UNREADABLE] == 2
    assert poison in set(dlq["payload"]), "el mensaje venenoso llega intacto a la DLQ"
    originals = {e["factura_id"]: {f: e[f] for f in KAFKA_FIELDS} for e in events}
    for factura_id, payload in zip(dlq["factura_id"], dlq["payload"]):
        if factura_id in originals:
            assert json.loads(payload) == originals[factura_id]
    assert set(dlq["descripcion"]) == {REASONS[code] for code in set(dlq["motivo"])}
