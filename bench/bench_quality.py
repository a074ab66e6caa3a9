"""Retrieval quality on the graded dev set: nDCG@5, Recall@10, MRR@10 for bm25, dense and fused.

    python bench/bench_quality.py [--devset bench/data/devset.jsonl] (--index DIR | --catalog FILE)

With --catalog the index is built (or reused) in var/bench/quality-index. Also reports how the calibrated
"nothing fits" threshold behaves: dev queries wrongly flagged, held-out off-topic queries correctly flagged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

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
    """Encodes each text once across the compared methods; with ``cache_file`` also across runs
    (vectors keyed by model identity, prompt kind and text, stored as .npz under var/bench)."""

    def __init__(self, inner, cache_file: Path | None = None) -> None:
        self.inner, self.identity = inner, inner.identity
        self.cache_file = cache_file
        self.cache: dict[str, Any] = {}
        self._dirty = False
        if cache_file is not None and cache_file.is_file():
            import numpy as np

            with np.load(cache_file) as stored:
                self.cache = {key: stored[key] for key in stored.files}

    def _key(self, kind: str, text: str) -> str:
        raw = json.dumps([self.identity, kind, text], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def _encode(self, texts, kind: str):
        import numpy as np

        keys = [self._key(kind, t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}
        if missing:
            encode = self.inner.encode_queries if kind == "query" else self.inner.encode_passages
            for k, v in zip(missing, encode(list(missing.values())), strict=True):
                self.cache[k] = v
            self._dirty = True
        return np.stack([self.cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    def encode_queries(self, texts):
        return self._encode(texts, "query")

    def encode_passages(self, texts):
        return self._encode(texts, "passage")

    def save(self) -> None:
        """Write the cache file (atomically) when new vectors were encoded."""
        import numpy as np

        if self.cache_file is None or not self._dirty:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, **self.cache)
        os.replace(tmp, self.cache_file)
        self._dirty = False


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
        "--no-vector-cache",
        action="store_true",
        help="do not read/write var/bench/quality-vectors.npz (encoded queries and passages)",
    )
    args = ap.parse_args()

    from index.build import build_index, load_encoder
    from index.search import Searcher

    devset = [d for d in load_devset(Path(args.devset)) if d.get("relevant")]
    cache_file = None if args.no_vector_cache else ROOT / "var" / "bench" / "quality-vectors.npz"
    encoder = CachedEncoder(load_encoder(args.model_dir), cache_file)
    index_dir = Path(args.index) if args.index else ROOT / "var" / "bench" / "quality-index"
    if not args.index:
        result = build_index(args.catalog, index_dir, encoder=encoder)
        print(f"index: {result.status} ({result.n_courses} courses) at {index_dir}", file=sys.stderr)
        encoder.save()
    searcher = Searcher(index_dir, encoder=encoder)
    default_fusion = searcher.fusion
    n = searcher.health()["courses"]
    print(f"dev set: {args.devset} ({len(devset)} graded queries), index: {n} courses")
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
    encoder.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
