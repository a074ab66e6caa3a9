"""Retrieval quality on the graded dev set: nDCG@5, Recall@10, MRR@10 for bm25, dense and fused.

    python bench/bench_quality.py [--devset bench/data/devset.jsonl] (--index DIR | --catalog FILE)

With --catalog the index is built (or reused) in var/bench/quality-index (passages: torch fp32, as in
``make index``); queries are encoded like the service does (KC_QUERY_ENCODER, or --query-encoder).
Also reports how the calibrated "nothing fits" threshold behaves: dev queries wrongly flagged, held-out
off-topic queries correctly flagged.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Held out: not the probes used for calibration in index/build.py.
OFF_TOPIC_TEST = [
    "Wo kann ich am Sonntag Brötchen kaufen?",
    "Tipps für die Steuererklärung meiner Oma",
    "Rasen vertikutieren im Frühjahr",
    "Wie lange kocht ein Frühstücksei?",
    "Champions League Finale Tickets",
    "Welcher Wein passt zu Fisch?",
    "Handy Akku hält nicht lange",
    "Flohmarkt am Wochenende in Köln",
    "Hochzeitstorte bestellen",
    "Wie alt werden Schildkröten?",
    "Camping an der Nordsee mit Kindern",
    "Weihnachtsgeschenke für Kollegen basteln",
    "Sudoku Lösungsstrategien",
    "Klavier stimmen lassen Kosten",
    "Marmelade einkochen ohne Zucker",
    "Die besten Horrorfilme aller Zeiten",
]


def load_devset(path: Path) -> list[dict]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                items.append(json.loads(line))
    return items


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    dcg = sum((2 ** rel.get(cid, 0) - 1) / math.log2(i + 2) for i, cid in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    wanted = {c for c, g in rel.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    for i, cid in enumerate(ranked[:k]):
        if rel.get(cid, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


class CachedEncoder:
    """Encodes each query once across the compared methods."""

    def __init__(self, inner) -> None:
        self.inner, self.identity, self.cache = inner, inner.identity, {}

    def encode_queries(self, texts):
        import numpy as np

        missing = [t for t in texts if t not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.encode_queries(missing), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts])

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)


def _fits(result: dict, prefs: dict) -> bool:
    if "format" in prefs and result.get("format") != prefs["format"]:
        return False
    if "level" in prefs and result.get("level") != prefs["level"]:
        return False
    cost = result.get("cost_eur")
    return not ("max_cost_eur" in prefs and (cost is None or cost > prefs["max_cost_eur"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", default=str(ROOT / "bench" / "data" / "devset.jsonl"))
    ap.add_argument("--index", help="existing index directory")
    ap.add_argument("--catalog", default=str(ROOT / "index" / "data" / "catalog.jsonl"))
    ap.add_argument("--model-dir")
    ap.add_argument(
        "--query-encoder",
        choices=["onnx-int8", "onnx", "torch"],
        help="encoder for the dev queries (default: as the service, KC_QUERY_ENCODER or onnx-int8)",
    )
    args = ap.parse_args()
    if args.query_encoder:
        os.environ["KC_QUERY_ENCODER"] = args.query_encoder

    from index.build import build_index, load_encoder, load_query_encoder
    from index.search import Searcher

    devset = [d for d in load_devset(Path(args.devset)) if d.get("relevant")]
    encoder = CachedEncoder(load_encoder(args.model_dir))
    queries = load_query_encoder(args.model_dir)
    query_encoder = encoder if queries.name == "torch" else CachedEncoder(queries)
    index_dir = Path(args.index) if args.index else ROOT / "var" / "bench" / "quality-index"
    if not args.index:
        result = build_index(args.catalog, index_dir, encoder=encoder)
        print(f"index: {result.status} ({result.n_courses} courses) at {index_dir}", file=sys.stderr)
    searcher = Searcher(index_dir, encoder=query_encoder)
    default_fusion = searcher.fusion
    n = searcher.health()["courses"]
    print(
        f"dev set: {args.devset} ({len(devset)} graded queries), index: {n} courses, "
        f"query encoder: {queries.name}"
    )
    print(f"{'method':<22}{'nDCG@5':>9}{'Recall@10':>11}{'MRR@10':>9}")
    flagged_dev = 0
    for fusion, mmr in (
        ("bm25", False),
        ("dense", False),
        ("rrf", False),
        ("linear", False),
        ("rrf", True),
        ("linear", True),
    ):
        searcher.fusion, searcher.mmr = fusion, mmr
        nd = rc = mr = 0.0
        for item in devset:
            res = searcher.search(item["query"], k=10)
            ranked = [r["id"] for r in res["results"]]
            nd += ndcg_at(ranked, item["relevant"], 5)
            rc += recall_at(ranked, item["relevant"], 10)
            mr += mrr_at(ranked, item["relevant"], 10)
            if fusion == default_fusion and mmr:
                flagged_dev += res["no_good_match"]
        label = fusion + (" + MMR" if mmr else "")
        m = len(devset)
        print(f"{label:<22}{nd / m:>9.3f}{rc / m:>11.3f}{mr / m:>9.3f}")
    searcher.fusion, searcher.mmr = default_fusion, True
    styles: dict[str, list[float]] = {}
    for item in devset:
        ranked = [r["id"] for r in searcher.search(item["query"], k=10)["results"]]
        styles.setdefault(item.get("style", "-"), []).append(ndcg_at(ranked, item["relevant"], 5))
    print(
        "nDCG@5 by query style ("
        + default_fusion
        + " + MMR): "
        + ", ".join(f"{st} {sum(v) / len(v):.3f} (n={len(v)})" for st, v in sorted(styles.items()))
    )
    with_prefs = [d for d in devset if d.get("prefs")]
    if with_prefs:
        share, n_top = 0.0, 0
        for item in with_prefs:
            top = searcher.search(item["query"], k=5)["results"]
            share += sum(_fits(r, item["prefs"]) for r in top)
            n_top += len(top)
        print(
            f"preferences: {share / max(n_top, 1):.2f} of the top-5 results fit the stated preference "
            f"({len(with_prefs)} queries with prefs, {default_fusion} + MMR)"
        )
    flagged_off = sum(searcher.search(q, k=5)["no_good_match"] for q in OFF_TOPIC_TEST)
    manifest = searcher.index().manifest["no_match"]
    print(
        f"no-match threshold {manifest['threshold']:.4f} (calibrated at build): "
        f"dev queries flagged {flagged_dev}/{len(devset)}, "
        f"held-out off-topic flagged {flagged_off}/{len(OFF_TOPIC_TEST)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
