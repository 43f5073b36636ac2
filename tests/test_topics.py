"""Tópicos, producción y lectura contra el broker real: claves, particiones y timestamps."""

from __future__ import annotations

import pandas as pd

from helpers import topics

BASE_MS = 1_767_603_600_000  # 2026-01-05 09:00:00 UTC


def test_create_recreate_and_delete(bootstrap, topic_name):
    topics.create_topic(topic_name, 3, bootstrap=bootstrap)
    assert topic_name in topics.list_topics(bootstrap)
    topics.produce_json(topic_name, [{"a": 1}], bootstrap=bootstrap)
    topics.create_topic(topic_name, 2, bootstrap=bootstrap)  # recreate=True: vacío otra vez
    assert sorted(topics.end_offsets(topic_name, bootstrap)) == [0, 1]
    assert sum(topics.end_offsets(topic_name, bootstrap).values()) == 0
    assert topics.delete_topic(topic_name, bootstrap)
    assert topic_name not in topics.list_topics(bootstrap)
    assert not topics.delete_topic(topic_name, bootstrap)


def test_round_trip_keys_partitions_order_and_timestamps(bootstrap, topic_name):
    topics.create_topic(topic_name, 3, bootstrap=bootstrap)
    events = [{"n": i, "cliente": f"c{i % 5}", "ts": BASE_MS + i * 1000} for i in range(40)]
    sent = topics.produce_json(
        topic_name, events, key=lambda e: e["cliente"], timestamp=lambda e: e["ts"],
        bootstrap=bootstrap,
    )
    assert sent == 40
    back = topics.read_topic(topic_name, bootstrap)
    assert len(back) == 40
    assert sorted(v["n"] for v in back["value"]) == list(range(40))
    # Misma clave → misma partición, y dentro de ella el orden de envío se conserva.
    assert (back.groupby("key")["partition"].nunique() == 1).all()
    for _, group in back.groupby("key"):
        numbers = [v["n"] for v in group.sort_values("offset")["value"]]
        assert numbers == sorted(numbers)
    # El timestamp del registro es el tiempo del evento que enviamos.
    expected = pd.to_datetime([v["ts"] for v in back["value"]], unit="ms", utc=True)
    assert (back["timestamp"].to_numpy() == expected.to_numpy()).all()
    assert back["partition"].nunique() > 1, "5 claves en 3 particiones deberían repartirse"


def test_explicit_partition_and_non_json_values(bootstrap, topic_name):
    topics.create_topic(topic_name, 2, bootstrap=bootstrap)
    topics.produce_json(topic_name, [{"x": i} for i in range(6)], partition=lambda e: e["x"] % 2,
                        bootstrap=bootstrap)
    back = topics.read_topic(topic_name, bootstrap)
    assert back.groupby("partition").size().to_dict() == {0: 3, 1: 3}
    assert all(v["x"] % 2 == p for p, v in zip(back["partition"], back["value"]))


def test_old_event_times_are_not_deleted_by_retention(bootstrap, topic_name):
    """El broker no aplica retención por tiempo: eventos de enero de 2026 no se borran."""
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    topics.create_topic(topic_name, 1, bootstrap=bootstrap)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic_name)
        described = admin.describe_configs([resource], config_filter="all")
    finally:
        admin.close()
    assert described["topic"][topic_name]["retention.ms"]["value"] == "-1"


def test_create_topic_with_config_makes_a_compacted_topic(bootstrap, topic_name):
    from kafka.admin import ConfigResource, ConfigResourceType

    def policy() -> str:
        with topics.admin_client(bootstrap) as admin:
            response = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic_name)], config_filter="all")
        return response["topic"][topic_name]["cleanup.policy"]["value"]

    topics.create_topic(topic_name, 1, bootstrap=bootstrap, config={"cleanup.policy": "compact"})
    assert policy() == "compact"
    topics.create_topic(topic_name, 1, bootstrap=bootstrap)  # sin config: el valor por defecto
    assert policy() == "delete"
