"""Las tablas del README con los números de ``make bench`` a escala (``escala.json``).

``scale_table(datos)`` devuelve Markdown listo para pegar en la sección «Mediciones» del README;
``python -m helpers.bench_scale tabla`` la imprime desde el último ``bench/resultados/escala.json``.
"""

from __future__ import annotations

from typing import Any

PIPELINES = ("lotes", "flink_sql", "flink_udf")

NAMES = {"lotes": "Lotes (SQLite, 10 corridas, paginación por clave, *upserts*)",
         "flink_sql": "Flink SQL puro (`TUMBLE` + rechazados, paralelismo 1)",
         "flink_udf": "Flink SQL con UDF de Python (misma regla)"}


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _writes(writes: dict[str, int]) -> str:
    return " + ".join(f"{_n(v)} {k.replace('_', ' ')}" for k, v in writes.items())


def scale_table(data: dict[str, Any]) -> str:
    """Las tablas en Markdown del README, hechas con los números de ``escala.json``."""
    load, raw = data["load"], data["raw"]
    runs = "una corrida" if data["repeats"] == 1 else f"la mediana de {data['repeats']} corridas"
    lines = [f"Facturas: {_n(data['events'])} (JSON de ~{load['librdkafka']['avg_bytes']:.0f} B, "
             f"una partición); {runs}:", "",
             "| Medida | Valor | Meta |", "|---|---|---|",
             f"| Carga con librdkafka (`confluent-kafka`) | {load['librdkafka']['seconds']:.1f} s "
             f"({_n(load['librdkafka']['rate'])} reg/s) | ≤ 15 s |",
             f"| Carga con kafka-python ({_n(load['kafka_python']['count'])} eventos, mismos bytes) "
             f"| {_n(load['kafka_python']['rate'])} reg/s | |",
             f"| Límite crudo: consumidor de Java (`kafka-clients`) | {_n(raw['java']['rate'])} reg/s "
             f"({raw['java']['mb_per_s']:.1f} MB/s; {_n(raw['java'].get('records_per_cpu_s') or 0)} "
             "reg por CPU-s) | |",
             f"| Lectura cruda con librdkafka desde Python | {_n(raw['confluent']['rate'])} reg/s "
             f"({raw['confluent']['mb_per_s']:.1f} MB/s) | |"]
    if "idle" in data:
        idle = data["idle"]
        lines.append(f"| Costo ocioso del job de Flink SQL sin datos | "
                     f"{idle['cpu_s_per_min']:.1f} CPU-s/min (broker: "
                     f"{idle['broker_cpu_s_per_min']:.1f}), {_n(idle['rss_mib'])} MiB | |")
    if "live" in data:
        live = data["live"]
        shown = [("Flink SQL sin fin", live["streaming"])] + [
            (f"lotes cada {k.removeprefix('lotes_cada_')}", v) for k, v in live.items()
            if k.startswith("lotes_cada_")]
        text = "; ".join(f"{name}: {v['p50']:.1f} / {v['p95']:.1f} s" for name, v in shown
                         if v["n"])
        lines.append(f"| Latencia en vivo ({live['rate_per_s']:.0f} facturas/s, "
                     f"{live['seconds']:.0f} s): del final de cada ventana de {live['window_s']} s "
                     f"a su resultado, p50 / p95 | {text} | p95 ≤ {live['watermark_delay_s'] + 1} s "
                     "(streaming) |")
    lines += ["", "| Canalización | Ritmo (reg/s) | Razón al límite | Reg. por CPU-s | Job completo | "
              "CPU-s | RSS pico | Escrituras al destino |", "|---|---|---|---|---|---|---|---|"]
    for kind in PIPELINES:
        if kind not in data:
            continue
        run = data[kind]
        whole = (f"{run['seconds']:.1f} s ({_n(run['rate_job'])} reg/s)" if "rate_job" in run
                 else f"{run['seconds']:.1f} s (+ {run['load_seconds']:.1f} s de inserts)")
        per_cpu = run.get("records_per_cpu_s") or data["events"] / run["cpu_s"]
        ratio, raw_per_cpu = run["ratio_to_limit"], raw["limit"].get("records_per_cpu_s")
        per_cpu_text = _n(per_cpu) + (f" ({per_cpu / raw_per_cpu:.0%})" if raw_per_cpu else "")
        lines.append(f"| {NAMES[kind]} | {_n(run['rate'])} | {ratio:.1%} | {per_cpu_text} | {whole} | "
                     f"{run['cpu_s']:.1f} | {_n(run['peak_rss_mib'])} MiB | "
                     f"{_writes(run['writes'])} |")
    return "\n".join(lines)
