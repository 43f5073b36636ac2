"""El clúster por dentro (cuaderno 09), contra un clúster y un broker reales.

- Reescalar: un *job* *exactly-once* se detiene con *savepoint* a paralelismo 2 y se reanuda a
  paralelismo 4 desde él; la salida no pierde ni duplica nada y las 4 subtareas leen.
- ``subtasks`` lee de la API REST cuánto leyó cada subtarea y en qué TaskManager.
- ``replace_lost_taskmanagers`` devuelve la ranuras de un TaskManager matado sin tocar el resto.
- ``sizing_problems`` (sin clúster): cada regla del ejercicio de dimensionamiento.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from helpers import cluster_lab, flink, flink_cluster, recovery, topics

from conftest import free_port  # noqa: E402

SOURCE, SINK = "prueba-reescalar-ids", "prueba-reescalar-salida"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[flink_cluster.ClusterConfig]:
    """Un clúster propio con 2 TaskManagers de 2 ranuras (4 ranuras: cabe paralelismo 4)."""
    config = flink_cluster.ClusterConfig(
        rest_port=free_port(), rpc_port=free_port(), taskmanagers=2, slots=2,
        base_dir=tmp_path_factory.mktemp("flink") / "cluster", python=sys.executable,
    )
    flink_cluster.start(config)
    yield config
    flink_cluster.stop(config)


def _copy_job(parallelism: int, bootstrap: str, extra: dict[str, str], *, source: str = SOURCE,
              sink: str = SINK, name: str = "prueba-reescalar"):
    """Job sin fin ``source`` → ``sink`` exactly-once; ``name``: grupo y prefijo transaccional."""
    t_env = flink.table_env(parallelism=parallelism, extra=extra)
    t_env.execute_sql(f"""CREATE TABLE ids (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{source}', 'properties.bootstrap.servers' = '{bootstrap}',
        'properties.group.id' = '{name}', 'scan.startup.mode' = 'earliest-offset',
        'format' = 'json')""")
    t_env.execute_sql(f"""CREATE TABLE salida (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{sink}', 'properties.bootstrap.servers' = '{bootstrap}', 'format' = 'json',
        'sink.delivery-guarantee' = 'exactly-once',
        'sink.transactional-id-prefix' = '{name}',
        'properties.transaction.timeout.ms' = '600000')""")
    return t_env.execute_sql("INSERT INTO salida SELECT id FROM ids")


def _wait_committed(count: int) -> None:
    cluster_lab.wait_for_committed_ids(SINK, count, timeout_s=120)


def test_rescale_from_savepoint_2_to_4_loses_and_duplicates_nothing(
        cluster, bootstrap, monkeypatch, tmp_path):
    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{cluster.rest_port}")
    topics.create_topic(SOURCE, partitions=4)
    topics.create_topic(SINK)
    checkpointing = {"execution.checkpointing.interval": "1s",
                     "execution.checkpointing.dir": (tmp_path / "checkpoints").as_uri()}
    cluster_lab.produce_ids_paced(SOURCE, 1, 2000, per_second=100_000, partitions=4)

    first = _copy_job(2, bootstrap, checkpointing)
    first_id = str(first.get_job_client().get_job_id())
    try:
        _wait_committed(2000)
        before = cluster_lab.subtasks(cluster, first_id)
        assert len(before[before["vertice"] == 0]) == 2
        savepoint = recovery.stop_with_savepoint(first.get_job_client(), tmp_path / "savepoints")
        cluster_lab.wait_for_state(cluster, first_id, {"FINISHED"})
    except BaseException:
        flink_cluster.rest(cluster, f"/jobs/{first_id}?mode=cancel", method="PATCH")
        raise

    cluster_lab.produce_ids_paced(SOURCE, 2001, 4000, per_second=100_000, partitions=4)
    second = _copy_job(4, bootstrap, {**checkpointing, "execution.state-recovery.path": savepoint})
    second_id = str(second.get_job_client().get_job_id())
    try:
        _wait_committed(4000)
        time.sleep(2)  # por si llegara algo de más
        counts = recovery.delivery_counts(recovery.read_ids(SINK), 4000)
        assert counts == {"producidos": 4000, "leídos": 4000, "perdidos": 0, "duplicados": 0}
        # Las métricas de un job que corre se refrescan cada 10 s; al cancelarlo quedan las finales.
        flink_cluster.rest(cluster, f"/jobs/{second_id}?mode=cancel", method="PATCH")
        cluster_lab.wait_for_state(cluster, second_id, {"CANCELED"})
        source = cluster_lab.subtasks(cluster, second_id).query("vertice == 0")
        assert len(source) == 4
        assert source["leidos"].sum() == 2000, "el job reanudado volvió a leer desde el principio"
        assert (source["leidos"] > 0).all(), "alguna de las 4 subtareas no recibió partición"
        assert source["taskmanager"].nunique() == 2
        assert cluster_lab.job_times(cluster, second_id)["RUNNING"] > 0
    finally:
        if flink_cluster.rest(cluster, f"/jobs/{second_id}")["state"] == "RUNNING":
            flink_cluster.rest(cluster, f"/jobs/{second_id}?mode=cancel", method="PATCH")


def test_replace_lost_taskmanagers_brings_the_slots_back(cluster):
    victim = flink_cluster.kill_taskmanager(cluster)
    assert victim not in flink_cluster.processes(cluster)["TaskManager"]
    survivor = flink_cluster.processes(cluster)["TaskManager"]
    deadline = time.monotonic() + 60  # esperar a que el JobManager lo dé por perdido
    while flink_cluster.rest(cluster, "/overview")["taskmanagers"] > 1:
        assert time.monotonic() < deadline, "el JobManager no notó la caída en 60 s"
        time.sleep(0.5)
    assert flink_cluster.replace_lost_taskmanagers(cluster) == 1
    alive = flink_cluster.processes(cluster)["TaskManager"]
    assert len(alive) == 2 and set(survivor) <= set(alive)
    assert flink_cluster.rest(cluster, "/overview")["slots-total"] == 4
    assert set(cluster_lab.stack_rss_mb(cluster, notebook_pid=__import__("os").getpid())) == {
        "broker de Kafka", "JobManager", "TaskManagers", "cuaderno"}


def test_sizing_problems_explains_each_rule():
    def problems(parts: int, par: int, tms: int) -> list[str]:
        return cluster_lab.sizing_problems(
            {"particiones": parts, "paralelismo": par, "taskmanagers": tms},
            load_per_s=45_000, per_subtask_per_s=10_000, headroom=0.30, slots_per_tm=4)

    assert problems(12, 6, 3) == []
    assert problems(6, 6, 3) == []
    (short,) = problems(12, 4, 3)
    assert "no cubren" in short and "58 500" in short
    (idle,) = problems(4, 6, 3)
    assert "2 subtareas" in idle and "ociosas" in idle
    (uneven,) = problems(8, 6, 3)
    assert "parejo" in uneven
    (fragile,) = problems(12, 6, 2)
    assert "si muere uno quedan 4 ranuras" in fragile


def test_produce_ids_paced_keeps_the_pace_with_one_producer():
    topic = f"prueba-ritmo-{time.time_ns()}"
    topics.create_topic(topic, partitions=4)
    began = time.monotonic()
    assert cluster_lab.produce_ids_paced(topic, 1, 400, per_second=800, partitions=4) == 400
    assert time.monotonic() - began >= 0.45  # 400 ids a 800/s no pueden salir antes de 0.5 s
    assert topics.end_offsets(topic) == {0: 100, 1: 100, 2: 100, 3: 100}


def test_kill_with_open_transactions_restarts_only_its_region(cluster, bootstrap, monkeypatch,
                                                              tmp_path):
    """SIGKILL con ≥ 200 ids sin confirmar por subtarea: read_uncommitted ve lo abortado,
    read_committed ni pierde ni duplica, y solo reinicia la región de la subtarea 0."""
    import threading

    source, sink = f"prueba-abiertas-{time.time_ns()}", f"prueba-abiertas-salida-{time.time_ns()}"
    topics.create_topic(source, partitions=4)
    topics.create_topic(sink)
    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{cluster.rest_port}")
    job = _copy_job(2, bootstrap, {
        "execution.checkpointing.interval": "3s",
        "execution.checkpointing.dir": (tmp_path / "checkpoints").as_uri(),
        "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "3",
        "restart-strategy.fixed-delay.delay": "1s"}, source=source, sink=sink, name=sink)
    job_id = str(job.get_job_client().get_job_id())
    produced = 8000
    try:
        cluster_lab.wait_for_tasks_running(cluster, job_id)
        producer = threading.Thread(target=cluster_lab.produce_ids_paced,
                                    args=(source, 1, produced, 800, 4))
        producer.start()
        before = cluster_lab.subtasks(cluster, job_id)
        assert before["taskmanager"].nunique() == 2, "SLOTS debía repartir las 2 subtareas"
        victim = before.query("subtarea == 0")["taskmanager"].iloc[0]
        assert cluster_lab.wait_for_checkpoints(cluster, job_id, completed=1) >= 1
        pending = cluster_lab.wait_for_not_yet_committed(sink, at_least=100, partitions=4)
        assert min(pending.values()) >= 100
        flink_cluster.kill_taskmanager(cluster, victim)
        producer.join()
        cluster_lab.wait_for_committed_ids(sink, produced, timeout_s=120)
        time.sleep(1)
        assert recovery.delivery_counts(recovery.read_ids(sink), produced) == {
            "producidos": produced, "leídos": produced, "perdidos": 0, "duplicados": 0}
        raw = recovery.delivery_counts(recovery.read_ids(sink, "read_uncommitted"), produced)
        assert raw["perdidos"] == 0 and raw["duplicados"] > 0, raw
        after = cluster_lab.subtasks(cluster, job_id)
        assert (after.query("subtarea == 0")["intento"] > 0).all()
        assert (after.query("subtarea == 1")["intento"] == 0).all(), "reinició más que la región"
        counts, table = cluster_lab.checkpoints(cluster, job_id)
        assert counts["completados"] >= 2 and counts["restaurados"] >= 1, counts
        assert list(table.columns) == ["id", "estado", "inicio", "duracion_s"] and len(table)
    finally:
        flink_cluster.rest(cluster, f"/jobs/{job_id}?mode=cancel", method="PATCH")
        flink_cluster.replace_lost_taskmanagers(cluster)
