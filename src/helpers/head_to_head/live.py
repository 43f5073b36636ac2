"""La corrida en vivo del cuaderno 08: eventos a ritmo real, resultados que se vuelven visibles.

Tres hilos alrededor del job de Flink (que el cuaderno lanza a la vista):

- ``PacedProducer``: envía cada factura a Kafka cuando el reloj llega a su ``ts`` (tiempo del
  evento = reloj) y, como la aplicación, la inserta en la base SQLite que leen los lotes.
- ``ResultWatcher``: lee el tópico del reporte de Flink y anota **cuándo** llegó cada fila.
- ``BatchScheduler``: un cron comprimido que corre ``batch_run`` cada ``every_s`` segundos sobre la
  base y anota qué facturas leyó cada corrida y cuándo terminó.

``event_freshness`` y ``window_latency`` convierten esas anotaciones en segundos.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.head_to_head.batch_side import (
    WINDOW_S,
    batch_run,
    create_destination,
    create_source,
    open_db,
)
from helpers.head_to_head.events import encode, reject_reason, window_start
from helpers.head_to_head.flink_sql import report_frame


def now_ms() -> int:
    """El reloj de pared en milisegundos UTC."""
    return round(time.time() * 1000)


class PacedProducer(threading.Thread):
    """Envía cada factura a ``topic`` en su ``ts`` de reloj; un *insert* por evento en ``db``."""

    def __init__(self, topic: str, events: Sequence[Mapping[str, Any]], *, bootstrap: str,
                 db: str | Path) -> None:
        super().__init__(daemon=True, name="productor-a-ritmo")
        self.topic, self.events, self.bootstrap, self.db = topic, list(events), bootstrap, db
        self.sent_ms: list[int] = []
        self.inserts = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks=1, linger_ms=0)
        connection = open_db(self.db)
        try:
            for event in self.events:
                wait_s = (event["ts"] - now_ms()) / 1000
                if wait_s > 0 and self.stop_event.wait(wait_s):
                    break
                producer.send(self.topic, value=encode(event), timestamp_ms=event["ts"])
                connection.execute("INSERT INTO facturas VALUES (?, ?, ?, ?)",
                                   (event["id"], event["cliente"], event["monto"], event["ts"]))
                connection.commit()
                self.inserts += 1
                self.sent_ms.append(now_ms())
            producer.flush()
        finally:
            producer.close()
            connection.close()


class ResultWatcher(threading.Thread):
    """Lee ``topic`` desde el principio y guarda ``(llegada_ms, fila)`` de cada resultado."""

    def __init__(self, topic: str, *, bootstrap: str) -> None:
        super().__init__(daemon=True, name="vigia-de-resultados")
        self.topic, self.bootstrap = topic, bootstrap
        self.seen: list[tuple[int, dict[str, Any]]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        import json

        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        try:
            part = TopicPartition(self.topic, 0)
            consumer.assign([part])
            consumer.seek_to_beginning(part)
            while not self.stop_event.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    arrived = now_ms()
                    self.seen += [(arrived, json.loads(r.value)) for r in records]
        finally:
            consumer.close()

    def frame(self) -> pd.DataFrame:
        """Los resultados vistos hasta ahora: ``REPORT_COLUMNS`` más ``visible_ms``."""
        seen = list(self.seen)
        frame = report_frame([row for _, row in seen])
        frame["visible_ms"] = [arrived for arrived, _ in seen]
        return frame


@dataclass
class BatchRun:
    """Una corrida del cron en vivo: cuándo empezó y terminó, qué ids leyó y cuántos upserts."""

    start_ms: int
    end_ms: int
    ids: list[int]
    upserts: int


class BatchScheduler(threading.Thread):
    """Corre ``batch_run`` sobre ``db`` cada ``every_s`` s (tablas ``reporte_<every_s>s``)."""

    def __init__(self, every_s: float, db: str | Path, *, window_s: int = WINDOW_S) -> None:
        super().__init__(daemon=True, name=f"cron-cada-{every_s:g}s")
        self.every_s, self.db, self.window_s = every_s, db, window_s
        self.runs: list[BatchRun] = []
        self.stop_event = threading.Event()
        self.suffix = f"_{every_s:g}s".replace(".", "_")

    def run(self) -> None:
        connection = open_db(self.db)
        create_destination(connection, self.suffix)
        last_id, next_ms = 0, now_ms() + self.every_s * 1000
        try:
            while not self.stop_event.wait(max(0.0, (next_ms - now_ms()) / 1000)):
                start = now_ms()
                stats = batch_run(connection, last_id, window_s=self.window_s, suffix=self.suffix)
                self.runs.append(BatchRun(start, now_ms(), stats.ids, stats.upserts))
                last_id, next_ms = stats.last_id, next_ms + self.every_s * 1000
        finally:
            connection.close()


def prepare_db(path: str | Path) -> None:
    """Crea (vacía) la base de la corrida en vivo con su tabla de origen ``facturas``."""
    Path(path).unlink(missing_ok=True)
    connection = open_db(path)
    create_source(connection)
    connection.close()


def stream_freshness(events: Sequence[Mapping[str, Any]], results: pd.DataFrame, *,
                     window_s: int = WINDOW_S) -> pd.DataFrame:
    """Frescura de cada factura válida en streaming: llegada de su fila de ventana − ``ts``.

    Columnas ``ts``, ``visible_ms`` y ``segundos``; las facturas cuya ventana aún no cerró no salen.
    """
    visible = {(r.cliente, r.window_start_ms): r.visible_ms for r in results.itertuples()}
    rows = [(e["ts"], visible[key]) for e in events
            if reject_reason(e["cliente"], e["monto"]) is None
            and (key := (e["cliente"], window_start(e["ts"], window_s * 1000))) in visible]
    frame = pd.DataFrame(rows, columns=["ts", "visible_ms"])
    return frame.assign(segundos=(frame["visible_ms"] - frame["ts"]) / 1000)


def batch_freshness(events: Sequence[Mapping[str, Any]], runs: Sequence[BatchRun]) -> pd.DataFrame:
    """Frescura de cada factura en lotes: fin de la corrida que la leyó − ``ts``."""
    ts = {e["id"]: e["ts"] for e in events}
    rows = [(ts[i], run.end_ms) for run in runs for i in run.ids if i in ts]
    frame = pd.DataFrame(rows, columns=["ts", "visible_ms"])
    return frame.assign(segundos=(frame["visible_ms"] - frame["ts"]) / 1000)


def window_latency(results: pd.DataFrame) -> pd.Series:
    """Segundos entre el final de cada ventana y la llegada de su resultado abajo."""
    return (results["visible_ms"] - results["window_end_ms"]) / 1000


def rest_options(host: str = "127.0.0.1") -> tuple[str, dict[str, str]]:
    """Un puerto libre para la API REST del miniclúster local: ``(dirección, opciones de Flink)``.

    En modo local, cada job corre en su propio miniclúster con la API REST en un puerto al azar;
    con estas opciones (``rest.bind-port``) queda en uno conocido y ``wait_running`` puede
    preguntarle por sus tareas.
    """
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    return f"{host}:{port}", {"rest.address": host, "rest.bind-port": str(port)}


def wait_running(client: Any, *, rest: str | None = None, timeout_s: float = 120.0) -> float:
    """Espera a que **las tareas** del job de ``client`` (``JobClient``) estén en ``RUNNING``.

    El job pasa a ``RUNNING`` en cuanto se acepta, antes de desplegar sus tareas: por eso, con
    ``rest`` (``host:puerto`` de ``rest_options``), espera además a que cada vértice de
    ``/jobs/<id>`` tenga todas sus subtareas en ``RUNNING`` (ya leyendo). Sin ``rest`` solo sabe
    el estado del job. Devuelve los segundos que esperó; falla con un mensaje claro si el job
    terminó o falló antes, o si no arrancó a tiempo.
    """
    from helpers.flink_cluster import rest_json

    began = time.monotonic()
    job_id = str(client.get_job_id())
    status = "?"
    while time.monotonic() - began <= timeout_s:
        status = client.get_job_status().result().name
        if status in {"FAILED", "CANCELED", "FINISHED"}:
            raise RuntimeError(f"El job terminó ({status}) antes de empezar a leer: revisa la "
                               "celda que lo lanzó y el log de Flink.")
        if status == "RUNNING":
            if rest is None:
                return time.monotonic() - began
            try:
                vertices = rest_json(f"http://{rest}/jobs/{job_id}", timeout_s=3)["vertices"]
            except (OSError, ValueError, KeyError):
                vertices = []
            if vertices and all(v["tasks"].get("RUNNING", 0) == v["parallelism"] for v in vertices):
                return time.monotonic() - began
            status = "RUNNING, con tareas aún desplegándose"
        time.sleep(0.2)
    raise TimeoutError(f"Las tareas del job no llegaron a RUNNING en {timeout_s:.0f} s "
                       f"(estado: {status}). ¿La máquina está muy cargada? Vuelve a ejecutar la celda.")


def batch_window_latency(events: Sequence[Mapping[str, Any]], runs: Sequence[BatchRun], *,
                         window_s: int = WINDOW_S) -> pd.Series:
    """Segundos entre el final de cada ventana y la corrida que dejó su total **completo**.

    Es la corrida que leyó la última factura de la ventana; si terminó antes del final de la
    ventana, cuenta 0 (el total ya estaba completo, aunque el cron no podía saberlo). Las ventanas
    que ninguna corrida completó no salen. Compara con ``window_latency`` (streaming).
    """
    window_ms = window_s * 1000
    last_id: dict[int, int] = {}
    for e in events:
        start = window_start(e["ts"], window_ms)
        last_id[start] = max(last_id.get(start, 0), e["id"])
    done_at = {i: run.end_ms for run in runs for i in run.ids}
    values = [max(0, done_at[i] - (start + window_ms)) / 1000
              for start, i in sorted(last_id.items()) if i in done_at]
    return pd.Series(values, dtype=float)
