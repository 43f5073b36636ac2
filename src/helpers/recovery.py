"""Fallas y recuperación (cuaderno 07): contar perdidos y duplicados, y registrar lo que pasó.

- ``run_dir``: una carpeta de ejecución dentro de ``<raíz>/.flink/`` (ignorada por git) para los
  *checkpoints*, los *savepoints* y la bitácora de cada *job*.
- ``produce_ids`` / ``read_ids`` / ``delivery_counts``: escribir los eventos numerados ``1..n`` y
  contar, con un lector ``read_committed`` o ``read_uncommitted``, cuántos se perdieron o
  duplicaron.
- ``log_event`` / ``read_log``: la bitácora (JSON por línea) donde las funciones de un *job*
  anotan sus arranques y fallas; en modo local corren en este mismo proceso.
- ``Recorder``: un hilo que, mientras corre un *job*, anota los offsets finales de unos tópicos y
  los *checkpoints* que aparecen en disco: los datos de la línea de tiempo.
- ``checkpoint_files``: qué escribió Flink en una carpeta de *checkpoints* o de *savepoint*.
- ``stop_with_savepoint``: detener un *job* con un *savepoint* (el de PyFlink 2.2.1 no sirve).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from kafka import KafkaConsumer, TopicPartition

from helpers import paths
from helpers.kafka_local import require_broker
from helpers.topics import bootstrap_servers, produce_json

if TYPE_CHECKING:
    from pyflink.common import JobClient

ISOLATION_LEVELS = ("read_committed", "read_uncommitted")


def run_dir(*parts: str, fresh: bool = False) -> Path:
    """La carpeta ``<raíz>/.flink/<parts...>`` (la crea). Con ``fresh=True`` la vacía antes."""
    folder = paths.project_root().joinpath(".flink", *parts)
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def produce_ids(topic: str, count: int, bootstrap: str | None = None) -> int:
    """Escribe ``{"id": 1}`` … ``{"id": count}`` en la partición 0 de ``topic``; da ``count``."""
    return produce_json(topic, ({"id": number} for number in range(1, count + 1)),
                        partition=lambda _: 0, bootstrap=bootstrap, linger_ms=20)


def _consumer(bootstrap: str, isolation: str) -> KafkaConsumer:
    if isolation not in ISOLATION_LEVELS:
        raise ValueError(f"isolation debe ser uno de {ISOLATION_LEVELS}, no {isolation!r}")
    return KafkaConsumer(bootstrap_servers=bootstrap, isolation_level=isolation,
                         enable_auto_commit=False)


def _only_partition(consumer: KafkaConsumer, topic: str) -> TopicPartition:
    """La partición 0 de ``topic``, tras comprobar que es la única.

    Si hubiera más, leer solo la 0 haría mentir a los conteos de perdidos y duplicados.
    """
    partitions = consumer.partitions_for_topic(topic)
    if partitions is None:
        raise ValueError(f"El tópico {topic!r} no existe (o el broker no lo reporta todavía).")
    if partitions != {0}:
        raise ValueError(f"El tópico {topic!r} tiene {len(partitions)} particiones y este "
                         "ayudante solo lee la 0: los conteos de perdidos y duplicados saldrían "
                         "mal. Crea el tópico con una sola partición.")
    return TopicPartition(topic, 0)


def end_offset(topic: str, isolation: str = "read_committed", bootstrap: str | None = None) -> int:
    """El offset final de ``topic`` (una sola partición) como lo ve un lector ``isolation``.

    Con ``read_committed`` es el *last stable offset* (LSO): nada a partir de él es legible
    mientras haya una transacción abierta antes. Con ``read_uncommitted`` es el final del log.
    """
    bootstrap = bootstrap or bootstrap_servers()
    consumer = _consumer(bootstrap, isolation)
    try:
        part = _only_partition(consumer, topic)
        return consumer.end_offsets([part])[part]
    finally:
        consumer.close()


def read_ids(topic: str, isolation: str = "read_committed", bootstrap: str | None = None,
             timeout_s: float = 30.0) -> list[int]:
    """Los ``id`` de ``topic`` (una sola partición), en orden, leídos con el nivel ``isolation``.

    Lee del principio hasta el offset final que ve ese lector al empezar (acotado).
    Con ``read_committed`` no aparecen los registros de transacciones abortadas ni abiertas.
    """
    bootstrap = bootstrap or bootstrap_servers()
    require_broker(bootstrap)
    consumer = _consumer(bootstrap, isolation)
    ids: list[int] = []
    try:
        part = _only_partition(consumer, topic)
        consumer.assign([part])
        consumer.seek_to_beginning(part)
        end = consumer.end_offsets([part])[part]
        deadline = time.monotonic() + timeout_s
        while consumer.position(part) < end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"No terminé de leer {topic!r} ({isolation}) en {timeout_s} s")
            for records in consumer.poll(timeout_ms=500).values():
                ids.extend(json.loads(r.value)["id"] for r in records)
    finally:
        consumer.close()
    return ids


def delivery_counts(ids: Iterable[int], produced: int) -> dict[str, int]:
    """Cuántos de los eventos ``1..produced`` llegaron, se perdieron o se duplicaron.

    ``leídos`` cuenta registros (con repetidos); ``duplicados`` = leídos − distintos;
    ``perdidos`` = los ``id`` de ``1..produced`` que no aparecen.
    """
    seen = Counter(ids)
    expected = range(1, produced + 1)
    return {
        "producidos": produced,
        "leídos": sum(seen.values()),
        "perdidos": sum(1 for number in expected if number not in seen),
        "duplicados": sum(seen.values()) - len(seen),
    }


def log_event(log: str | Path, kind: str, **data: Any) -> None:
    """Añade a la bitácora ``log`` una línea JSON ``{"t": ahora, "tipo": kind, ...}``."""
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps({"t": time.time(), "tipo": kind, **data}) + "\n")


def read_log(log: str | Path) -> pd.DataFrame:
    """La bitácora como DataFrame (columnas ``t``, ``tipo`` y las que anotó cada línea)."""
    path = Path(log)
    if not path.exists():
        return pd.DataFrame(columns=["t", "tipo"])
    lines = path.read_text(encoding="utf-8").splitlines()
    return pd.DataFrame([json.loads(line) for line in lines])


def completed_checkpoints(folder: str | Path) -> list[int]:
    """Los números ``N`` de los ``chk-N`` completos (con ``_metadata``) bajo ``folder``."""
    return sorted(int(p.parent.name[4:]) for p in Path(folder).glob("*/chk-*/_metadata"))


def checkpoint_files(folder: str | Path, *, latest: bool = False) -> pd.DataFrame:
    """Los archivos bajo ``folder`` (ruta relativa y bytes); el id del job se abrevia ``<job>``.

    Con ``latest=True`` solo lista, de las carpetas ``chk-N``, la del último *checkpoint* completo
    (con ``_metadata``): Flink borra los anteriores de forma asíncrona y uno en curso aún no tiene
    ``_metadata``, así que un listado «en vivo» puede mezclar dos. ``shared/`` se lista completa.
    """
    base = Path(folder)
    done = completed_checkpoints(base)
    keep = f"chk-{done[-1]}" if latest and done else None
    rows = []
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        parts = path.relative_to(base).parts
        if len(parts[0]) == 32 and all(c in "0123456789abcdef" for c in parts[0]):
            parts = ("<job>", *parts[1:])
        if latest and len(parts) > 1 and parts[1].startswith("chk-") and parts[1] != keep:
            continue
        rows.append({"archivo": "/".join(parts), "bytes": path.stat().st_size})
    return pd.DataFrame(rows, columns=["archivo", "bytes"])


@dataclass
class Recorder:
    """Mientras dura el ``with``, anota cada ``every_s`` s los offsets finales y los *checkpoints*.

    ``watch`` es una lista de ``(tópico, isolation)``. ``samples`` queda con columnas ``t``,
    ``serie`` (``"tópico · isolation"``) y ``offset``; ``checkpoints`` con ``t`` y ``chk`` (la
    primera vez que se vio cada ``chk-N/_metadata`` en ``checkpoint_dir``).
    """

    watch: list[tuple[str, str]]
    checkpoint_dir: Path | None = None
    every_s: float = 0.25
    bootstrap: str | None = None
    start: float = 0.0
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _seen: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Recorder:
        bootstrap = self.bootstrap or bootstrap_servers()
        consumers = {iso: _consumer(bootstrap, iso) for iso in {iso for _, iso in self.watch}}
        self.start = time.time()
        self._thread = threading.Thread(target=self._loop, args=(consumers,), daemon=True,
                                        name="recorder")
        self._thread.start()
        return self

    def _sample(self, consumers: dict[str, KafkaConsumer]) -> None:
        now = time.time()
        for topic, iso in self.watch:
            part = TopicPartition(topic, 0)
            offset = consumers[iso].end_offsets([part])[part]
            self._rows.append({"t": now, "serie": f"{topic} · {iso}", "offset": offset})
        if self.checkpoint_dir is not None:
            for number in completed_checkpoints(self.checkpoint_dir):
                self._seen.setdefault(number, now)

    def _loop(self, consumers: dict[str, KafkaConsumer]) -> None:
        try:
            self._sample(consumers)
            while not self._stop.wait(self.every_s):
                self._sample(consumers)
            self._sample(consumers)  # una muestra más al salir del ``with``: el job ya terminó
        finally:
            for consumer in consumers.values():
                consumer.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def samples(self) -> pd.DataFrame:
        return pd.DataFrame(self._rows, columns=["t", "serie", "offset"])

    @property
    def checkpoints(self) -> pd.DataFrame:
        return pd.DataFrame(sorted((t, n) for n, t in self._seen.items()), columns=["t", "chk"])


def stop_with_savepoint(client: JobClient, directory: str | Path, *, native: bool = False) -> str:
    """Detiene el *job* de ``client`` con un *savepoint* en ``directory`` y devuelve su ruta.

    ``JobClient.stop_with_savepoint`` de PyFlink 2.2.1 llama a un método de Java que ya no
    existe con esos argumentos (falla con «Method stopWithSavepoint([class java.lang.Boolean,
    class java.lang.String]) does not exist»): desde Flink 1.15 el método pide también el formato
    del *savepoint*. Aquí se llama al método de Java con el formato: ``CANONICAL`` (el de
    siempre, portable entre *state backends*) o, con ``native=True``, ``NATIVE`` (el del backend).
    """
    from pyflink.java_gateway import get_gateway

    formats = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType
    target = Path(directory).resolve().as_uri()
    java_client = client._j_job_client  # noqa: SLF001 (el envoltorio de PyFlink está roto)
    kind = formats.NATIVE if native else formats.CANONICAL
    return java_client.stopWithSavepoint(False, target, kind).get()
