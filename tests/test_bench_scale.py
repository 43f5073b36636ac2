"""make bench a escala, en pequeño y contra el broker real: cada medición en su propio proceso."""

from __future__ import annotations

import pytest

from helpers import bench_scale, fast_load, topics
from helpers.head_to_head import encode, make_events

BASE_MS = 1_767_603_600_000


def test_output_window_uses_the_record_timestamps(bootstrap, topic_name):
    names = [f"{topic_name}-a", f"{topic_name}-b"]
    for name, stamps in zip(names, ([BASE_MS + 500, BASE_MS + 900], [BASE_MS + 2_750]),
                            strict=True):
        topics.create_topic(name, 1, bootstrap=bootstrap)
        fast_load.produce_bytes(name, [b"x"] * len(stamps), timestamps=stamps, bootstrap=bootstrap)
    assert bench_scale.output_window(names, bootstrap) == (2.25, 3, (BASE_MS + 500) / 1000)


def test_batch_pipeline_in_its_own_process(bootstrap):
    result = bench_scale.run_measured("lotes", "-", 5_000)
    assert result["writes"]["inserts_origen"] == 5_000
    assert result["writes"]["inserts_rechazados"] == 100  # 2 % malos, exacto
    assert result["rate"] > 0 and result["cpu_s"] > 0
    assert result["peak_rss_mib"] >= result["rss_before_mib"] > 0


def test_flink_sql_pipeline_in_its_own_process(bootstrap, topic_name):
    events = make_events(2_000)
    topics.create_topic(topic_name, 1, bootstrap=bootstrap)
    fast_load.produce_bytes(topic_name, [encode(e) for e in events],
                            timestamps=[e["ts"] for e in events], bootstrap=bootstrap)
    result = bench_scale.run_measured("flink_sql", topic_name, len(events))
    assert result["writes"]["filas_rechazados"] == 40
    assert result["written"] == sum(result["writes"].values())
    # El procesamiento cabe dentro del job completo (que además planifica y despliega).
    assert 0 < result["processing_seconds"] < result["seconds"]
    assert result["rate"] > result["rate_job"]
    assert 0 < result["processing_cpu_s"] < result["cpu_s"]
    assert result["processes"] >= 2  # Python y la JVM de PyFlink, su hija
    assert result["cpu_s"] > 1 and result["peak_rss_mib"] > 200


def test_table_shows_every_pipeline_and_its_ratio():
    run = {"rate": 50_000.0, "ratio_to_limit": 0.125, "seconds": 30.0, "rate_job": 33_333.0,
           "cpu_s": 40.0, "peak_rss_mib": 900.0, "writes": {"filas_reporte": 8000}}
    data = {"events": 1_000_000, "repeats": 3,
            "load": {"librdkafka": {"avg_bytes": 64, "seconds": 5.0, "rate": 200_000.0},
                     "kafka_python": {"count": 100_000, "rate": 20_000.0}},
            "raw": {"java": {"rate": 400_000.0, "mb_per_s": 25.6, "records_per_cpu_s": 500_000.0},
                    "confluent": {"rate": 150_000.0, "mb_per_s": 9.6}},
            "flink_sql": run}
    data["raw"]["limit"] = data["raw"]["java"]
    table = bench_scale.scale_table(data)
    assert "| Flink SQL puro" in table
    assert "| 50 000 | 12.5% | 25 000 (5%) | 30.0 s (33 333 reg/s)" in table
    assert "400 000 reg/s (25.6 MB/s;" in table and "8 000 filas reporte" in table
    data["live"] = {"rate_per_s": 200.0, "seconds": 120.0, "window_s": 5, "watermark_delay_s": 1,
                    "streaming": {"n": 90, "p50": 1.24, "p95": 1.81},
                    "lotes_cada_10s": {"n": 20, "p50": 4.5, "p95": 9.1},
                    "lotes_cada_60s": {"n": 0, "p50": None, "p95": None}}
    row = next(line for line in bench_scale.scale_table(data).splitlines() if "en vivo" in line)
    assert "Flink SQL sin fin: 1.2 / 1.8 s; lotes cada 10s: 4.5 / 9.1 s |" in row
    assert "60s" not in row and "p95 ≤ 2 s" in row
    with pytest.raises(KeyError):
        bench_scale.scale_table({"events": 1})
