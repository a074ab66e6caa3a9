"""Speed and memory of the course index: build throughput, HTTP latency, qps, memory, HNSW recall.

    python bench/bench_speed.py [--sizes 1000,10000,100000] [--catalog index/data/catalog.jsonl]

Encoding 100k passages with e5 on 2 cores takes hours, so only the demo catalog's real passages are
embedded (that gives the real encoding throughput); larger catalogs are SYNTHETIC: varied copies of the
demo courses (shuffled sentences, other providers/prices) whose vectors are perturbed, re-normalised
mixtures of the real vectors. Query encoding at search time is always real. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVIDERS = [
    "Studieninstitut Nord",
    "Kommunalakademie Süd",
    "VerwaltungsCampus West",
    "Bildungswerk Ost",
    "Digitalakademie Mitte",
    "Landesschule Verwaltung",
    "Fachhochschule für öffentliche Verwaltung",
]
REGIONS = ["Bayern", "Niedersachsen", "Sachsen", "Hessen", "NRW", "Brandenburg", "bundesweit", "Thüringen"]
FORMATS = ["online", "praesenz", "blended"]


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    vals = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


def demo_courses(path: Path | None) -> list[dict]:
    from index.catalog import load_catalog

    data = ROOT / "index" / "data"
    files = (
        [path]
        if path
        else (
            [data / "catalog.jsonl"]
            if (data / "catalog.jsonl").is_file()
            else sorted(data.glob("catalog_part_*.jsonl"))
        )
    )
    return [c for f in files for c in load_catalog(f).courses]


def synthesize(
    courses: list[dict], vectors: np.ndarray, n: int, seed: int = 1
) -> tuple[list[dict], np.ndarray]:
    """n varied courses and their vectors derived from the real ones."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    m = len(courses)
    sentences = [re.split(r"(?<=[.!?])\s+", c["description"]) for c in courses]
    out, vecs = [], np.empty((n, vectors.shape[1]), dtype=np.float32)
    for i in range(n):
        b, o = i % m, rng.randrange(m)
        base = courses[b]
        desc = sentences[b][:]
        rng.shuffle(desc)
        desc = " ".join(desc + rng.sample(sentences[o], k=min(2, len(sentences[o]))))
        course = dict(
            base,
            id=f"syn-{i:06d}",
            title=f"{base['title']} – {rng.choice(REGIONS)} {i // m + 1}",
            description=desc,
            provider=rng.choice(PROVIDERS),
            format=rng.choice(FORMATS),
            cost_eur=rng.choice([0, 90, 190, 290, 490, 890]),
            duration_hours=rng.choice([2, 4, 8, 16, 24]),
        )
        out.append(course)
        v = 0.85 * vectors[b] + 0.15 * vectors[o] + nrng.normal(scale=0.02, size=vectors.shape[1])
        vecs[i] = v / np.linalg.norm(v)
    return out, vecs


class SyntheticEncoder:
    """Passage vectors from a lookup table (synthetic), queries encoded by the real model."""

    def __init__(self, real, table: dict[str, np.ndarray]) -> None:
        self.real, self.table, self.identity = real, table, real.identity

    def encode_queries(self, texts):
        return self.real.encode_queries(texts)

    def encode_passages(self, texts):
        return np.stack([self.table[t] for t in texts])


_MEMORY_PROBE = """
import sys, faiss, numpy, scipy.sparse, spacy
sys.path.insert(0, sys.argv[2])
from bench.bench_speed import rss_mb
from index.loaded_index import LoadedIndex
from index.textprep import get_nlp
get_nlp()
before = rss_mb()[0]
idx = LoadedIndex(__import__("pathlib").Path(sys.argv[1]))
print(rss_mb()[0] - before)
"""


def index_memory_mb(version_dir: Path) -> float:
    """RSS growth of a fresh process when it loads the index (libraries and spaCy already loaded)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(version_dir), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(out.stdout.strip().splitlines()[-1])


def breakdown(index_dir: Path, encoder, queries: list[str]) -> tuple[list[float], list[float]]:
    """Time query encoding and the rest of a search (query vectors cached) separately."""
    from index.search import Searcher

    searcher = Searcher(index_dir, encoder=encoder)
    enc_ms, search_ms = [], []
    for q in queries:
        t = time.perf_counter()
        searcher.search(q, k=5)  # encodes and caches the query vector
        enc_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        searcher.search(q, k=5)
        search_ms.append((time.perf_counter() - t) * 1000)
    enc_ms = [a - b for a, b in zip(enc_ms, search_ms, strict=True)]
    return enc_ms, search_ms


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_bench(port: int, queries: list[str], n_seq: int, clients: int, seconds: float) -> dict:
    """Every request text is unique (a counter is appended) so the service's query cache never hits."""
    import aiohttp

    url = f"http://127.0.0.1:{port}/search"
    async with aiohttp.ClientSession() as session:
        lat = []
        for i in range(n_seq):
            t = time.perf_counter()
            async with session.post(url, json={"query": f"{queries[i % len(queries)]} {i}", "k": 5}) as r:
                await r.read()
                assert r.status == 200, r.status
            lat.append((time.perf_counter() - t) * 1000)
        done = 0
        stop = time.perf_counter() + seconds

        async def client(c: int) -> None:
            nonlocal done
            i = c
            while time.perf_counter() < stop:
                async with session.post(url, json={"query": f"{queries[i % len(queries)]} {i}", "k": 5}) as r:
                    await r.read()
                done += 1
                i += clients

        t0 = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        qps = done / (time.perf_counter() - t0)
    return {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)), "qps": qps}


def start_server(index_dir: Path, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "index.cli",
            "serve",
            "--index",
            str(index_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    import urllib.request

    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not become healthy")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--catalog", type=Path)
    ap.add_argument("--devset", default=str(ROOT / "bench" / "data" / "devset.jsonl"))
    ap.add_argument("--model-dir")
    ap.add_argument("--workdir", default=str(ROOT / "var" / "bench" / "speed"))
    ap.add_argument("--approx-threshold", type=int, default=20000)
    ap.add_argument("--requests", type=int, default=200, help="sequential requests for the latency figures")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of the concurrent qps run")
    ap.add_argument("--workers", type=int, default=2, help="service thread-pool size")
    ap.add_argument(
        "--query-encoder",
        choices=["onnx-int8", "onnx", "torch"],
        help="KC_QUERY_ENCODER for the service and the in-process figures (default: the service default)",
    )
    args = ap.parse_args()
    if args.query_encoder:
        os.environ["KC_QUERY_ENCODER"] = args.query_encoder

    import faiss

    from index.build import build_index, load_encoder, load_query_encoder, passage_text
    from index.loaded_index import LoadedIndex

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    courses = demo_courses(args.catalog)
    encoder = load_encoder(args.model_dir)  # torch fp32: passages, as in a real build
    query_encoder = load_query_encoder(args.model_dir)
    print(
        f"query encoder: {query_encoder.name} (KC_QUERY_ENCODER), "
        f"{os.environ.get('KC_ENCODER_THREADS', '1')} intra-op thread(s) (KC_ENCODER_THREADS); "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    texts = [passage_text(c) for c in courses]
    key = hashlib.sha256(json.dumps([texts, encoder.identity], sort_keys=True).encode()).hexdigest()[:16]
    cache = work / f"real-vectors-{key}.npz"
    if cache.is_file():  # encoding is slow: reuse real vectors and measured time of an earlier run
        data = np.load(cache)
        real_vecs, enc_s = data["vectors"], float(data["seconds"])
        print(f"(real passage vectors and encoding time reused from {cache.name})")
    else:
        t = time.perf_counter()
        real_vecs = encoder.encode_passages(texts)
        enc_s = time.perf_counter() - t
        np.savez(cache, vectors=real_vecs, seconds=enc_s)
    print(
        f"real e5 passage encoding: {len(courses)} demo courses in {enc_s:.1f}s = "
        f"{len(courses) / enc_s:.1f} courses/s"
        f" (2 cores shared; this dominates a real build)"
    )
    if Path(args.devset).is_file():
        queries = [json.loads(x)["query"] for x in open(args.devset, encoding="utf-8") if x.strip()]
    else:
        queries = [" ".join(c["title"].split()[:4]) for c in courses]
    print(f"queries: {len(queries)} ({'dev set' if Path(args.devset).is_file() else 'title prefixes'})")
    print(
        "NOTE: catalogs below are SYNTHETIC copies of the demo catalog with derived (not e5-encoded) vectors."
    )

    for n in [int(x) for x in args.sizes.split(",")]:
        syn, vecs = synthesize(courses, real_vecs, n)
        cat_path = work / f"catalog-{n}.jsonl"
        with open(cat_path, "w", encoding="utf-8") as fh:
            for c in syn:
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
        table = {passage_text(c): v for c, v in zip(syn, vecs, strict=True)}
        out = work / f"index-{n}"
        t = time.perf_counter()
        result = build_index(
            cat_path,
            out,
            encoder=SyntheticEncoder(encoder, table),
            approx_threshold=args.approx_threshold,
            force=True,
        )
        build_s = time.perf_counter() - t
        manifest = json.loads((result.version_dir / "manifest.json").read_text(encoding="utf-8"))
        idx_info = manifest["index"]
        print(
            f"\n== {n} courses: index {idx_info['type']}, build {build_s:.1f}s without encoding "
            f"({n / build_s:.0f} courses/s; BM25 {manifest['timings']['bm25_s']}s); with real encoding "
            f"~{n / (n / (len(courses) / enc_s) + build_s):.1f} courses/s"
        )
        index_mb = index_memory_mb(result.version_dir)
        loaded = LoadedIndex(result.version_dir)
        disk_mb = sum(f.stat().st_size for f in result.version_dir.iterdir()) / 2**20
        print(f"index memory (RSS growth when loading): {index_mb:.0f} MB; on disk {disk_mb:.0f} MB")
        if idx_info["type"] != "flat_ip":
            qv = query_encoder.encode_queries(queries)
            exact = np.argsort(-(qv @ loaded.vectors.T), axis=1)[:, :10]
            _, approx = loaded.faiss.search(np.ascontiguousarray(qv), 10)
            rec = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
            print(
                f"HNSW recall@10 vs exact: {rec:.3f} on {len(queries)} real queries, "
                f"{idx_info['recall_at_10_vs_exact']:.3f} at build (min over probe sets: "
                f"catalog-derived e5 queries, perturbed docs) "
                f"(efSearch {idx_info['ef_search']})"
            )
        del loaded
        enc_ms, search_ms = breakdown(out, query_encoder, queries)
        print(
            f"in-process: query encoding p50 {np.percentile(enc_ms, 50):.1f} / p95 "
            f"{np.percentile(enc_ms, 95):.1f} ms; "
            f"search without encoding p50 {np.percentile(search_ms, 50):.1f} / p95 "
            f"{np.percentile(search_ms, 95):.1f} ms"
        )
        port = free_port()
        server = start_server(out, port, args.workers)
        try:
            res = asyncio.run(http_bench(port, queries, args.requests, args.clients, args.seconds))
            srv_rss, srv_hwm = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(
            f"HTTP /search k=5: p50 {res['p50']:.1f} ms, p95 {res['p95']:.1f} ms "
            f"(sequential, {args.requests} req); "
            f"{res['qps']:.1f} qps with {args.clients} concurrent clients ({args.workers} worker threads)"
        )
        print(
            f"service process: RSS {srv_rss:.0f} MB, peak {srv_hwm:.0f} MB (model + index); "
            f"load average {os.getloadavg()[0]:.2f}"
        )
    print(
        f"\nbench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
        f"faiss {faiss.__version__}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
