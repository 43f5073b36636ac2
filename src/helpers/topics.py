"""Tópicos de Kafka: crearlos, borrarlos, producir eventos JSON y leerlos de vuelta.

Todo usa ``kafka-python`` contra el broker real del curso. El tiempo del evento
(*event time*) viaja como el *timestamp* del registro de Kafka,
en milisegundos desde 1970 (UTC), para que Flink pueda usarlo directamente.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError
from kafka.serializer import Serializer

from helpers.kafka_local import default_config, require_broker

Event = Mapping[str, Any]


class JsonSerializer(Serializer):
    """Convierte un diccionario en bytes JSON (UTF-8, acentos sin escapar)."""

    def serialize(self, topic: str, headers: list[tuple[str, bytes]], value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")


class KeySerializer(Serializer):
    """Convierte una clave de texto en bytes UTF-8 (``None`` queda sin clave)."""

    def serialize(
        self, topic: str, headers: list[tuple[str, bytes]], value: str | None
    ) -> bytes | None:
        return None if value is None else value.encode("utf-8")


def bootstrap_servers() -> str:
    """La dirección del broker del curso, p. ej. ``127.0.0.1:9092``."""
    return default_config().bootstrap


@contextmanager
def admin_client(bootstrap: str | None = None) -> Iterator[KafkaAdminClient]:
    """Un ``KafkaAdminClient`` del broker del curso que se cierra solo al salir del ``with``."""
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    client = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        yield client
    finally:
        client.close()


def list_topics(bootstrap: str | None = None) -> list[str]:
    """Los tópicos del broker (sin los internos, que empiezan con ``__``)."""
    with admin_client(bootstrap) as admin:
        return sorted(t for t in admin.list_topics() if not t.startswith("__"))


def delete_topic(name: str, bootstrap: str | None = None, timeout_s: float = 30.0) -> bool:
    """Borra ``name`` y espera a que desaparezca. ``True`` si existía."""
    with admin_client(bootstrap) as admin:
        if name not in admin.list_topics():
            return False
        try:
            admin.delete_topics([name])
        except UnknownTopicOrPartitionError:
            return False
        deadline = time.monotonic() + timeout_s
        while name in admin.list_topics():
            if time.monotonic() > deadline:
                raise TimeoutError(f"El tópico {name!r} no terminó de borrarse en {timeout_s} s")
            time.sleep(0.1)
        return True


def create_topic(
    name: str,
    partitions: int = 1,
    *,
    recreate: bool = True,
    bootstrap: str | None = None,
    timeout_s: float = 30.0,
    config: Mapping[str, str] | None = None,
) -> None:
    """Crea el tópico ``name`` con ``partitions`` particiones.

    Con ``recreate=True`` (lo normal en el curso) lo borra antes si ya existía, para que
    cada ejecución de un cuaderno empiece desde un tópico vacío y dé el mismo resultado.
    ``config`` son configuraciones del tópico de Kafka, p. ej.
    ``{"cleanup.policy": "compact"}`` para un tópico compactado.
    """
    if recreate:
        delete_topic(name, bootstrap)
    deadline = time.monotonic() + timeout_s
    with admin_client(bootstrap) as admin:
        while True:
            try:
                admin.create_topics([NewTopic(name, partitions, 1, topic_configs=dict(config or {}))])
                break
            except TopicAlreadyExistsError:
                if not recreate:
                    return
                # Kafka borra de forma asíncrona: reintentamos hasta que termine.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        while name not in admin.list_topics():
            if time.monotonic() > deadline:
                raise TimeoutError(f"El tópico {name!r} no apareció en {timeout_s} s")
            time.sleep(0.1)


def produce_json(
    topic: str,
    events: Iterable[Event],
    *,
    timestamp: Callable[[Event], int] | None = None,
    key: Callable[[Event], str | None] | None = None,
    partition: Callable[[Event], int | None] | None = None,
    bootstrap: str | None = None,
    **producer_options: Any,
) -> int:
    """Envía ``events`` como JSON a ``topic`` y devuelve cuántos envió.

    - ``timestamp(evento)``: milisegundos UTC del tiempo del evento; será el *timestamp*
      del registro de Kafka (si no se da, Kafka pone la hora de llegada).
    - ``key(evento)``: la clave; los eventos con la misma clave van a la misma partición
      y conservan su orden.
    - ``partition(evento)``: fuerza la partición (útil para demostraciones).
    - ``producer_options``: opciones extra de ``KafkaProducer`` (``linger_ms``, ``compression_type``...).
    """
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        value_serializer=JsonSerializer(),
        key_serializer=KeySerializer(),
        acks="all",
        **producer_options,
    )
    sent = 0
    try:
        for event in events:
            producer.send(
                topic,
                value=dict(event),
                key=key(event) if key else None,
                partition=partition(event) if partition else None,
                timestamp_ms=timestamp(event) if timestamp else None,
            )
            sent += 1
        producer.flush()
    finally:
        producer.close()
    return sent


def end_offsets(topic: str, bootstrap: str | None = None) -> dict[int, int]:
    """El último offset (exclusivo) de cada partición de ``topic``."""
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def read_topic(topic: str, bootstrap: str | None = None, timeout_s: float = 30.0) -> pd.DataFrame:
    """Lee ``topic`` completo (del principio al último offset actual) en un DataFrame.

    Columnas: ``partition``, ``offset``, ``timestamp`` (UTC), ``key`` y ``value`` (el JSON
    ya decodificado; si un mensaje no es JSON válido queda el texto tal cual).
    Es una lectura acotada: termina al llegar al final que tenía el tópico al empezar.
    """
    bootstrap = bootstrap or bootstrap_servers()
    ends = end_offsets(topic, bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    rows: list[dict[str, Any]] = []
    try:
        parts = [TopicPartition(topic, p) for p in ends]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        pending = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset < ends[tp.partition]:
                        rows.append(_row(record))
                if consumer.position(tp) >= ends[tp.partition]:
                    pending.discard(tp.partition)
        if pending:
            raise TimeoutError(f"No terminé de leer {topic!r} en {timeout_s} s")
    finally:
        consumer.close()
    columns = ["partition", "offset", "timestamp", "key", "value"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="ms", utc=True)
    return frame.sort_values(["partition", "offset"], ignore_index=True)


def _row(record: Any) -> dict[str, Any]:
    raw = record.value.decode("utf-8", errors="replace") if record.value is not None else None
    try:
        value = json.loads(raw) if raw is not None else None
    except json.JSONDecodeError:
        value = raw
    return {
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": record.key.decode("utf-8", errors="replace") if record.key else None,
        "value": value,
    }
