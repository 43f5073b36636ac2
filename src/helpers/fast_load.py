"""Cargar muchos eventos en Kafka rápido: el cliente importa.

El curso enseña ``kafka-python`` (Python puro, fácil de leer) donde la velocidad no es el tema.
Para meter 1 000 000 de eventos sin que la carga domine la medición usamos ``confluent-kafka``,
que envuelve librdkafka (el cliente de Kafka escrito en C): agrupa, comprime y envía en hilos de C
sin volver a Python por cada registro.

- ``produce_bytes``: valores **ya codificados** (bytes) con librdkafka. El tiempo del evento puede
  viajar como *timestamp* del registro. Al final espera la confirmación de todos (``flush``) y, si
  alguno no se entregó, lanza ``LoadError`` con cuántos y por qué: nada se pierde en silencio.
- ``produce_bytes_kafka_python``: los mismos bytes con ``kafka-python``, para comparar los dos
  clientes con el mismo trabajo (la codificación a JSON queda fuera de las dos mediciones).

Los dos esperan ``acks=all`` del broker (con librdkafka, además, el productor idempotente).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from helpers.errors import CourseError
from helpers.kafka_local import require_broker

# Los avisos de librdkafka (p. ej. «Coordinator load in progress: retrying» con un broker recién
# arrancado) van al logging de Python en vez de ensuciar la salida; los errores de entrega no:
# esos terminan en LoadError.
LOGGER = logging.getLogger(__name__)
LOGGER.addHandler(logging.NullHandler())

# Opciones de librdkafka. Con linger.ms=20 y lotes de 1 MiB, cada petición lleva miles de
# registros; queue.buffering.max.messages deja que Python encole mucho antes de esperar.
LIBRDKAFKA_OPTIONS: dict[str, object] = {
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 20,
    "batch.size": 1_048_576,
    "queue.buffering.max.messages": 1_000_000,
    "queue.buffering.max.kbytes": 1_048_576,
    "compression.type": "none",
    # Solo los errores llaman de vuelta a Python: un informe por registro costaría ~1 µs cada uno.
    "delivery.report.only.error": True,
}


class LoadError(CourseError):
    """Algunos eventos no llegaron al broker (o no se confirmaron a tiempo)."""


@dataclass(frozen=True)
class LoadStats:
    """Resultado de una carga: cuántos registros, en cuántos segundos y a qué ritmo."""

    count: int
    seconds: float
    rate: float
    bytes: int = 0
    client: str = ""

    @property
    def mb_per_s(self) -> float:
        """Megabytes (10⁶ bytes) de valores por segundo."""
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


def _stats(count: int, size: int, seconds: float, client: str) -> LoadStats:
    return LoadStats(count, seconds, count / seconds if seconds > 0 else 0.0, size, client)


def _pairs(values: Iterable[bytes], timestamps: Sequence[int] | Iterable[int] | None):
    if timestamps is None:
        return ((value, None) for value in values)
    return zip(values, timestamps, strict=True)


def produce_bytes(
    topic: str,
    values: Iterable[bytes],
    *,
    timestamps: Iterable[int] | None = None,
    partition: int | None = None,
    bootstrap: str | None = None,
    timeout_s: float = 120.0,
) -> LoadStats:
    """Envía ``values`` (bytes ya codificados) a ``topic`` con librdkafka y mide el ritmo.

    - ``timestamps``: milisegundos UTC, uno por valor (el tiempo del evento); sin ellos, Kafka
      pone la hora de envío.
    - ``partition``: fuerza la partición; sin ella, librdkafka reparte los registros sin clave.
    - ``timeout_s``: cuánto puede esperar cada registro su confirmación (``message.timeout.ms``);
      pasado ese plazo cuenta como no entregado.

    El tiempo medido va del primer envío a la última confirmación (incluye el ``flush``).
    Lanza ``LoadError`` si algún registro no se entregó.
    """
    from confluent_kafka import KafkaException, Producer

    from helpers.topics import bootstrap_servers

    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    failures: list[str] = []

    def on_error(error, message) -> None:  # solo se llama si el registro falló
        if error is not None:
            failures.append(str(error))

    producer = Producer({"bootstrap.servers": bootstrap, **LIBRDKAFKA_OPTIONS,
                         "message.timeout.ms": int(timeout_s * 1000), "on_delivery": on_error,
                         "logger": LOGGER})
    options = {} if partition is None else {"partition": partition}
    count = size = 0
    began = time.perf_counter()
    try:
        for value, timestamp in _pairs(values, timestamps):
            kwargs = options if timestamp is None else {**options, "timestamp": timestamp}
            while True:
                try:
                    producer.produce(topic, value, **kwargs)
                    break
                except BufferError:  # la cola local está llena: dejar que librdkafka envíe
                    producer.poll(0.05)
            count += 1
            size += len(value)
            if count % 10_000 == 0:
                producer.poll(0)
        pending = producer.flush(timeout_s + 10)  # tras message.timeout.ms, todo tiene informe
    except KafkaException as error:
        raise LoadError(f"librdkafka rechazó un envío a {topic!r}: {error}") from error
    seconds = time.perf_counter() - began
    if pending or failures:
        reasons = "; ".join(sorted(set(failures))[:3]) or "sin confirmación a tiempo"
        raise LoadError(
            f"De {count} registros enviados a {topic!r}, {len(failures)} fallaron y {pending} "
            f"seguían sin confirmar tras {timeout_s:.0f} s ({reasons}).\n"
            "¿Existe el tópico y sigue vivo el broker?  python -m helpers.kafka_local status"
        )
    return _stats(count, size, seconds, "confluent-kafka (librdkafka)")


def produce_bytes_kafka_python(
    topic: str,
    values: Iterable[bytes],
    *,
    timestamps: Iterable[int] | None = None,
    partition: int | None = None,
    bootstrap: str | None = None,
    timeout_s: float = 120.0,
) -> LoadStats:
    """Lo mismo que ``produce_bytes`` pero con ``kafka-python`` (el cliente que enseña el curso).

    Mismos bytes, ``acks=all``, idempotente, ``linger_ms=20`` y lotes de 1 MiB (la configuración
    de ``LIBRDKAFKA_OPTIONS``): la diferencia de ritmo es del cliente, no del trabajo. Lanza ``LoadError`` si algún envío falló.
    """
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    from helpers.topics import bootstrap_servers

    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=20,
                             batch_size=1_048_576, max_request_size=2_097_152)
    failures: list[str] = []
    count = size = 0
    began = time.perf_counter()
    try:
        for value, timestamp in _pairs(values, timestamps):
            future = producer.send(topic, value=value, partition=partition, timestamp_ms=timestamp)
            future.add_errback(lambda error: failures.append(str(error)))
            count += 1
            size += len(value)
        producer.flush(timeout=timeout_s)
        last_ok = future.is_done and future.succeeded() if count else True  # flush a tiempo
    except KafkaError as error:
        raise LoadError(f"kafka-python no pudo enviar a {topic!r}: {error}") from error
    finally:
        producer.close(timeout=timeout_s)
    seconds = time.perf_counter() - began
    if failures or not last_ok:
        raise LoadError(f"kafka-python no entregó todos los registros a {topic!r}: "
                        f"{'; '.join(failures[:3]) or 'el último envío no se confirmó'}")
    return _stats(count, size, seconds, "kafka-python")
