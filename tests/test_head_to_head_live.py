"""Corrida en vivo y costo del cuaderno 08: hilos reales contra el broker y cuentas del costo."""

from __future__ import annotations

import math
import time

import pandas as pd

from helpers import topics
from helpers.head_to_head import costing, live, make_events
from helpers.head_to_head.events import encode


def test_paced_producer_and_batch_scheduler_on_the_real_broker(bootstrap, topic_name, tmp_path):
    db = tmp_path / "vivo.sqlite"
    live.prepare_db(db)
    topics.create_topic(topic_name, bootstrap=bootstrap)
    events = make_events(60, start_ms=live.now_ms() + 300, rate_per_s=40)  # 1.5 s de facturas
    producer = live.PacedProducer(topic_name, events, bootstrap=bootstrap, db=db)
    cron = live.BatchScheduler(0.5, db)
    watcher = live.ResultWatcher(topic_name, bootstrap=bootstrap)  # aquí lee las facturas mismas
    for thread in (watcher, producer, cron):
        thread.start()
    producer.join(timeout=30)
    time.sleep(1.2)
    for thread in (watcher, cron):
        thread.stop_event.set()
        thread.join(timeout=30)
    assert producer.inserts == 60 and len(producer.sent_ms) == 60
    # Cada factura salió cuando el reloj llegó a su ts (con holgura para una máquina cargada).
    assert all(-50 <= sent - e["ts"] <= 2_000 for sent, e in zip(producer.sent_ms, events))
    assert sorted(i for run in cron.runs for i in run.ids) == list(range(1, 61))
    fresh = live.batch_freshness(events, cron.runs)
    assert len(fresh) == 60 and (fresh["segundos"] >= 0).all()
    assert len(watcher.seen) == 60 and watcher.seen[0][1] == events[0]
    assert encode(watcher.seen[0][1]) == encode(events[0])
    topics.delete_topic(topic_name, bootstrap)


def test_stream_freshness_and_window_latencies():
    events = [{"id": 1, "cliente": "C1", "monto": 5, "ts": 1_000},
              {"id": 2, "cliente": "C1", "monto": 5, "ts": 4_000},
              {"id": 3, "cliente": "", "monto": 5, "ts": 4_500},
              {"id": 4, "cliente": "C2", "monto": 5, "ts": 6_000}]
    results = pd.DataFrame({"cliente": ["C1"], "window_start_ms": [0], "window_end_ms": [5_000],
                            "visible_ms": [6_500]})
    fresh = live.stream_freshness(events, results)
    assert fresh["segundos"].tolist() == [5.5, 2.5]  # la mala y la de la ventana abierta no salen
    assert live.window_latency(results).tolist() == [1.5]
    runs = [live.BatchRun(0, 4_200, [1, 2], 2), live.BatchRun(0, 9_000, [3, 4], 2)]
    assert live.batch_window_latency(events, runs).tolist() == [4.0, 0.0]


def test_costs_per_hour_and_break_even():
    batch = costing.batch_cost_per_hour(60, fixed_cpu_s=1.0, cpu_per_event=1e-5, rate_per_s=100)
    assert math.isclose(batch, 60 + 3.6)
    stream = costing.stream_cost_per_hour(idle_cpu_per_min=1.0, cpu_per_event=1e-4, rate_per_s=100)
    assert math.isclose(stream, 60 + 36)
    every = costing.break_even_interval(fixed_cpu_s=1.0, batch_cpu_per_event=1e-5,
                                        stream_cost_hour=stream, rate_per_s=100)
    assert math.isclose(costing.batch_cost_per_hour(every, fixed_cpu_s=1.0, cpu_per_event=1e-5,
                                                    rate_per_s=100), stream)
    assert costing.break_even_interval(fixed_cpu_s=1.0, batch_cpu_per_event=1.0,
                                       stream_cost_hour=stream, rate_per_s=100) is None
    table = costing.decision_table([1, 3, 5, 10, 3600], fixed_cpu_s=1.0, batch_cpu_per_event=1e-5,
                                   batch_run_s=1.0, stream_cost_hour=stream,
                                   stream_freshness_s=4.0, rate_per_s=100)
    # 3 s: solo los lotes llegan (cron cada 2 s, más caro); 5 s: ambos, streaming cuesta menos.
    assert table["conviene"].tolist() == ["ninguno (más rápido que ambos)", "lotes", "streaming",
                                          "streaming", "lotes"]
    assert table["cron cada (s)"].isna().tolist()[:2] == [True, False]


def test_cold_batch_run_is_measured_by_the_os(tmp_path):
    db = tmp_path / "frio.sqlite"
    live.prepare_db(db)
    cpu, wall, rows = costing.cold_batch_run(db)
    assert rows == 0 and cpu > 0 and wall > 0


def test_a_batch_run_needs_only_sqlite(tmp_path):
    """El cron mínimo: una corrida no importa pandas, kafka-python, numpy ni PyFlink."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from helpers.head_to_head.batch_side import batch_run, create_destination, open_db\n"
            "print(sorted(m for m in ('pandas', 'kafka', 'numpy', 'pyflink') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    # Y la corrida en frío, con ese mismo cron, lee lo que hay en la base.
    db = tmp_path / "llena.sqlite"
    live.prepare_db(db)
    connection = live.open_db(db)
    connection.executemany("INSERT INTO facturas VALUES (?, ?, ?, ?)",
                           [(e["id"], e["cliente"], e["monto"], e["ts"]) for e in make_events(30)])
    connection.commit()
    connection.close()
    assert costing.cold_batch_run(db)[2] == 30


def test_wait_running_waits_for_the_tasks(bootstrap, topic_name):
    """Con la API REST del miniclúster, espera a que cada tarea esté RUNNING (no solo el job)."""
    import json
    import urllib.request

    from helpers.flink import stop_job, table_env
    from helpers.head_to_head.flink_sql import source_ddl

    topics.create_topic(topic_name, bootstrap=bootstrap)
    rest, options = live.rest_options()
    t_env = table_env(extra=options)
    t_env.execute_sql(source_ddl("s", topic_name, bootstrap=bootstrap, bounded=False))
    t_env.execute_sql("CREATE TABLE k (id BIGINT) WITH ('connector' = 'blackhole')")
    job = t_env.execute_sql("INSERT INTO k SELECT id FROM s").get_job_client()
    try:
        assert live.wait_running(job, rest=rest) >= 0
        with urllib.request.urlopen(f"http://{rest}/jobs/{job.get_job_id()}", timeout=5) as answer:
            vertices = json.load(answer)["vertices"]
        assert vertices and all(v["tasks"]["RUNNING"] == v["parallelism"] for v in vertices)
    finally:
        stop_job(job)
        topics.delete_topic(topic_name, bootstrap)
