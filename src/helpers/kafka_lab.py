"""Laboratorio de Kafka (cuaderno 02): medir al productor, repartir un grupo y mirar offsets.

Lo que se aprende (``KafkaProducer``, ``KafkaConsumer``, ``send``, ``poll``, ``commit``) queda a
la vista en el cuaderno; aquí está la maquinaria alrededor:

- ``encode_messages`` y ``run_producer``: N mensajes en bytes y cuántos por segundo los envía un
  productor ya configurado (con barra de progreso), cuántos llegaron y cuánto ocupan en disco.
- ``group_split``: consumidores de un grupo, cada uno en su hilo, y qué particiones le tocaron a
  cada uno; ``read_to_end``: leer con un consumidor hasta el final de lo que tiene.
- ``committed_offsets``, ``earliest_offsets``, ``topic_size_bytes``, ``delete_groups``: preguntas
  al broker (con ``admin_client`` de ``helpers.topics``). ``backup_messages``: los respaldos CSV como mensajes de Kafka.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import CoordinatorLoadInProgressError, CoordinatorNotAvailableError
from tqdm import tqdm

from helpers import topics
from helpers.errors import CourseError
from helpers.sources.respaldos import Dump, dump_csv, dump_filename
from helpers.sources.timing import arrival_order
from helpers.topics import admin_client  # también para el cuaderno: kafka_lab.admin_client()

COORDINATOR_WAIT_S = 30.0
"""Cuánto esperar a que un broker recién creado tenga coordinador de grupos."""

Message = tuple[bytes | None, bytes, int]
"""Un mensaje listo para enviar: (clave, valor, *timestamp* en ms)."""


# --- Mensajes -------------------------------------------------------------------


def backup_messages(dumps: Iterable[Dump]) -> list[dict[str, Any]]:
    """Un mensaje por tabla de cada respaldo: el archivo CSV completo viaja en ``csv``.

    Campos: ``archivo``, ``tabla`` (la clave natural: todos los respaldos de una tabla van a la
    misma partición, en orden), ``respaldo``, ``filas``, ``csv``, ``event_time`` (la hora del
    respaldo) y ``arrival_time`` (cuándo llegó el archivo).
    """
    return [
        {"archivo": dump_filename(dump, table), "tabla": table, "respaldo": dump.number,
         "filas": len(dump.tables[table]), "csv": dump_csv(dump, table),
         "event_time": dump.event_time, "arrival_time": dump.arrival_time}
        for dump in dumps for table in dump.tables
    ]


def encode_messages(events: Iterable[Mapping[str, Any]],
                    key: Callable[[Mapping[str, Any]], str]) -> list[Message]:
    """Los eventos en orden de llegada, ya convertidos a bytes (clave UTF-8 y valor JSON).

    Así, al medir al productor, no medimos cuánto tarda ``json.dumps``.
    """
    return [(key(e).encode("utf-8"), json.dumps(e, ensure_ascii=False).encode("utf-8"),
             int(e["event_time"])) for e in arrival_order(events)]


# --- Medir al productor ---------------------------------------------------------


@dataclass(frozen=True)
class ProducerRun:
    """El resultado de enviar N mensajes con una configuración del productor."""

    label: str
    messages: int
    seconds: float
    delivered: int
    bytes_on_disk: int
    records_per_request: float
    compression_rate: float

    @property
    def rate(self) -> float:
        """Mensajes por segundo (de ``send`` al último ``flush``)."""
        return self.messages / self.seconds


def run_producer(producer: KafkaProducer, topic: str, messages: Sequence[Message], *,
                 label: str, progress: bool = True, chunk: int = 2_000) -> ProducerRun:
    """Envía ``messages`` a ``topic`` con ``producer``, espera a que lleguen y lo cierra.

    Mide el tiempo desde el primer ``send`` hasta que ``flush`` confirma el último mensaje.
    Después cuenta lo que guardó el broker (``delivered``, por los offsets finales) y cuánto
    ocupa el tópico en disco. ``records_per_request`` y ``compression_rate`` salen de las
    métricas del productor (``compression_rate`` = bytes comprimidos / bytes originales).
    Conviene que ``topic`` esté recién creado: si ya tenía datos, también se cuentan.
    """
    bar = tqdm(total=len(messages), desc=label, unit=" msj", disable=not progress,
               mininterval=1.0, unit_scale=True)
    start = time.perf_counter()
    try:
        for i, (key, value, timestamp_ms) in enumerate(messages, 1):
            producer.send(topic, key=key, value=value, timestamp_ms=timestamp_ms)
            if i % chunk == 0:
                bar.update(chunk)
        producer.flush()
        seconds = time.perf_counter() - start
        bar.update(len(messages) - bar.n)
        metrics = producer.metrics().get("producer-metrics", {})
    finally:
        bar.close()
        producer.close()
    return ProducerRun(
        label=label, messages=len(messages), seconds=seconds,
        delivered=sum(topics.end_offsets(topic).values()),
        bytes_on_disk=topic_size_bytes(topic),
        records_per_request=float(metrics.get("records-per-request-avg", float("nan"))),
        compression_rate=float(metrics.get("compression-rate-avg", float("nan"))),
    )


def runs_frame(runs: Iterable[ProducerRun]) -> pd.DataFrame:
    """Las mediciones como tabla: una fila por configuración, con mensajes/s y MB en disco."""
    return pd.DataFrame([
        {"configuracion": r.label, "mensajes": r.messages, "entregados": r.delivered,
         "segundos": round(r.seconds, 2), "mensajes_por_s": round(r.rate),
         "mb_en_disco": round(r.bytes_on_disk / 1e6, 2),
         "registros_por_peticion": round(r.records_per_request, 1),
         "tasa_de_compresion": round(r.compression_rate, 3)}
        for r in runs
    ])


# --- Administración -------------------------------------------------------------


def topic_size_bytes(topic: str, bootstrap: str | None = None) -> int:
    """Cuántos bytes ocupa ``topic`` en los discos del broker (todas sus particiones)."""
    with admin_client(bootstrap) as admin:
        answer = admin.describe_log_dirs([topic])
    return sum(part["partition_size"]
               for broker in answer for log_dir in broker["log_dirs"]
               for found in log_dir["topics"] if found["name"] == topic
               for part in found["partitions"])


def earliest_offsets(topic: str, bootstrap: str | None = None) -> dict[int, int]:
    """El primer offset que todavía existe en cada partición (sube al borrar o por retención)."""
    ends = topics.end_offsets(topic, bootstrap)
    with admin_client(bootstrap) as admin:
        found = admin.list_partition_offsets(
            {TopicPartition(topic, p): OffsetSpec.EARLIEST for p in ends})
    return {tp.partition: found[tp].offset for tp in sorted(found)}


def committed_offsets(group: str, topic: str, bootstrap: str | None = None) -> dict[int, int]:
    """Los offsets confirmados (*committed*) de ``group`` en ``topic``, por partición.

    Una partición sin offset confirmado no aparece.
    """
    with admin_client(bootstrap) as admin:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    return {tp.partition: meta.offset for tp, meta in sorted(offsets.items())
            if tp.topic == topic and meta.offset >= 0}


def delete_groups(groups: Iterable[str], bootstrap: str | None = None) -> list[str]:
    """Borra los grupos de consumidores (y sus offsets) que existan; devuelve cuáles borró.

    Sirve para que un cuaderno empiece siempre sin offsets de una ejecución anterior.
    """
    wanted = list(groups)
    deadline = time.monotonic() + COORDINATOR_WAIT_S
    while True:
        try:
            with admin_client(bootstrap) as admin:
                results = admin.delete_groups(wanted)  # {grupo: "OK" o el nombre del error}
            break
        except (CoordinatorNotAvailableError, CoordinatorLoadInProgressError):
            # Un broker recién creado aún no tiene su tópico __consumer_offsets: lo crea al
            # primer pedido y, mientras tanto, no hay coordinador de grupos. Esperamos un poco.
            if time.monotonic() > deadline:
                raise CourseError(
                    f"El broker no tuvo coordinador de grupos en {COORDINATOR_WAIT_S:.0f} s: "
                    "revisa su log con  python -m helpers.kafka_local logs") from None
            time.sleep(0.5)
    failed = {g: e for g, e in results.items() if e not in ("OK", "GroupIdNotFoundError")}
    if failed:
        raise CourseError(f"No pude borrar los grupos {failed} (¿siguen con consumidores vivos?)")
    return sorted(group for group, error in results.items() if error == "OK")


# --- Grupos de consumidores -----------------------------------------------------


def _name(consumer: KafkaConsumer) -> str:
    return str(consumer.config["client_id"])


def _learn_partitions(consumer: KafkaConsumer) -> None:
    """Pide los metadatos de los tópicos suscritos antes del primer ``poll``.

    Si un consumidor entra al grupo sin conocer aún las particiones, no le toca nada y entra
    otra vez. Con ``kafka-python`` 3.0.12 vimos que ese segundo ingreso, si termina entre dos
    ``poll`` cortos, puede dejar al consumidor sin particiones para siempre. Con los metadatos
    ya en mano, el primer reparto es el bueno.
    """
    for topic in sorted(consumer.subscription() or ()):
        consumer.partitions_for_topic(topic)


class _Member(threading.Thread):
    """Un consumidor del grupo en su propio hilo (como si fuera otro proceso): ``poll`` sin parar.

    Guarda lo que lee por (partición, offset): si un reparto le quita una partición a medio
    leer, lo leído de ella se descarta al final; el nuevo dueño la lee desde el principio
    (sin offsets confirmados, ``auto_offset_reset="earliest"``).
    """

    def __init__(self, consumer: KafkaConsumer, ends: Mapping[int, int]) -> None:
        super().__init__(name=f"miembro-{_name(consumer)}", daemon=True)
        self.consumer, self.ends = consumer, dict(ends)
        self.stop = threading.Event()
        # (particiones asignadas, ¿ya leyó hasta el final de todas?): una sola tupla, para que
        # el hilo principal nunca vea una asignación nueva con el «terminé» de la anterior.
        self.status: tuple[tuple[int, ...], bool] = ((), False)
        self.seen: dict[tuple[int, int], Any] = {}
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            _learn_partitions(self.consumer)
            while not self.stop.is_set():
                for tp, batch in self.consumer.poll(timeout_ms=500).items():
                    self.seen.update(((tp.partition, r.offset), r) for r in batch)
                assignment = self.consumer.assignment()
                self.status = (tuple(sorted(tp.partition for tp in assignment)),
                               all(self.consumer.position(tp) >= self.ends[tp.partition]
                                   for tp in assignment))
        except Exception as error:  # el hilo principal lo vuelve a lanzar
            self.error = error

    def records(self) -> list[Any]:
        """Lo leído de las particiones que le tocaron al final, por (partición, offset)."""
        assigned = self.status[0]
        return [r for (p, _), r in sorted(self.seen.items()) if p in assigned]


Split = dict[str, tuple[int, ...]]
"""Las particiones de cada consumidor del grupo, por ``client_id``."""


def _described_split(admin: KafkaAdminClient, group: str) -> tuple[str, Split]:
    """El estado del grupo y las particiones de cada miembro, según el coordinador."""
    described = admin.describe_groups([group])[group]
    split = {}
    for member in described["members"]:
        assignment = member.get("member_assignment") or {}
        split[member["client_id"]] = tuple(sorted(
            p for a in assignment.get("assigned_partitions", []) for p in a["partitions"]))
    return described["group_state"], split


def group_split(consumers: Sequence[KafkaConsumer], group: str, topic: str, *,
                bootstrap: str | None = None, timeout_s: float = 60.0) -> pd.DataFrame:
    """Qué particiones de ``topic`` le tocaron a cada consumidor del grupo y cuánto leyó.

    Cada consumidor (suscrito a ``topic`` con ``group_id=group`` y su propio ``client_id``) hace
    ``poll`` en su hilo hasta que el coordinador dice que el grupo está estable, con todos como
    miembros, y cada uno leyó hasta el final (de ahora) de sus particiones. No confirma offsets.
    Filas ordenadas por la primera partición de cada consumidor (sin partición, al final): la
    tabla no depende de los identificadores al azar de los miembros. Cierra tú los consumidores.
    """
    names = [_name(c) for c in consumers]
    if len(set(names)) != len(names):
        raise ValueError("Cada consumidor del grupo necesita un client_id distinto")
    members = [_Member(c, topics.end_offsets(topic, bootstrap)) for c in consumers]
    for member in members:
        member.start()
    deadline = time.monotonic() + timeout_s
    try:
        with admin_client(bootstrap) as admin:
            while True:
                time.sleep(0.2)
                if failed := [m.error for m in members if m.error is not None]:
                    raise failed[0]
                state, split = _described_split(admin, group)
                if (state == "Stable" and sorted(split) == sorted(names)
                        and all(m.status == (split[_name(m.consumer)], True) for m in members)):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"El grupo {group!r} no se estabilizó en {timeout_s} s")
    finally:
        for member in members:
            member.stop.set()
        for member in members:
            member.join()
    rows = [{"consumidor": _name(m.consumer), "particiones": m.status[0],
             "registros": len(m.records())} for m in members]
    rows.sort(key=lambda r: (not r["particiones"], r["particiones"], r["consumidor"]))
    return pd.DataFrame(rows, columns=["consumidor", "particiones", "registros"])


def read_to_end(consumer: KafkaConsumer, *, timeout_s: float = 60.0) -> list[Any]:
    """Hace ``poll`` hasta el final (de ahora) de cada partición asignada y devuelve lo leído.

    Lectura acotada de un solo consumidor (para un grupo de varios, ``group_split``): termina
    aunque el tópico siga creciendo. Si aún no tiene particiones, espera a que se las den.
    """
    deadline = time.monotonic() + timeout_s
    records: list[Any] = []
    _learn_partitions(consumer)
    while True:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
        assigned = consumer.assignment()
        if assigned:
            ends = consumer.end_offsets(list(assigned))
            if all(consumer.position(tp) >= ends[tp] for tp in assigned):
                return records
        if time.monotonic() > deadline:
            raise TimeoutError(f"{_name(consumer)} no llegó al final en {timeout_s} s")
