"""Pooling for the label audit: top-k of BM25, dense and the served fusion for every dev query; lists the
pooled courses that have no grade yet, in a system-blind order (sorted by course id, no system names).

    python bench/pool_unjudged.py [--depth 10] [--out var/bench/pool.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_quality import CachedEncoder, load_devset  # noqa: E402

POOLED_SYSTEMS = (("bm25", False), ("dense", False), ("linear", False), ("linear", True))


def pooled_ids(searcher, query: str, depth: int) -> set[str]:
    """Union of the top-``depth`` ids of every pooled system."""
    pool: set[str] = set()
    for fusion, mmr in POOLED_SYSTEMS:
        searcher.fusion, searcher.mmr = fusion, mmr
        pool.update(r["id"] for r in searcher.search(query, k=depth)["results"])
    return pool


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", default=str(ROOT / "bench" / "data" / "devset.jsonl"))
    ap.add_argument("--index", default=str(ROOT / "var" / "bench" / "quality-index"))
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "var" / "bench" / "pool.jsonl"))
    ap.add_argument("--model-dir")
    args = ap.parse_args()

    from index.build import load_encoder
    from index.search import Searcher

    encoder = CachedEncoder(load_encoder(args.model_dir), ROOT / "var" / "bench" / "quality-vectors.npz")
    searcher = Searcher(args.index, encoder=encoder)
    n_unjudged = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for item in load_devset(Path(args.devset)):
            pool = pooled_ids(searcher, item["query"], args.depth)
            unjudged = sorted(pool - set(item["relevant"]))
            n_unjudged += len(unjudged)
            row = {"qid": item["qid"], "query": item["query"], "pool": len(pool), "unjudged": unjudged}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    encoder.save()
    print(f"{n_unjudged} pooled courses without a grade written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
