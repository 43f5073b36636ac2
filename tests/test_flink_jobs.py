"""Jobs reales de PyFlink que leen Kafka y cuentan por ventana: API DataStream y SQL."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

import pandas as pd
import pytest

from helpers import topics
from helpers.errors import BrokerUnavailableError
from helpers.flink import (
    connector_jar, harness_threads, route_worker_stderr, stop_job, stream_env, table_env)
from helpers.sources.ventas import sales

from conftest import free_port  # noqa: E402


@pytest.fixture
def sales_topic(bootstrap, topic_name):
    """Un tópico de 2 particiones con 60 ventas de ejemplo; devuelve (tópico, ventas)."""
    events = sales(count=60, seed=11)
    topics.create_topic(topic_name, 2, bootstrap=bootstrap)
    topics.produce_json(topic_name, events, key=lambda e: e["tienda"],
                        timestamp=lambda e: e["ts_ms"], bootstrap=bootstrap)
    return topic_name, events


def expected_counts(events, size_ms: int) -> dict[int, int]:
    """Conteo por ventana calculado a mano: inicio de ventana (ms) → número de eventos."""
    return dict(Counter(e["ts_ms"] // size_ms * size_ms for e in events))


def test_connector_jar_is_the_shaded_sql_connector():
    assert connector_jar().name == "flink-sql-connector-kafka-5.0.0-2.2.jar"


def test_sql_tumbling_window_counts(bootstrap, sales_topic):
    topic, events = sales_topic
    t_env = table_env()
    t_env.execute_sql(f"""
        CREATE TABLE ventas (
            tienda STRING,
            ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
            WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
        ) WITH (
            'connector' = 'kafka', 'topic' = '{topic}',
            'properties.bootstrap.servers' = '{bootstrap}',
            'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
            'format' = 'json'
        )""")
    result = t_env.sql_query("""
        SELECT window_start, COUNT(*) AS n
        FROM TABLE(TUMBLE(TABLE ventas, DESCRIPTOR(ts), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end""").to_pandas()
    got = {int(pd.Timestamp(ws).timestamp() * 1000): n for ws, n in zip(result["window_start"], result["n"])}
    assert got == expected_counts(events, 10_000)
    assert sum(got.values()) == 60


def test_datastream_tumbling_window_counts(bootstrap, sales_topic):
    from pyflink.common import Duration, Time, Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer, KafkaSource
    from pyflink.datastream.functions import ProcessWindowFunction
    from pyflink.datastream.window import TumblingEventTimeWindows

    class CountPerWindow(ProcessWindowFunction):
        def process(self, key, context, elements):
            yield context.window().start, sum(1 for _ in elements)

    topic, events = sales_topic
    env = stream_env(parallelism=2)  # 2 particiones, 2 lectores: ninguna queda ociosa
    source = (
        KafkaSource.builder()
        .set_bootstrap_servers(bootstrap)
        .set_topics(topic)
        .set_group_id("prueba-datastream")
        .set_starting_offsets(KafkaOffsetsInitializer.earliest())
        .set_bounded(KafkaOffsetsInitializer.latest())
        .set_value_only_deserializer(SimpleStringSchema())
        .build()
    )
    # Sin asignador de Python: el tiempo del evento es el timestamp del registro de Kafka.
    watermarks = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_seconds(1))
    counts = (
        env.from_source(source, watermarks, "ventas")
        .key_by(lambda _: "todas", key_type=Types.STRING())
        .window(TumblingEventTimeWindows.of(Time.seconds(10)))  # las ventanas piden Time
        .process(CountPerWindow(), Types.TUPLE([Types.LONG(), Types.INT()]))
    )
    with counts.execute_and_collect() as rows:
        got = {start: n for start, n in rows}
    assert got == expected_counts(events, 10_000)


def wait_for_records(topic: str, total: int, bootstrap: str, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while sum(topics.end_offsets(topic, bootstrap).values()) < total:
        assert time.monotonic() < deadline, f"{topic} no llegó a {total} registros"
        time.sleep(0.5)


def test_stop_job_ends_an_unbounded_job_and_its_python_worker(bootstrap, sales_topic):
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.kafka import (
        KafkaOffsetsInitializer, KafkaRecordSerializationSchema, KafkaSink, KafkaSource)

    topic, events = sales_topic
    out = f"{topic}-copia"
    topics.create_topic(out, bootstrap=bootstrap)
    env = stream_env(parallelism=2)
    source = (KafkaSource.builder().set_bootstrap_servers(bootstrap).set_topics(topic)
              .set_group_id("prueba-stop-job")
              .set_starting_offsets(KafkaOffsetsInitializer.earliest())  # sin fin: no acotada
              .set_value_only_deserializer(SimpleStringSchema()).build())
    sink = (KafkaSink.builder().set_bootstrap_servers(bootstrap)
            .set_record_serializer(KafkaRecordSerializationSchema.builder().set_topic(out)
                                   .set_value_serialization_schema(SimpleStringSchema()).build())
            .build())
    (env.from_source(source, WatermarkStrategy.no_watermarks(), "ventas")
        .map(str.upper, Types.STRING())  # una función de Python: hay trabajador de Python
        .sink_to(sink))
    client = env.execute_async("prueba-stop-job")
    wait_for_records(out, len(events), bootstrap)
    assert harness_threads(), "con el job corriendo, el trabajador de Python está vivo"

    stop_job(client)

    assert harness_threads() == []
    topics.produce_json(topic, events[:5], bootstrap=bootstrap)  # ya nadie los copia
    time.sleep(3)
    assert sum(topics.end_offsets(out, bootstrap).values()) == len(events)
    topics.delete_topic(out, bootstrap)


def test_worker_threads_write_stderr_to_the_log_and_cells_keep_theirs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CURSO_LOGS_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # se restaura al terminar la prueba
    log = route_worker_stderr()
    assert route_worker_stderr() == log  # una sola vez: no se envuelve dos veces
    print("error de la celda", file=sys.stderr)
    worker = threading.Thread(target=lambda: print("aviso del trabajador", file=sys.stderr))
    worker.start()
    worker.join()
    assert log.read_text(encoding="utf-8") == "aviso del trabajador\n"
    err = capsys.readouterr().err
    assert "error de la celda" in err and "aviso del trabajador" not in err


def test_stream_and_table_env_check_the_broker_first(monkeypatch, tmp_path):
    """Sin broker, el entorno de Flink falla al crearse, rápido y en español, como el productor.

    Antes, el entorno se creaba sin problema y el job fallaba ~70 s después con una traza de Java
    («Timed out waiting for a node assignment»).
    """
    nobody = f"127.0.0.1:{free_port()}"  # nadie escucha ahí
    with pytest.raises(BrokerUnavailableError) as producer_error:
        topics.produce_json("cualquiera", [{"a": 1}], bootstrap=nobody)
    monkeypatch.setenv("CURSO_KAFKA_DIR", str(tmp_path / "kafka"))
    monkeypatch.setenv("CURSO_KAFKA_PORT", nobody.rpartition(":")[2])
    for make_env in (stream_env, table_env):
        with pytest.raises(BrokerUnavailableError) as error:
            make_env()
        assert str(error.value) == str(producer_error.value)
        assert "make kafka" in str(error.value)
        with pytest.raises(BrokerUnavailableError):
            make_env(bootstrap=nobody)  # también con la dirección explícita

def test_table_env_keeps_one_java_thread():
    """Sin avisos de recolección de Py4J no se abren conexiones (ni hilos de Java) nuevas."""
    from pyflink.java_gateway import get_gateway

    from helpers.flink import table_env

    t_env = table_env()
    client = get_gateway()._gateway_client
    assert client.gateway_property.enable_memory_management is False
    for _ in range(50):  # objetos de Java que Python suelta: ya no avisan a Java
        t_env.get_config().get("table.local-time-zone", "")
    current = get_gateway().jvm.java.lang.Thread.currentThread
    assert len({current().getName() for _ in range(5)}) == 1
