"""Carga rápida con librdkafka y con kafka-python contra el broker real: nada se pierde."""

from __future__ import annotations

import json

import pytest

from helpers import fast_load, topics

BASE_MS = 1_767_603_600_000  # 2026-01-05 09:00:00 UTC


def _values(count: int) -> tuple[list[bytes], list[int]]:
    stamps = [BASE_MS + i * 10 for i in range(count)]
    values = [json.dumps({"n": i, "cliente": f"C{i % 7}", "ts": ts}).encode() for i, ts in
              enumerate(stamps)]
    return values, stamps


@pytest.mark.parametrize("produce", [fast_load.produce_bytes,
                                     fast_load.produce_bytes_kafka_python])
def test_every_record_arrives_with_its_event_time(bootstrap, topic_name, produce):
    topics.create_topic(topic_name, 2, bootstrap=bootstrap)
    values, stamps = _values(3_000)
    stats = produce(topic_name, values, timestamps=stamps, partition=1, bootstrap=bootstrap)
    assert stats.count == 3_000
    assert stats.bytes == sum(map(len, values))
    assert stats.seconds > 0 and stats.rate == pytest.approx(3_000 / stats.seconds)
    assert topics.end_offsets(topic_name, bootstrap) == {0: 0, 1: 3_000}
    back = topics.read_topic(topic_name, bootstrap)
    assert [v["n"] for v in back["value"]] == list(range(3_000))  # orden de envío conservado
    assert (back["timestamp"].astype("int64") // 1_000_000).tolist() == stamps


def test_without_timestamps_kafka_puts_the_send_time(bootstrap, topic_name):
    topics.create_topic(topic_name, 1, bootstrap=bootstrap)
    stats = fast_load.produce_bytes(topic_name, [b"a", b"bb"], bootstrap=bootstrap)
    assert (stats.count, stats.bytes) == (2, 3)
    back = topics.read_topic(topic_name, bootstrap)
    assert back["value"].tolist() == ["a", "bb"]
    assert (back["timestamp"] > "2026-01-06").all()  # hora de envío, no un tiempo del evento


def test_timestamps_must_match_values(bootstrap, topic_name):
    topics.create_topic(topic_name, 1, bootstrap=bootstrap)
    with pytest.raises(ValueError):
        fast_load.produce_bytes(topic_name, [b"a", b"b"], timestamps=[BASE_MS],
                                bootstrap=bootstrap)


def test_undelivered_records_raise_a_spanish_error(bootstrap):
    # El broker del curso no crea tópicos solos: nada puede entregarse y nada se pierde en silencio.
    with pytest.raises(fast_load.LoadError, match="fallaron"):
        fast_load.produce_bytes("no-existe-este-topico", [b"x"] * 5, bootstrap=bootstrap,
                                timeout_s=3)
