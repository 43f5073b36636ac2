"""Las cinco fuentes del curso a la vez: un día de trabajo y cinco productores en paralelo.

``course_day(seed)`` arma, con una semilla, lo que el cuaderno 06 manda a Kafka:

- ``archivos``: metadatos de archivos (``helpers.sources.archivos``);
- ``respaldos``: un evento por archivo CSV de cada respaldo horario (``respaldos.dump_events``);
- ``ocr``: el OCR de las copias escaneadas de las facturas (``ocr.invoice_scans``);
- ``cambios``: el CDC de la tabla ``clientes`` en formato Debezium (``cambios.from_backups``);
- ``facturas``: facturas CFDI en XML (``helpers.sources.facturas``), a los clientes del respaldo.

Todas cubren las mismas ~3 horas (de las 09:00 a las 12:00 UTC). Además, algunos productores
se caen a media escritura y reintentan: dejan en el tópico una copia **cortada** del registro
(JSON inválido) justo antes del registro completo (``BROKEN``). Nada se pierde, pero esos
registros deben ir a la cola de mensajes muertos (DLQ).

``produce_concurrently`` escribe las cinco fuentes a la vez, un hilo y un productor por fuente.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from kafka import KafkaProducer

from helpers.kafka_local import require_broker
from helpers.sources import archivos, cambios, facturas, ocr, respaldos
from helpers.sources.timing import START_MS, Timing, arrival_order
from helpers.topics import bootstrap_servers

SOURCES = ("archivos", "respaldos", "ocr", "cambios", "facturas")
BROKEN = {"archivos": 4, "respaldos": 1, "cambios": 2}
"""Cuántos registros cortados (reintentos tras una caída) deja el productor de cada fuente."""
HOURS = 3
INVOICE_TIMING = Timing(gap_ms=(30_000, 150_000))
"""~120 facturas en ~3 h: una cada 30–150 s, con el desorden y los tardíos de siempre."""
FILE_TIMING = Timing(gap_ms=(60_000, 210_000))


class Record(NamedTuple):
    """Un registro tal como va a Kafka: clave, valor en bytes y sus dos tiempos."""

    key: str
    value: bytes
    event_time: int
    arrival_time: int
    broken: bool


@dataclass(frozen=True)
class Day:
    """Un día de las cinco fuentes: los eventos (con sus etiquetas) y los registros para Kafka."""

    dumps: list[respaldos.Dump]
    events: dict[str, list[dict[str, Any]]]
    records: dict[str, list[Record]]

    def produced(self) -> dict[str, int]:
        """Cuántos registros manda cada fuente (los cortados incluidos)."""
        return {source: len(rows) for source, rows in self.records.items()}


def _value(source: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """Lo que viaja a Kafka: sin las etiquetas que son la respuesta de los ejercicios."""
    if source == "cambios":
        return cambios.to_debezium(event)
    if source == "facturas":
        return {field: event[field] for field in facturas.KAFKA_FIELDS}
    if source == "ocr":
        return {k: v for k, v in event.items() if k not in ("factura_id", "caso")}
    return dict(event)


KEYS = {"archivos": lambda e: e["path"], "respaldos": lambda e: e["archivo"],
        "ocr": lambda e: e["document_id"], "cambios": lambda e: e["key"],
        "facturas": lambda e: e["factura_id"]}


def _records(source: str, events: Sequence[Mapping[str, Any]], broken: int,
             rng: random.Random) -> list[Record]:
    ordered = arrival_order(events)
    cut = set(rng.sample(range(len(ordered)), broken))
    records = []
    for i, event in enumerate(ordered):
        value = json.dumps(_value(source, event), ensure_ascii=False).encode("utf-8")
        key = str(KEYS[source](event))
        times = (event["event_time"], event["arrival_time"])
        if i in cut:  # la copia cortada de un reintento llega justo antes del registro completo
            records.append(Record(key, value[: rng.randint(10, len(value) - 10)], *times, True))
        records.append(Record(key, value, *times, False))
    return records


def course_day(seed: int = 7) -> Day:
    """Las cinco fuentes de un mismo día, deterministas para cada ``seed``."""
    dumps = respaldos.backups(HOURS + 1, seed, update_rate=0.2)
    invoices = facturas.invoices(120, seed, start_ms=START_MS + 60_000, timing=INVOICE_TIMING)
    events = {
        "archivos": archivos.file_events(80, seed, timing=FILE_TIMING),
        "respaldos": respaldos.dump_events(dumps),
        "ocr": ocr.invoice_scans(invoices, seed),
        "cambios": cambios.from_backups(dumps, "clientes", seed),
        "facturas": invoices,
    }
    rng = random.Random(seed)
    records = {s: _records(s, events[s], BROKEN.get(s, 0), rng) for s in SOURCES}
    return Day(dumps, events, records)


def _produce(topic: str, records: Sequence[Record], bootstrap: str, sent: dict[str, int]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for record in records:
            producer.send(topic, value=record.value, key=record.key.encode("utf-8"),
                          timestamp_ms=record.event_time)
        producer.flush()
    finally:
        producer.close()
    sent[topic] = len(records)


def produce_concurrently(day: Day, prefix: str = "n06.", bootstrap: str | None = None
                         ) -> dict[str, int]:
    """Escribe cada fuente en su tópico ``prefix + fuente``, las cinco a la vez.

    Un hilo con su propio productor por fuente; cada uno envía en orden de llegada, con el
    tiempo del evento como *timestamp* del registro. Devuelve cuántos envió cada tópico.
    Los tópicos deben existir (créalos con ``helpers.topics.create_topic``).
    """
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    sent: dict[str, int] = {}
    threads = [threading.Thread(target=_produce, name=f"productor-{source}",
                                args=(prefix + source, day.records[source], bootstrap, sent))
               for source in SOURCES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if missing := [s for s in SOURCES if prefix + s not in sent]:
        raise RuntimeError(f"Los productores de {missing} fallaron: mira el error de arriba.")
    return {topic.removeprefix(prefix): count for topic, count in sent.items()}
