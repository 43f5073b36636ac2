"""El laboratorio de Kafka del cuaderno 02, contra el broker real: productor, grupos y offsets."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from helpers import kafka_lab, topics
from helpers.sources import cambios, respaldos
from helpers.sources.timing import arrival_order

PREFIX = "n02.prueba-"  # el prefijo del cuaderno 02: no pisamos tópicos ni grupos de nadie


@pytest.fixture
def lab_topic(request: pytest.FixtureRequest, bootstrap: str) -> Iterator[str]:
    """Un tópico propio de cada prueba (con el prefijo del cuaderno); se borra al terminar."""
    name = PREFIX + re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-").lower()
    yield name
    topics.delete_topic(name, bootstrap)


def _group() -> str:
    return f"{PREFIX}grupo-{uuid.uuid4().hex[:8]}"


def _consumer(topic: str, group: str, bootstrap: str, client_id: str) -> KafkaConsumer:
    return KafkaConsumer(topic, group_id=group, client_id=client_id, bootstrap_servers=bootstrap,
                         auto_offset_reset="earliest", enable_auto_commit=False)


def test_backup_messages_one_per_table_and_dump():
    dumps = respaldos.backups(3, seed=11)
    messages = kafka_lab.backup_messages(dumps)
    assert len(messages) == 3 * len(respaldos.KEYS)
    for message, (dump, table) in zip(messages, [(d, t) for d in dumps for t in d.tables],
                                      strict=True):
        assert message["tabla"] == table
        assert message["respaldo"] == dump.number
        assert message["csv"] == respaldos.dump_csv(dump, table)
        assert message["filas"] == len(dump.tables[table]) == message["csv"].count("\n") - 1
        assert message["archivo"] == respaldos.dump_filename(dump, table)
        assert (message["event_time"], message["arrival_time"]) == (dump.event_time,
                                                                   dump.arrival_time)


def test_encode_messages_in_arrival_order_as_json_bytes():
    events = cambios.change_events(200, seed=3)
    messages = kafka_lab.encode_messages(events, cambios.kafka_key)
    expected = arrival_order(events)
    assert [json.loads(value) for _, value, _ in messages] == expected
    assert [key.decode() for key, _, _ in messages] == [cambios.kafka_key(e) for e in expected]
    assert [ts for _, _, ts in messages] == [e["event_time"] for e in expected]
    assert [e["event_time"] for e in expected] != sorted(e["event_time"] for e in expected), \
        "con desorden, el orden de llegada no es el del tiempo del evento"


def test_run_producer_counts_everything_and_gzip_takes_less_disk(bootstrap, lab_topic):
    messages = kafka_lab.encode_messages(cambios.change_events(3000, seed=5), cambios.kafka_key)
    payload = sum(len(k) + len(v) for k, v, _ in messages)
    runs = {}
    for codec in ("none", "gzip"):
        name = f"{lab_topic}-{codec}"
        topics.create_topic(name, 3, bootstrap=bootstrap)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                 compression_type=None if codec == "none" else codec)
        runs[codec] = kafka_lab.run_producer(producer, name, messages, label=codec,
                                             progress=False)
        assert sum(topics.end_offsets(name, bootstrap).values()) == 3000
        topics.delete_topic(name, bootstrap)
    for run in runs.values():
        assert run.messages == run.delivered == 3000
        assert run.seconds > 0 and run.rate == pytest.approx(3000 / run.seconds)
        assert run.records_per_request >= 1
    assert runs["none"].bytes_on_disk >= payload
    assert runs["gzip"].bytes_on_disk < 0.5 * runs["none"].bytes_on_disk
    assert runs["gzip"].compression_rate < 0.5 <= runs["none"].compression_rate
    frame = kafka_lab.runs_frame(runs.values())
    assert list(frame["configuracion"]) == ["none", "gzip"]
    assert list(frame["entregados"]) == [3000, 3000]


def test_topic_size_of_an_empty_topic_is_zero(bootstrap, lab_topic):
    topics.create_topic(lab_topic, 2, bootstrap=bootstrap)
    assert kafka_lab.topic_size_bytes(lab_topic, bootstrap) == 0
    topics.produce_json(lab_topic, [{"n": 1}], bootstrap=bootstrap)
    assert kafka_lab.topic_size_bytes(lab_topic, bootstrap) > 0


def test_committed_offsets_and_delete_groups(bootstrap, lab_topic):
    topics.create_topic(lab_topic, 1, bootstrap=bootstrap)
    topics.produce_json(lab_topic, [{"n": i} for i in range(30)], bootstrap=bootstrap)
    group = _group()
    consumer = _consumer(lab_topic, group, bootstrap, "lector")
    read: list = []
    while len(read) < 12:
        for batch in consumer.poll(timeout_ms=1000, max_records=12 - len(read)).values():
            read.extend(batch)
    consumer.commit()
    consumer.close()
    assert [r.offset for r in read] == list(range(12))
    assert kafka_lab.committed_offsets(group, lab_topic, bootstrap) == {0: 12}
    assert kafka_lab.committed_offsets(group, "otro-topico", bootstrap) == {}
    assert kafka_lab.delete_groups([group], bootstrap) == [group]
    assert kafka_lab.committed_offsets(group, lab_topic, bootstrap) == {}
    assert kafka_lab.delete_groups([group], bootstrap) == []


def test_read_to_end_continues_from_the_committed_offset(bootstrap, lab_topic):
    topics.create_topic(lab_topic, 2, bootstrap=bootstrap)
    topics.produce_json(lab_topic, [{"n": i} for i in range(40)], partition=lambda e: e["n"] % 2,
                        bootstrap=bootstrap)
    group = _group()
    first = _consumer(lab_topic, group, bootstrap, "primero")
    assert len(kafka_lab.read_to_end(first)) == 40
    first.commit()
    first.close()
    topics.produce_json(lab_topic, [{"n": i} for i in range(40, 46)],
                        partition=lambda e: e["n"] % 2, bootstrap=bootstrap)
    second = _consumer(lab_topic, group, bootstrap, "segundo")
    rest = kafka_lab.read_to_end(second)
    second.close()
    assert sorted(json.loads(r.value)["n"] for r in rest) == list(range(40, 46))
    kafka_lab.delete_groups([group], bootstrap)


def test_earliest_offsets_move_when_records_are_deleted(bootstrap, lab_topic):
    topics.create_topic(lab_topic, 2, bootstrap=bootstrap)
    topics.produce_json(lab_topic, [{"n": i} for i in range(20)], partition=lambda e: e["n"] % 2,
                        bootstrap=bootstrap)
    assert kafka_lab.earliest_offsets(lab_topic, bootstrap) == {0: 0, 1: 0}
    with kafka_lab.admin_client(bootstrap) as admin:
        admin.delete_records({TopicPartition(lab_topic, 1): 4})
    assert kafka_lab.earliest_offsets(lab_topic, bootstrap) == {0: 0, 1: 4}
    assert topics.end_offsets(lab_topic, bootstrap) == {0: 10, 1: 10}
    assert len(topics.read_topic(lab_topic, bootstrap)) == 16


@pytest.mark.parametrize("members", [2, 4])
def test_group_split_gives_each_partition_to_exactly_one_consumer(bootstrap, lab_topic, members):
    topics.create_topic(lab_topic, 3, bootstrap=bootstrap)
    events = cambios.change_events(300, seed=9)
    topics.produce_json(lab_topic, events, key=cambios.kafka_key, bootstrap=bootstrap)
    ends = topics.end_offsets(lab_topic, bootstrap)
    group = _group()
    consumers = [_consumer(lab_topic, group, bootstrap, f"c-{i}") for i in range(members)]
    try:
        split = kafka_lab.group_split(consumers, group, lab_topic, bootstrap=bootstrap)
    finally:
        for consumer in consumers:
            consumer.close()
        kafka_lab.delete_groups([group], bootstrap)
    assert sorted(split["consumidor"]) == sorted(c.config["client_id"] for c in consumers)
    owned = [p for parts in split["particiones"] for p in parts]
    assert sorted(owned) == [0, 1, 2], "cada partición, de un solo consumidor"
    for parts, count in zip(split["particiones"], split["registros"], strict=True):
        assert count == sum(ends[p] for p in parts)
    assert split["registros"].sum() == 300
    busy = [parts for parts in split["particiones"] if parts]
    assert len(busy) == min(members, 3)
    assert list(split["particiones"]) == sorted(busy) + [()] * (members - len(busy))


def test_group_split_needs_distinct_client_ids(bootstrap, lab_topic):
    topics.create_topic(lab_topic, 1, bootstrap=bootstrap)
    group = _group()
    consumers = [_consumer(lab_topic, group, bootstrap, "repetido") for _ in range(2)]
    try:
        with pytest.raises(ValueError, match="client_id"):
            kafka_lab.group_split(consumers, group, lab_topic, bootstrap=bootstrap)
    finally:
        for consumer in consumers:
            consumer.close()


def test_delete_groups_waits_for_a_new_brokers_group_coordinator(second_broker_config):
    """Un broker recién formateado no tiene aún ``__consumer_offsets``: borrar grupos espera, no falla.

    Es el primer paso del cuaderno 02 para quien arranca el curso con un broker nuevo.
    """
    from helpers import kafka_local

    kafka_local.start(second_broker_config)
    assert kafka_lab.delete_groups([PREFIX + "grupo-nuevo"],
                                   bootstrap=second_broker_config.bootstrap) == []
