"""Mediciones del curso (``make bench``): nada de esto es una prueba con tiempo límite.

Mide en esta máquina:

- arranque del broker hasta que responde (en frío, con formateo, y en caliente);
- memoria máxima (VmHWM) de la JVM del broker tras recibir 20 000 eventos;
- el primer *job* de PyFlink del cuaderno 00 en un proceso nuevo (incluye arrancar la JVM);
- memoria máxima del proceso de Python y de la JVM de PyFlink en ese *job*;
- el cuaderno 00 completo, ejecutado como lo hace nbval;
- y, a escala, 1 000 000 de facturas por las dos canalizaciones del cuaderno 08
  (``helpers.bench_scale``: carga, límite crudo, lotes, Flink SQL, Flink con UDF, costos).

Escribe los números en ``bench/resultados/ultima.json`` y ``bench/resultados/escala.json`` y los
imprime en tablas. ``python -m helpers.bench escala`` mide solo la parte a escala.
"""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from helpers import bench_scale, kafka_local, paths, topics

FIRST_JOB_SCRIPT = r"""
import json, os, resource, time
start = time.perf_counter()
from helpers import topics
from helpers.flink import table_env
from helpers.sources.ventas import sales
bootstrap = topics.bootstrap_servers()
topics.create_topic("bench-ventas", 1)
topics.produce_json("bench-ventas", sales(), timestamp=lambda v: v["ts_ms"])
ready = time.perf_counter()
t_env = table_env()
t_env.execute_sql(f'''CREATE TABLE ventas (tienda STRING,
    ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
    WITH ('connector'='kafka', 'topic'='bench-ventas', 'properties.bootstrap.servers'='{bootstrap}',
    'scan.startup.mode'='earliest-offset', 'scan.bounded.mode'='latest-offset', 'format'='json')''')
rows = t_env.sql_query('''SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE ventas,
    DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end''').to_pandas()
done = time.perf_counter()
jvm_kib = 0
for child in open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split():
    for line in open(f"/proc/{child}/status"):
        if line.startswith("VmHWM:"):
            jvm_kib = max(jvm_kib, int(line.split()[1]))
print(json.dumps({"job_s": done - ready, "total_s": done - start, "windows": len(rows),
                  "python_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "jvm_peak_mib": jvm_kib / 1024}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_broker(warm_runs: int = 3) -> dict[str, float]:
    """Arranque en frío y en caliente de un broker aparte, y su memoria máxima."""
    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as folder:
        config = kafka_local.BrokerConfig(
            port=_free_port(), controller_port=_free_port(), data_dir=Path(folder),
            jars_dir=paths.jars_dir() / "kafka",
        )
        began = time.perf_counter()
        kafka_local.start(config)
        cold = time.perf_counter() - began
        warm = []
        try:
            for _ in range(warm_runs):
                kafka_local.stop(config)
                began = time.perf_counter()
                pid, _ = kafka_local.start(config)
                warm.append(time.perf_counter() - began)
            topics.create_topic("bench", 3, bootstrap=config.bootstrap)
            topics.produce_json("bench", ({"n": i, "texto": "x" * 200} for i in range(20_000)),
                                bootstrap=config.bootstrap, linger_ms=20)
            peak = _peak_mib(pid)
        finally:
            kafka_local.stop(config)
    return {"broker_cold_start_s": cold, "broker_warm_start_s": min(warm),
            "broker_peak_mib": peak}


def bench_first_job() -> dict[str, float]:
    """El primer job de Flink SQL del cuaderno 00 en un proceso de Python nuevo."""
    result = subprocess.run([sys.executable, "-c", FIRST_JOB_SCRIPT], capture_output=True,
                            text=True, timeout=600, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {"flink_first_job_s": data["job_s"], "flink_process_total_s": data["total_s"],
            "flink_python_peak_mib": data["python_peak_mib"], "flink_jvm_peak_mib": data["jvm_peak_mib"]}


def bench_notebook(name: str = "00_preparacion.ipynb") -> dict[str, float]:
    """El cuaderno completo, ejecutado de principio a fin con nbclient."""
    import nbformat
    from nbclient import NotebookClient

    path = paths.project_root() / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    began = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return {f"notebook_{name.split('_')[0]}_s": time.perf_counter() - began}


def main() -> int:
    """Ejecuta todas las mediciones, las guarda en JSON y las imprime."""
    kafka_local.ensure_running()
    if sys.argv[1:2] == ["escala"]:
        return bench_scale.main()
    results: dict[str, object] = {"machine": f"{platform.node()} · {platform.processor() or platform.machine()}",
                                  "date": time.strftime("%Y-%m-%d %H:%M")}
    for step in (bench_broker, bench_first_job, bench_notebook):
        print(f"==> {step.__doc__.splitlines()[0]}", flush=True)
        results.update(step())
    out = paths.project_root() / "bench" / "resultados" / "ultima.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n{'medida':32} valor")
    for key, value in results.items():
        shown = f"{value:.1f}" if isinstance(value, float) else value
        print(f"{key:32} {shown}")
    print(f"\nGuardado en {out}\n")
    return bench_scale.main()


if __name__ == "__main__":
    sys.exit(main())
