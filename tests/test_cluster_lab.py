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


def _copy_job(parallelism: int, checkpoints: str, bootstrap: str, restore: str | None = None):
    extra = {"execution.checkpointing.interval": "1s", "execution.checkpointing.dir": checkpoints}
    if restore:
        extra["execution.state-recovery.path"] = restore
    t_env = flink.table_env(parallelism=parallelism, extra=extra)
    t_env.execute_sql(f"""CREATE TABLE ids (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{SOURCE}', 'properties.bootstrap.servers' = '{bootstrap}',
        'properties.group.id' = 'prueba-reescalar', 'scan.startup.mode' = 'earliest-offset',
        'format' = 'json')""")
    t_env.execute_sql(f"""CREATE TABLE salida (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{SINK}', 'properties.bootstrap.servers' = '{bootstrap}', 'format' = 'json',
        'sink.delivery-guarantee' = 'exactly-once',
        'sink.transactional-id-prefix' = 'prueba-reescalar',
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
    checkpoints = (tmp_path / "checkpoints").as_uri()
    cluster_lab.produce_ids_paced(SOURCE, 1, 2000, per_second=100_000, partitions=4)

    first = _copy_job(2, checkpoints, bootstrap)
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
    second = _copy_job(4, checkpoints, bootstrap, restore=savepoint)
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
