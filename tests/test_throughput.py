"""La lectura cruda (el límite físico del lector) con los dos consumidores y el broker real."""

from __future__ import annotations

import pytest

from helpers import fast_load, throughput, topics


@pytest.fixture
def loaded_topic(bootstrap, topic_name) -> tuple[str, int, int]:
    topics.create_topic(topic_name, 2, bootstrap=bootstrap)
    values = [f'{{"n":{i},"cliente":"C{i % 9}"}}'.encode() for i in range(20_000)]
    fast_load.produce_bytes(topic_name, values, bootstrap=bootstrap)
    return topic_name, len(values), sum(map(len, values))


@pytest.mark.parametrize("reader", throughput.READERS)
def test_reads_the_whole_topic(bootstrap, loaded_topic, reader):
    topic, count, size = loaded_topic
    stats = throughput.raw_read_rate(topic, reader=reader, bootstrap=bootstrap)
    assert (stats.records, stats.bytes) == (count, size)
    assert stats.seconds > 0
    assert stats.rate == pytest.approx(count / stats.seconds)
    assert stats.mb_per_s == pytest.approx(size / 1e6 / stats.seconds)
    assert 0 < stats.cpu_s < 10 * stats.seconds  # 2 núcleos, pero pocos hilos ocupados
    assert stats.records_per_cpu_s == pytest.approx(count / stats.cpu_s)


def test_limit_is_the_fastest_reader(bootstrap, loaded_topic):
    topic, count, _ = loaded_topic
    found = throughput.raw_limit(topic, bootstrap=bootstrap)
    assert set(found) == {"java", "confluent", "limit"}
    assert found["limit"].rate == max(found["java"].rate, found["confluent"].rate)
    assert found["limit"].records == count


def test_unknown_reader_is_rejected(bootstrap):
    with pytest.raises(ValueError, match="reader"):
        throughput.raw_read_rate("x", reader="pandas", bootstrap=bootstrap)
