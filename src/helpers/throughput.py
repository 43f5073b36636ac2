"""El límite físico del lector: qué tan rápido se puede leer un tópico en esta máquina.

Antes de decir «Flink procesa 100 000 registros por segundo» hay que saber contra qué compararlo.
``raw_read_rate`` lee el tópico entero, del principio al último offset que tenía al empezar, con un
consumidor simple que no decodifica ni procesa nada: solo cuenta registros y bytes. Ninguna
canalización que lea ese tópico en esta máquina puede ir más rápido que eso.

Dos lectores, ambos de verdad:

- ``"java"`` (el límite del curso): un lector mínimo con ``KafkaConsumer`` de ``kafka-clients``
  (``java_src/LecturaCruda.java``, ejecutado con el JDK 17 sin compilar nada aparte). Es el mismo
  cliente que el conector de Kafka de Flink lleva por dentro (el conector trae su propia copia,
  4.2; aquí, la 4.4 del broker), así que la razón «Flink / límite» mide lo que Flink agrega
  sobre el mismo lector: deserializar JSON, marcas de agua,
  ventanas, intercambio entre operadores. Usamos un lector mínimo y no ``kafka-consumer-perf-test``
  porque los jars del broker no traen el módulo ``kafka-tools`` (y así no se agrega otra descarga).
- ``"confluent"``: ``confluent-kafka`` (librdkafka) desde Python, por lotes con ``consume()``.
  Sirve para ver cuánto cuesta que cada registro pase por Python.

El tiempo de las dos mediciones va del primer pedido de datos al último registro: no incluye
arrancar la JVM ni conectarse. Cada una da también los CPU-s de ese tramo (``cpu_s``): con la
máquina compartida, «registros por CPU-s» cambia mucho menos que «registros por segundo».
Si quieres un solo número como límite, ``raw_limit`` toma el más rápido de los dos (la vara más
exigente).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from helpers import kafka_local
from helpers.errors import CourseError
from helpers.java import java_info
from helpers.kafka_local import require_broker

JAVA_READER = Path(__file__).resolve().parent / "java_src" / "LecturaCruda.java"
READERS = ("java", "confluent")


class ReadError(CourseError):
    """La lectura cruda no leyó todos los registros que el tópico tenía."""


@dataclass(frozen=True)
class ReadStats:
    """Una lectura cruda: registros y bytes leídos, segundos y quién leyó."""

    records: int
    bytes: int
    seconds: float
    reader: str
    cpu_s: float | None = None

    @property
    def rate(self) -> float:
        """Registros por segundo."""
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        """Megabytes (10⁶ bytes) de valores por segundo."""
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def records_per_cpu_s(self) -> float | None:
        """Registros por segundo de CPU del lector (no depende de cuánto CPU le dejen otros)."""
        return self.records / self.cpu_s if self.cpu_s else None


def _read_java(topic: str, bootstrap: str, timeout_s: float) -> ReadStats:
    jars = kafka_local.classpath(kafka_local.BrokerConfig.from_env())  # falla claro si faltan
    command = [str(java_info().executable), "-Xmx512m", "-XX:+UseG1GC",
               "-Dlog4j2.level=WARN", "-cp", jars, str(JAVA_READER), bootstrap, topic]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise ReadError(f"El lector de Java falló (código {result.returncode}):\n"
                        f"{result.stderr.strip()[-1500:]}")
    data = json.loads(lines[-1])
    if data["records"] != data["expected"]:
        raise ReadError(f"El lector de Java leyó {data['records']} de {data['expected']} "
                        f"registros de {topic!r}.")
    return ReadStats(data["records"], data["bytes"], data["seconds"], "java (kafka-clients)",
                     data["cpu_seconds"])


def _read_confluent(topic: str, bootstrap: str, timeout_s: float) -> ReadStats:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lectura-{uuid.uuid4()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "enable.partition.eof": False})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p, 0) for p in sorted(metadata.partitions)]
        expected = 0
        for tp in parts:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            tp.offset = low
            expected += high - low
        consumer.assign(parts)
        records = size = 0
        cpu_began = time.process_time()
        began = time.perf_counter()
        deadline = began + timeout_s
        while records < expected and time.perf_counter() < deadline:
            for message in consumer.consume(num_messages=10_000, timeout=0.5):
                if message.error() is None:
                    records += 1
                    size += len(message.value())
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu_began  # este proceso: Python y los hilos de librdkafka
    finally:
        consumer.close()
    if records != expected:
        raise ReadError(f"confluent-kafka leyó {records} de {expected} registros de {topic!r} "
                        f"en {timeout_s:.0f} s.")
    return ReadStats(records, size, seconds, "confluent-kafka (librdkafka)", cpu)


def raw_read_rate(topic: str, *, reader: str = "java", bootstrap: str | None = None,
                  timeout_s: float = 300.0) -> ReadStats:
    """Lee ``topic`` entero sin procesar nada y devuelve registros/s y MB/s (``ReadStats``).

    ``reader`` es ``"java"`` (el consumidor de ``kafka-clients``, el mismo que usa Flink) o
    ``"confluent"`` (librdkafka desde Python). Lanza ``ReadError`` si no leyó todo.
    """
    from helpers.topics import bootstrap_servers

    if reader not in READERS:
        raise ValueError(f"reader debe ser uno de {READERS}, no {reader!r}")
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    if reader == "java":
        return _read_java(topic, bootstrap, timeout_s)
    return _read_confluent(topic, bootstrap, timeout_s)


def raw_limit(topic: str, *, bootstrap: str | None = None,
              repeats: int = 1) -> dict[str, ReadStats]:
    """Mide los dos lectores (``repeats`` veces cada uno, se queda con la mediana del ritmo).

    Devuelve ``{"java": ..., "confluent": ..., "limit": <el más rápido>}``.
    """
    best: dict[str, ReadStats] = {}
    for reader in READERS:
        runs = sorted((raw_read_rate(topic, reader=reader, bootstrap=bootstrap)
                       for _ in range(repeats)), key=lambda stats: stats.rate)
        best[reader] = runs[len(runs) // 2]
    best["limit"] = max(best.values(), key=lambda stats: stats.rate)
    return best
