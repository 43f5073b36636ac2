"""Dos afirmaciones de la hoja (``cheatsheet.md``) que se comprueban con jobs reales de PyFlink.

- «Trampas conocidas de PyFlink», ``execute_and_collect()``: el job que lanza contiene **solo**
  el flujo que se recoge; los otros ``sink_to`` del entorno no se ejecutan y además se descartan.
- «PyFlink Table/SQL», ``json.ignore-parse-errors``: un mensaje que no es JSON desaparece sin
  aviso; un campo con el tipo equivocado llega como NULL.
"""

from __future__ import annotations

import pytest
from kafka import KafkaProducer

from helpers import topics
from helpers.flink import stream_env, table_env

ROWS = 50


def _kafka_sink(bootstrap: str, topic: str):
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.base import DeliveryGuarantee
    from pyflink.datastream.connectors.kafka import KafkaRecordSerializationSchema, KafkaSink

    record = (KafkaRecordSerializationSchema.builder().set_topic(topic)
              .set_value_serialization_schema(SimpleStringSchema()).build())
    return (KafkaSink.builder().set_bootstrap_servers(bootstrap).set_record_serializer(record)
            .set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE).build())


def _job_with_two_outputs(bootstrap: str, source_topic: str, out_topic: str):
    """Un entorno con un flujo que va a Kafka (``sink_to``) y que también se puede recoger."""
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer, KafkaSource

    env = stream_env()
    source = (KafkaSource.builder().set_bootstrap_servers(bootstrap).set_topics(source_topic)
              .set_group_id("prueba-collect")
              .set_starting_offsets(KafkaOffsetsInitializer.earliest())
              .set_bounded(KafkaOffsetsInitializer.latest())
              .set_value_only_deserializer(SimpleStringSchema()).build())
    upper = (env.from_source(source, WatermarkStrategy.no_watermarks(), "entrada")
             .map(str.upper, Types.STRING()))
    upper.sink_to(_kafka_sink(bootstrap, out_topic))
    return env, upper


def _written(topic: str, bootstrap: str) -> int:
    return sum(topics.end_offsets(topic, bootstrap).values())


def test_execute_and_collect_runs_only_the_collected_stream(bootstrap, topic_name):
    out_collect, out_execute = f"{topic_name}-collect", f"{topic_name}-execute"
    topics.create_topic(topic_name, bootstrap=bootstrap)
    topics.produce_json(topic_name, [{"n": i} for i in range(ROWS)], bootstrap=bootstrap)
    for name in (out_collect, out_execute):
        topics.create_topic(name, bootstrap=bootstrap)

    env, upper = _job_with_two_outputs(bootstrap, topic_name, out_collect)
    with upper.execute_and_collect() as rows:
        collected = [row for row in rows]  # se leen TODAS: el job termina solo, sin cancelarlo
    assert len(collected) == ROWS
    assert _written(out_collect, bootstrap) == 0, "el sink_to no formó parte del job"
    # El entorno ya no guarda ese sink_to: un execute() posterior no tiene nada que ejecutar.
    with pytest.raises(Exception, match="No operators defined"):
        env.execute("sin-operadores")

    # Control: el mismo flujo con env.execute() sí escribe en Kafka.
    env, _ = _job_with_two_outputs(bootstrap, topic_name, out_execute)
    env.execute("con-execute")
    assert _written(out_execute, bootstrap) == ROWS
    for name in (topic_name, out_collect, out_execute):
        topics.delete_topic(name, bootstrap)


def test_json_ignore_parse_errors_drops_unparseable_messages_silently(bootstrap, topic_name):
    topics.create_topic(topic_name, bootstrap=bootstrap)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for raw in (b'{"venta_id": 1, "monto": 10.5}',   # bueno
                b"esto no es JSON",                   # ilegible
                b'{"venta_id": "uno", "monto": 7.0}'):  # campo con tipo equivocado
        producer.send(topic_name, raw)
    producer.flush()
    producer.close()

    t_env = table_env()
    t_env.execute_sql(f"""
        CREATE TABLE ventas_json (venta_id INT, monto DOUBLE) WITH (
            'connector' = 'kafka', 'topic' = '{topic_name}',
            'properties.bootstrap.servers' = '{bootstrap}',
            'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
            'format' = 'json', 'json.ignore-parse-errors' = 'true')""")
    rows = t_env.sql_query("SELECT venta_id, monto FROM ventas_json").to_pandas()
    assert len(rows) == 2, f"el mensaje ilegible debía desaparecer; llegaron:\n{rows}"
    assert rows["monto"].tolist() == [10.5, 7.0]
    assert rows["venta_id"].iloc[0] == 1 and rows["venta_id"].isna().iloc[1]
    topics.delete_topic(topic_name, bootstrap)
