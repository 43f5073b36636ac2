"""El clúster local de Flink (JobManager + TaskManagers) y el modo remoto, contra procesos reales."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import flink, flink_cluster
from helpers.errors import ClusterUnavailableError, PortBusyError

from conftest import free_port  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[flink_cluster.ClusterConfig]:
    """Un clúster propio (puertos libres, carpeta temporal) con 2 TaskManagers de 1 ranura."""
    config = flink_cluster.ClusterConfig(
        rest_port=free_port(), rpc_port=free_port(), taskmanagers=2, slots=1,
        base_dir=tmp_path_factory.mktemp("flink") / "cluster", python=sys.executable,
    )
    assert flink_cluster.start(config) is True
    yield config
    flink_cluster.stop(config)


def test_start_is_idempotent_and_status_tells_the_truth(cluster):
    assert flink_cluster.start(cluster) is False  # ya corría: lo reutiliza
    running, text = flink_cluster.status_text(cluster)
    assert running and "2 TaskManagers registrados" in text and "2 de 2 ranuras libres" in text
    assert len(flink_cluster.processes(cluster)["TaskManager"]) == 2
    info = flink_cluster.rest(cluster, "/taskmanagers")
    assert len(info["taskmanagers"]) == 2


def lineage_function():
    """Una función que devuelve el PID de quien la ejecuta y los de sus antepasados («pid,padre,...»).

    Se define anidada para que cloudpickle la copie por valor al trabajador de Python (una función
    de este módulo viajaría por referencia, y el trabajador no puede importar las pruebas).
    """

    def lineage(_value) -> str:
        import os
        from pathlib import Path

        pid, chain = os.getpid(), []
        while pid > 1:
            chain.append(str(pid))
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return ",".join(chain)

    return lineage


def _assert_ran_on_taskmanagers(cluster, lineages: set[str], job_name: str) -> None:
    """El job está en el clúster y su código de Python corrió en procesos hijos de TaskManagers."""
    jobs = flink_cluster.rest(cluster, "/jobs/overview")["jobs"]
    assert (job_name, "FINISHED") in [(j["name"], j["state"]) for j in jobs]
    taskmanagers = set(flink_cluster.processes(cluster)["TaskManager"])
    for lineage in lineages:
        pids = [int(p) for p in lineage.split(",")]
        assert pids[0] != os.getpid(), "la función de Python corrió en este proceso (loopback)"
        assert set(pids[1:]) & taskmanagers, f"el trabajador {pids[0]} no es hijo de un TaskManager"


def test_datastream_job_with_python_really_runs_on_the_cluster(cluster, bootstrap, monkeypatch):
    from pyflink.common import Types

    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{cluster.rest_port}")
    lineage = lineage_function()
    env = flink.stream_env(parallelism=2)
    numbers = env.from_collection(list(range(50)), type_info=Types.INT())
    tagged = numbers.map(lambda x: (x * 2, lineage(x)),  # función de Python
                         output_type=Types.TUPLE([Types.INT(), Types.STRING()]))
    with tagged.execute_and_collect("datastream-en-el-cluster") as rows:
        rows = list(rows)
    assert sorted(r[0] for r in rows) == [x * 2 for x in range(50)]
    _assert_ran_on_taskmanagers(cluster, {r[1] for r in rows}, "datastream-en-el-cluster")


def test_sql_udf_really_runs_on_the_cluster(cluster, bootstrap, monkeypatch):
    from pyflink.table import DataTypes
    from pyflink.table.udf import udf

    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{cluster.rest_port}")
    lineage = lineage_function()
    t_env = flink.table_env()
    t_env.create_temporary_function(
        "worker_lineage", udf(lambda x: lineage(x), result_type=DataTypes.STRING()))
    t_env.get_config().set("pipeline.name", "sql-en-el-cluster")
    with t_env.execute_sql(
        "SELECT v, worker_lineage(v) FROM (VALUES (1), (2), (3)) AS t(v)"
    ).collect() as rows:
        rows = [tuple(r) for r in rows]
    assert sorted(r[0] for r in rows) == [1, 2, 3]
    _assert_ran_on_taskmanagers(cluster, {r[1] for r in rows}, "sql-en-el-cluster")


def test_remote_mode_without_cluster_fails_clearly(bootstrap, monkeypatch):
    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{free_port()}")
    for make_env in (flink.stream_env, flink.table_env):
        with pytest.raises(ClusterUnavailableError, match="make cluster"):
            make_env()


def test_busy_rest_port_names_port_and_variable(tmp_path):
    config = flink_cluster.ClusterConfig(
        rest_port=free_port(), rpc_port=free_port(), taskmanagers=1, slots=1,
        base_dir=tmp_path / "cluster", python=sys.executable,
    )
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config.rest_port))
        squatter.listen()
        with pytest.raises(PortBusyError) as info:
            flink_cluster.start(config)
    message = str(info.value)
    assert str(config.rest_port) in message and "CURSO_FLINK_REST" in message
    assert flink_cluster.processes(config) == {"JobManager": [], "TaskManager": []}


def test_stop_only_touches_our_processes(tmp_path):
    """Un PID ajeno escrito en el archivo de PIDs no se mata."""
    config = flink_cluster.ClusterConfig(
        rest_port=free_port(), rpc_port=free_port(), taskmanagers=1, slots=1,
        base_dir=tmp_path / "cluster", python=sys.executable,
    )
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        config.pid_dir.mkdir(parents=True)
        (config.pid_dir / "flink-x-taskexecutor.pid").write_text(f"{sleeper.pid}\n")
        assert flink_cluster.processes(config)["TaskManager"] == []
        assert flink_cluster.stop(config) is False
        assert sleeper.poll() is None
    finally:
        sleeper.kill()


def test_cli_status_exit_codes(cluster):
    env = dict(os.environ, CURSO_FLINK_DIR=str(cluster.base_dir),
               CURSO_FLINK_REST=f"127.0.0.1:{cluster.rest_port}")
    result = subprocess.run([sys.executable, "-m", "helpers.flink_cluster", "status"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "Consola web" in result.stdout
    env["CURSO_FLINK_DIR"] = str(Path(cluster.base_dir).parent / "otro")
    result = subprocess.run([sys.executable, "-m", "helpers.flink_cluster", "status"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 3 and "NO está corriendo" in result.stdout


def test_killed_taskmanager_recovers_exactly_once(cluster, bootstrap, monkeypatch, tmp_path):
    """Un TaskManager muere (SIGKILL) a mitad de un job exactly-once: 0 perdidos, 0 duplicados."""
    import time

    from pyflink.table import DataTypes
    from pyflink.table.udf import udf

    from helpers import cluster_lab, recovery, topics

    source, sink, produced = "prueba-cluster-ids", "prueba-cluster-salida", 3000
    topics.create_topic(source)
    topics.create_topic(sink)
    recovery.produce_ids(source, produced)
    monkeypatch.setenv("CURSO_FLINK_MODE", "remote")
    monkeypatch.setenv("CURSO_FLINK_REST", f"127.0.0.1:{cluster.rest_port}")
    t_env = flink.table_env(extra={
        "execution.checkpointing.interval": "1s",
        "execution.checkpointing.dir": (tmp_path / "checkpoints").as_uri(),
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": "3",
        "restart-strategy.fixed-delay.delay": "1s",
    })
    t_env.create_temporary_function("lento", udf(
        lambda x: (__import__("time").sleep(0.003), x)[1], result_type=DataTypes.BIGINT()))
    t_env.execute_sql(f"""CREATE TABLE ids (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{source}', 'properties.bootstrap.servers' = '{bootstrap}',
        'scan.startup.mode' = 'earliest-offset', 'format' = 'json')""")
    t_env.execute_sql(f"""CREATE TABLE salida (id BIGINT) WITH ('connector' = 'kafka',
        'topic' = '{sink}', 'properties.bootstrap.servers' = '{bootstrap}', 'format' = 'json',
        'sink.delivery-guarantee' = 'exactly-once',
        'sink.transactional-id-prefix' = 'prueba-cluster-{time.time_ns()}',
        'properties.transaction.timeout.ms' = '600000')""")
    job_id = str(t_env.execute_sql("INSERT INTO salida SELECT lento(id) FROM ids")
                 .get_job_client().get_job_id())

    def wait_committed(at_least: int, limit_s: float = 180.0) -> None:
        deadline = time.monotonic() + limit_s
        while recovery.end_offset(sink) < at_least:
            assert time.monotonic() < deadline, f"la salida confirmada no llegó a {at_least}"
            time.sleep(0.5)

    def running_on() -> str:
        vertex = flink_cluster.rest(cluster, f"/jobs/{job_id}")["vertices"][0]["id"]
        return flink_cluster.rest(cluster, f"/jobs/{job_id}/vertices/{vertex}")[
            "subtasks"][0]["taskmanager-id"]

    try:
        wait_committed(300)
        victim = running_on()
        flink_cluster.kill_taskmanager(cluster, victim)
        # El offset final cuenta también los marcadores de las transacciones: se esperan los ids.
        cluster_lab.wait_for_committed_ids(sink, produced)
        time.sleep(3)  # por si llegara algo de más después del último id
        counts = recovery.delivery_counts(recovery.read_ids(sink), produced)
        assert counts == {"producidos": produced, "leídos": produced, "perdidos": 0,
                          "duplicados": 0}, counts
        assert running_on() != victim  # siguió en el otro TaskManager
        history = flink_cluster.rest(cluster, f"/jobs/{job_id}/exceptions")["exceptionHistory"]
        assert history["entries"], "el clúster no registró la caída del TaskManager"
    finally:
        flink_cluster.rest(cluster, f"/jobs/{job_id}?mode=cancel", method="PATCH")
