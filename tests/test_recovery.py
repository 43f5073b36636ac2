"""Fallas y recuperación (cuaderno 07), contra el broker real y PyFlink real.

- Los ayudantes de ``helpers.recovery``: contar perdidos y duplicados, leer con ``read_committed`` y
  ``read_uncommitted`` (con una transacción abortada de verdad), la bitácora, el ``Recorder``.
- La meta de confiabilidad: un *job* con **5 fallas inyectadas** escribe a la vez con
  ``EXACTLY_ONCE`` (0 perdidos, 0 duplicados con ``read_committed``) y con ``AT_LEAST_ONCE`` con
  ``python.fn-execution.bundle.size=10`` (0 perdidos y duplicados de verdad).
- ``stop_with_savepoint`` (el arreglo del método roto de PyFlink 2.2.1) deja un *savepoint*.
"""

from __future__ import annotations

import json
import time

import matplotlib
import pytest
from kafka import KafkaProducer

from helpers import recovery, topics
from helpers.flink import stream_env
from helpers.plots.recovery import recovery_timeline
from helpers.state_rules import inactivity_closures

matplotlib.use("Agg")

N = 600
POINTS = [100, 200, 300, 400, 500]


# --- Ayudantes sin Flink ------------------------------------------------------


def test_delivery_counts_finds_lost_and_duplicated():
    assert recovery.delivery_counts([1, 2, 2, 4, 4, 4], 5) == {
        "producidos": 5, "leídos": 6, "perdidos": 2, "duplicados": 3}
    assert recovery.delivery_counts(range(1, 4), 3)["perdidos"] == 0


def test_run_dir_lives_in_the_ignored_flink_folder_and_can_start_fresh():
    folder = recovery.run_dir("pruebas", "recovery", fresh=True)
    (folder / "x").write_text("1")
    assert folder.parent.parent.name == ".flink"
    assert not any(recovery.run_dir("pruebas", "recovery", fresh=True).iterdir())


def test_log_roundtrip(tmp_path):
    log = tmp_path / "bitacora.jsonl"
    assert recovery.read_log(log).empty
    recovery.log_event(log, "inicio", intento=0)
    recovery.log_event(log, "falla", id=7)
    frame = recovery.read_log(log)
    assert frame["tipo"].tolist() == ["inicio", "falla"]
    assert frame["id"].dropna().tolist() == [7]


def test_inactivity_closures_follow_flink_timer_rules():
    def factura(cliente, emisor, total, ms):
        return {"rfc_receptor": cliente, "rfc_emisor": emisor, "total": total, "event_time": ms}

    events = [
        factura("A", "X", 10.0, 0), factura("B", "X", 1.0, 1_000), factura("A", "Y", 5.5, 4_000),
        factura("C", "X", 7.0, 4_500),
        # B estaba inactivo desde 1 000 (timer en 6 000), pero esta factura de B se procesa ANTES de
        # su marca de agua (9 000) y mueve el timer a 14 000: B no cierra en 6 000. Luego la marca
        # de agua 9 000 dispara el timer de A.
        factura("B", "Z", 2.0, 9_000),
        factura("A", "X", 4.0, 12_000),  # nueva sesión de A; la marca 12 000 cierra C (9 500)
        factura("C", "X", 1.0, 20_000),  # la marca 20 000 cierra B (14 000) y A (17 000)
    ]
    assert inactivity_closures(events, 5_000) == [
        {"cliente": "A", "cierre_ms": 9_000, "saldo": 15.5, "facturas": 2, "emisores": 2},
        {"cliente": "C", "cierre_ms": 9_500, "saldo": 7.0, "facturas": 1, "emisores": 1},
        {"cliente": "B", "cierre_ms": 14_000, "saldo": 3.0, "facturas": 2, "emisores": 2},
        {"cliente": "A", "cierre_ms": 17_000, "saldo": 4.0, "facturas": 1, "emisores": 1},
        # la marca de agua final:
        {"cliente": "C", "cierre_ms": 25_000, "saldo": 1.0, "facturas": 1, "emisores": 1},
    ]


# --- Con el broker real ------------------------------------------------------


def test_produce_and_read_ids(bootstrap, topic_name):
    topics.create_topic(topic_name, bootstrap=bootstrap)
    assert recovery.produce_ids(topic_name, 25, bootstrap) == 25
    assert recovery.read_ids(topic_name, "read_committed", bootstrap) == list(range(1, 26))
    assert recovery.end_offset(topic_name, "read_uncommitted", bootstrap) == 25
    with pytest.raises(ValueError, match="isolation"):
        recovery.read_ids(topic_name, "read_dirty", bootstrap)


def test_ids_helpers_refuse_a_topic_with_several_partitions(bootstrap, topic_name):
    topics.create_topic(topic_name, partitions=2, bootstrap=bootstrap)
    with pytest.raises(ValueError, match="2 particiones"):
        recovery.read_ids(topic_name, "read_committed", bootstrap)
    with pytest.raises(ValueError, match="2 particiones"):
        recovery.end_offset(topic_name, "read_uncommitted", bootstrap)


def test_checkpoint_files_latest_keeps_only_the_last_complete_chk(tmp_path):
    job = tmp_path / ("ab" * 16)
    for name, complete in (("chk-2", True), ("chk-3", True), ("chk-4", False)):
        (job / name).mkdir(parents=True)
        (job / name / "estado").write_bytes(b"x" * 3)
        if complete:
            (job / name / "_metadata").write_bytes(b"m")
    (job / "shared").mkdir()
    (job / "shared" / "sst").write_bytes(b"s" * 5)
    todos = recovery.checkpoint_files(tmp_path)
    ultimo = recovery.checkpoint_files(tmp_path, latest=True)
    assert len(todos) == 6
    assert sorted(ultimo.archivo) == ["<job>/chk-3/_metadata", "<job>/chk-3/estado",
                                      "<job>/shared/sst"]


def test_read_committed_hides_an_aborted_transaction(bootstrap, topic_name):
    topics.create_topic(topic_name, bootstrap=bootstrap)
    producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic_name}-tx",
                             transaction_timeout_ms=60_000)
    try:
        producer.init_transactions()
        for ids, commit in (([1, 2, 3], False), ([1, 2], True)):
            producer.begin_transaction()
            for number in ids:
                producer.send(topic_name, json.dumps({"id": number}).encode(), partition=0)
            producer.flush()  # al log antes de abortar (si no, el cliente ni los envía)
            producer.commit_transaction() if commit else producer.abort_transaction()
    finally:
        producer.close()
    assert recovery.read_ids(topic_name, "read_committed", bootstrap) == [1, 2]
    assert recovery.read_ids(topic_name, "read_uncommitted", bootstrap) == [1, 2, 3, 1, 2]


def test_recorder_samples_offsets_while_running(bootstrap, topic_name, tmp_path):
    topics.create_topic(topic_name, bootstrap=bootstrap)
    (tmp_path / "0123456789abcdef0123456789abcdef" / "chk-3").mkdir(parents=True)
    with recovery.Recorder([(topic_name, "read_committed")], checkpoint_dir=tmp_path,
                           every_s=0.05, bootstrap=bootstrap) as recorder:
        recovery.produce_ids(topic_name, 10, bootstrap)
        (tmp_path / "0123456789abcdef0123456789abcdef" / "chk-3" / "_metadata").write_bytes(b"x")
        time.sleep(0.5)
    samples = recorder.samples
    assert samples["offset"].iloc[0] <= samples["offset"].iloc[-1] == 10
    assert recorder.checkpoints["chk"].tolist() == [3]
    assert recovery.checkpoint_files(tmp_path)["archivo"].tolist() == ["<job>/chk-3/_metadata"]


# --- Con PyFlink real ----------------------------------------------------------


@pytest.fixture
def ids_topic(bootstrap, topic_name):
    source = f"{topic_name}-ids"
    topics.create_topic(source, bootstrap=bootstrap)
    recovery.produce_ids(source, N, bootstrap)
    return source


def _sink(bootstrap, topic, guarantee, prefix=None):
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.kafka import KafkaRecordSerializationSchema, KafkaSink

    record = (KafkaRecordSerializationSchema.builder().set_topic(topic)
              .set_value_serialization_schema(SimpleStringSchema()).build())
    builder = (KafkaSink.builder().set_bootstrap_servers(bootstrap)
               .set_delivery_guarantee(guarantee).set_record_serializer(record))
    if prefix:
        builder = (builder.set_transactional_id_prefix(prefix)
                   .set_property("transaction.timeout.ms", "600000"))
    return builder.build()


def _source(bootstrap, topic, bounded=True):
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer, KafkaSource

    builder = (KafkaSource.builder().set_bootstrap_servers(bootstrap).set_topics(topic)
               .set_group_id(f"{topic}-grupo")
               .set_starting_offsets(KafkaOffsetsInitializer.earliest())
               .set_value_only_deserializer(SimpleStringSchema()))
    return (builder.set_bounded(KafkaOffsetsInitializer.latest()) if bounded else builder).build()


def test_five_failures_exactly_once_loses_and_duplicates_nothing_at_least_once_duplicates(
        bootstrap, topic_name, ids_topic):
    from pyflink.common import Types, WatermarkStrategy
    from pyflink.datastream.connectors.kafka import DeliveryGuarantee
    from pyflink.datastream.functions import MapFunction

    folder = recovery.run_dir("pruebas", "cinco-fallas", fresh=True)
    log = folder / "bitacora.jsonl"
    eo, alo = f"{topic_name}-eo", f"{topic_name}-alo"
    for topic in (eo, alo):
        topics.create_topic(topic, bootstrap=bootstrap)

    class FailAt(MapFunction):
        def __init__(self, points, log):
            self.points, self.log = points, str(log)

        def open(self, ctx):
            self.attempt = ctx.get_attempt_number()

        def map(self, text):
            number = json.loads(text)["id"]
            time.sleep(0.002)
            if self.attempt < len(self.points) and number == self.points[self.attempt]:
                recovery.log_event(self.log, "falla", id=number)
                raise RuntimeError(f"falla inyectada en el id {number}")
            return text

    env = stream_env(extra={
        "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "10",
        "restart-strategy.fixed-delay.delay": "200 ms", "python.fn-execution.bundle.size": "10",
        "execution.checkpointing.dir": (folder / "checkpoints").as_uri()})
    env.enable_checkpointing(500)
    out = (env.from_source(_source(bootstrap, ids_topic), WatermarkStrategy.no_watermarks(), "ids")
           .map(FailAt(POINTS, log), Types.STRING()))
    out.sink_to(_sink(bootstrap, eo, DeliveryGuarantee.EXACTLY_ONCE, prefix=f"{topic_name}-eo"))
    out.sink_to(_sink(bootstrap, alo, DeliveryGuarantee.AT_LEAST_ONCE))
    env.execute("prueba · cinco fallas")

    assert recovery.read_log(log)["id"].tolist() == POINTS  # las 5 fallas ocurrieron
    exactly_once = recovery.delivery_counts(recovery.read_ids(eo, "read_committed", bootstrap), N)
    assert (exactly_once["leídos"], exactly_once["perdidos"],
            exactly_once["duplicados"]) == (N, 0, 0)
    at_least_once = recovery.delivery_counts(recovery.read_ids(alo, "read_committed", bootstrap), N)
    assert at_least_once["perdidos"] == 0
    assert at_least_once["duplicados"] > 0, "con bundle.size=10 at-least-once duplica tras 5 fallas"
    # Lo que las transacciones abortadas escondían: visible sin read_committed.
    uncommitted = recovery.read_ids(eo, "read_uncommitted", bootstrap)
    assert recovery.delivery_counts(uncommitted, N)["duplicados"] > 0


def test_stop_with_savepoint_writes_a_savepoint(bootstrap, topic_name, ids_topic):
    from pyflink.common import WatermarkStrategy
    from pyflink.datastream.connectors.kafka import DeliveryGuarantee

    folder = recovery.run_dir("pruebas", "savepoint", fresh=True)
    copy = f"{topic_name}-copia"
    topics.create_topic(copy, bootstrap=bootstrap)
    env = stream_env()
    source = _source(bootstrap, ids_topic, bounded=False)
    (env.from_source(source, WatermarkStrategy.no_watermarks(), "ids")
     .uid("ids").sink_to(_sink(bootstrap, copy, DeliveryGuarantee.AT_LEAST_ONCE)).uid("copia"))
    client = env.execute_async("prueba · savepoint")
    deadline = time.monotonic() + 120
    while recovery.end_offset(copy, bootstrap=bootstrap) < N:
        assert time.monotonic() < deadline, "el job no copió los ids a tiempo"
        time.sleep(0.3)
    path = recovery.stop_with_savepoint(client, folder)
    assert path.startswith("file:")
    files = recovery.checkpoint_files(folder)["archivo"].tolist()
    assert any(name.endswith("/_metadata") for name in files), files
    # El job terminó: o su estado dice FINISHED, o el miniclúster local (que vive mientras tenga un
    # job) ya se apagó y no puede responder. Cualquier otra respuesta es un fallo.
    try:
        status = str(client.get_job_status().result())
    except Exception as error:  # Py4JJavaError
        assert "MiniCluster is not yet running or has already been shut down" in str(error)
        status = "miniclúster apagado tras terminar el job"
    assert status in {"JobStatus.FINISHED", "miniclúster apagado tras terminar el job"}, status


def test_recovery_timeline_draws_every_series():
    import pandas as pd

    samples = pd.DataFrame({"t": [0, 1, 2, 0, 1, 2], "serie": ["a"] * 3 + ["b"] * 3,
                            "offset": [0, 5, 10, 0, 10, 12]})
    log = pd.DataFrame({"t": [0.5, 1.2], "tipo": ["inicio", "falla"]})
    ax = recovery_timeline(samples, pd.DataFrame({"t": [1.0], "chk": [1]}), log, 0.0,
                           labels={"a": "confirmado"})
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["confirmado", "b"]
    assert {"checkpoint completo", "falla inyectada", "arranque de la función"} <= set(legend)
