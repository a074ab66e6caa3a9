"""Retrieval quality on the graded query sets: nDCG@5, Recall@10, MRR@10 for bm25, dense and fused.

    python bench/bench_quality.py [--split dev|test|both] [--model-dir DIR] (--index DIR | --catalog FILE)

Two splits (bench/data/README.md): ``dev`` (bench/data/devset.jsonl) is for tuning; ``test``
(bench/data/testset.jsonl, written and graded blind) is only ever reported, never used to choose weights,
thresholds, prompts or training data. The default is dev; --cv, --oracle and --weak run on dev only.

With --catalog the index is built (or reused) in var/bench/quality-index-<model> (passages: torch fp32, as in
``make index``); queries are encoded like the service does (KC_QUERY_ENCODER, or --query-encoder). The model
is the index runtime's (KC_MODEL_DIR, else e5/models.json), or --model-dir. Also reports how
the calibrated "nothing fits" threshold behaves: queries wrongly flagged, held-out off-topic queries
correctly flagged.
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
        # The ONNX query encoders share the model identity with torch but not its exact vectors.
        encoder_name = getattr(self.inner, "name", "torch")
        raw = json.dumps(
            [self.identity, encoder_name, kind, text], sort_keys=True, ensure_ascii=False, default=str
        )
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


METHODS = (
    ("bm25", False),
    ("dense", False),
    ("rrf", False),
    ("linear", False),
    ("rrf", True),
    ("linear", True),
)
GRID_DENSE_WEIGHT = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
GRID_FEEDBACK_WEIGHT = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
Scores = list[tuple[float, float, float]]  # per query: nDCG@5, Recall@10, MRR@10


def per_query(searcher, devset: list[dict]) -> Scores:
    """nDCG@5, Recall@10 and MRR@10 of every dev query for the searcher's current settings."""
    out = []
    for item in devset:
        ranked = [r["id"] for r in searcher.search(item["query"], k=10)["results"]]
        rel = item["relevant"]
        out.append((ndcg_at(ranked, rel, 5), recall_at(ranked, rel, 10), mrr_at(ranked, rel, 10)))
    return out


def means(scores: Scores) -> tuple[float, float, float]:
    n = max(len(scores), 1)
    return tuple(sum(s[i] for s in scores) / n for i in range(3))  # type: ignore[return-value]


def print_styles(devset: list[dict], by_method: dict[str, Scores]) -> None:
    """nDCG@5 per query style (rows) and method (columns)."""
    styles = sorted({d.get("style", "-") for d in devset})
    print("nDCG@5 by query style")
    print(f"{'style':<19}" + "".join(f"{m:>19}" for m in by_method))
    for st in styles:
        cells = []
        for scores in by_method.values():
            vals = [s[0] for s, d in zip(scores, devset, strict=True) if d.get("style", "-") == st]
            cells.append(f"{sum(vals) / len(vals):>19.3f}")
        n = sum(d.get("style", "-") == st for d in devset)
        print(f"{st + f' (n={n})':<19}" + "".join(cells))


def print_style_metrics(devset: list[dict], scores: Scores, label: str) -> None:
    """All three metrics per query style for one method (the served ranking)."""
    print(f"{label}: nDCG@5 / Recall@10 / MRR@10 by query style")
    for st in sorted({d.get("style", "-") for d in devset}):
        vals = means([s for s, d in zip(scores, devset, strict=True) if d.get("style", "-") == st])
        n = sum(d.get("style", "-") == st for d in devset)
        print(f"  {st + f' (n={n})':<19}" + "".join(f"{v:>9.3f}" for v in vals))
    print(f"  {'all' + f' (n={len(devset)})':<19}" + "".join(f"{v:>9.3f}" for v in means(scores)))


def cross_validate(searcher, devset: list[dict], k: int) -> None:
    """K-fold CV: per fold, pick (dense_weight, feedback_weight) with the best mean nDCG@5 of the served
    ranking (fusion + MMR) on the other folds, evaluate on the held-out fold; report the pooled held-out
    figures. Folds are every k-th query, so each fold holds the same mix of styles."""
    grid = [(w, f) for w in GRID_DENSE_WEIGHT for f in GRID_FEEDBACK_WEIGHT]
    served: dict[tuple[float, float], Scores] = {}
    plain: dict[tuple[float, float], Scores] = {}
    for params in grid:
        searcher.dense_weight, searcher.feedback_weight = params
        searcher.mmr = True
        served[params] = per_query(searcher, devset)
        searcher.mmr = False
        plain[params] = per_query(searcher, devset)
    held_served: list[tuple[float, float, float] | None] = [None] * len(devset)
    held_plain: list[tuple[float, float, float] | None] = [None] * len(devset)
    print(
        f"{k}-fold cross-validation over dense_weight {GRID_DENSE_WEIGHT} "
        f"x feedback_weight {GRID_FEEDBACK_WEIGHT}"
    )
    for fold in range(k):
        train = [i for i in range(len(devset)) if i % k != fold]
        test = [i for i in range(len(devset)) if i % k == fold]
        best = max(grid, key=lambda p: sum(served[p][i][0] for i in train))
        for i in test:
            held_served[i], held_plain[i] = served[best][i], plain[best][i]
        held = means([served[best][i] for i in test])[0]
        print(
            f"  fold {fold + 1}: chosen dense_weight {best[0]}, feedback_weight {best[1]}; "
            f"held-out nDCG@5 {held:.3f}"
        )
    print("  in-sample nDCG@5 of the served ranking (rows dense_weight, columns feedback_weight):")
    for w in GRID_DENSE_WEIGHT:
        row = "".join(f"{means(served[(w, f)])[0]:>7.3f}" for f in GRID_FEEDBACK_WEIGHT)
        print(f"    {w:<5}{row}")
    full = max(grid, key=lambda p: sum(s[0] for s in served[p]))
    print(f"  chosen on all queries (use as defaults): dense_weight {full[0]}, feedback_weight {full[1]}")
    pooled = {"fused (held-out)": held_plain, "served (held-out)": held_served}
    for label, scores in pooled.items():
        vals = means([s for s in scores if s is not None])
        print(f"{label:<22}" + "".join(f"{v:>{w}.3f}" for v, w in zip(vals, (9, 11, 9), strict=True)))
    print_styles(devset, {m: [s for s in sc if s is not None] for m, sc in pooled.items()})


ORACLE_DENSE_WEIGHT = tuple(round(0.1 * i, 1) for i in range(11))  # 0.0 = BM25 alone, 1.0 = dense alone
ORACLE_FEEDBACK_WEIGHT = (0.0, 1.0, 2.0)


def fusion_oracle(searcher, devset: list[dict]) -> float:
    """Upper bound of weighted fusion of these two signals: for every query the best nDCG@5 of the served
    ranking over all (dense_weight, feedback_weight) settings, as if the weights were chosen per query
    with the answers known. No single setting can do better; a better ranking needs a better signal."""
    grid = [(w, f) for w in ORACLE_DENSE_WEIGHT for f in ORACLE_FEEDBACK_WEIGHT]
    scores = {}
    for params in grid:
        searcher.dense_weight, searcher.feedback_weight = params
        scores[params] = [s[0] for s in per_query(searcher, devset)]
    best = [max(scores[p][i] for p in grid) for i in range(len(devset))]
    single = max(grid, key=lambda p: sum(scores[p]))
    print(
        f"fusion oracle over dense_weight {ORACLE_DENSE_WEIGHT[0]}..{ORACLE_DENSE_WEIGHT[-1]} "
        f"x feedback_weight {ORACLE_FEEDBACK_WEIGHT} (served ranking, {len(grid)} settings):"
    )
    print(
        f"  best single setting {single}: nDCG@5 {sum(scores[single]) / len(devset):.3f}; "
        f"per-query best (upper bound): nDCG@5 {sum(best) / len(devset):.3f}"
    )
    for st in sorted({d.get("style", "-") for d in devset}):
        vals = [b for b, d in zip(best, devset, strict=True) if d.get("style", "-") == st]
        print(f"    {st:<12} upper bound nDCG@5 {sum(vals) / len(vals):.3f}")
    return sum(best) / len(devset)


WEAK_SHARES = (0.0, 0.25, 0.3, 0.35, 0.4, 0.5)


def weak_results(searcher, devset: list[dict]) -> None:
    """What leaving out "weak" results does to the five offers a chat shows: offers left per query, share
    of them that are relevant, and relevant offers lost (grade 2 = on target, 1 = related). Also with the
    hard filter format=online, where the catalog holds fewer fitting offers."""
    print("weak results (served top 5; weak: below weak_share x the relevance of the catalog's best course):")
    header = ("filters", "weak_share", "shown/query", "relevant", "lost g2", "lost g1")
    widths = (11, 13, 10, 10, 10)
    print(f"  {header[0]:<16}" + "".join(f"{h:>{w}}" for h, w in zip(header[1:], widths, strict=True)))
    for label, filters in (("none", None), ("format=online", {"format": "online"})):
        for share in WEAK_SHARES:
            searcher.weak_share = share
            shown = relevant = 0
            lost = {1: 0, 2: 0}
            total = {1: 0, 2: 0}
            for item in devset:
                for r in searcher.search(item["query"], k=5, filters=filters)["results"]:
                    grade = item["relevant"].get(r["id"], 0)
                    if grade:
                        total[grade] += 1
                        lost[grade] += r["weak"]
                    if not r["weak"]:
                        shown += 1
                        relevant += grade > 0
            print(
                f"  {label:<16}{share:>11.2f}{shown / len(devset):>13.2f}{relevant / max(shown, 1):>10.2f}"
                f"{f'{lost[2]}/{total[2]}':>10}{f'{lost[1]}/{total[1]}':>10}"
            )


def _fits(result: dict, prefs: dict) -> bool:
    if "format" in prefs and result.get("format") != prefs["format"]:
        return False
    if "level" in prefs and result.get("level") != prefs["level"]:
        return False
    cost = result.get("cost_eur")
    return not ("max_cost_eur" in prefs and (cost is None or cost > prefs["max_cost_eur"]))


SPLITS = {
    "dev": ROOT / "bench" / "data" / "devset.jsonl",
    "test": ROOT / "bench" / "data" / "testset.jsonl",
}


def report_split(searcher, name: str, queries: list[dict]) -> dict[str, Scores]:
    """Every method on one split: overall table, nDCG@5 per style, all metrics per style (served)."""
    default_fusion = searcher.fusion
    print(f"== {name}: {len(queries)} graded queries")
    print(f"{'method':<22}{'nDCG@5':>9}{'Recall@10':>11}{'MRR@10':>9}")
    by_method: dict[str, Scores] = {}
    for fusion, mmr in METHODS:
        searcher.fusion, searcher.mmr = fusion, mmr
        label = fusion + (" + MMR" if mmr else "")
        by_method[label] = per_query(searcher, queries)
        print(
            f"{label:<22}"
            + "".join(f"{v:>{w}.3f}" for v, w in zip(means(by_method[label]), (9, 11, 9), strict=True))
        )
    searcher.fusion, searcher.mmr = default_fusion, True
    served = f"{default_fusion} + MMR"
    print_styles(queries, {m: by_method[m] for m in ("bm25", "dense", default_fusion, served)})
    print_style_metrics(queries, by_method[served], f"served ({served})")
    flagged = sum(searcher.search(item["query"], k=10)["no_good_match"] for item in queries)
    print(f"{name} queries flagged 'nothing fits': {flagged}/{len(queries)}")
    with_prefs = [d for d in queries if d.get("prefs")]
    if with_prefs:
        share, n_top = 0.0, 0
        for item in with_prefs:
            top = searcher.search(item["query"], k=5)["results"]
            share += sum(_fits(r, item["prefs"]) for r in top)
            n_top += len(top)
        print(
            f"preferences: {share / max(n_top, 1):.2f} of the top-5 results fit the stated preference "
            f"({len(with_prefs)} queries with prefs, served)"
        )
    return by_method


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["dev", "test", "both"], default="dev",
                    help="dev (tuning, default), test (report only) or both")
    ap.add_argument("--devset", default=str(SPLITS["dev"]), help="the dev split's file")
    ap.add_argument("--testset", default=str(SPLITS["test"]), help="the test split's file")
    ap.add_argument("--index", help="existing index directory")
    ap.add_argument("--catalog", default=str(ROOT / "index" / "data" / "catalog.jsonl"))
    ap.add_argument(
        "--model-dir", help="e5 model folder (default: the index runtime's, KC_MODEL_DIR or e5/models.json)"
    )
    ap.add_argument(
        "--query-encoder",
        choices=["onnx-int8", "onnx", "torch"],
        help="encoder for the queries (default: as the service, KC_QUERY_ENCODER or this CPU's default)",
    )
    ap.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="dev only: K-fold cross-validation of dense_weight x feedback_weight (served fusion + MMR)",
    )
    ap.add_argument("--weak", action="store_true", help="dev only: what leaving out weak results does")
    ap.add_argument(
        "--oracle", action="store_true", help="dev only: per-query upper bound of weighted fusion"
    )
    ap.add_argument(
        "--no-problem-terms",
        action="store_true",
        help="search without the topic words for told problems (index/data/problem_terms.yml)",
    )
    ap.add_argument(
        "--no-vector-cache",
        action="store_true",
        help="do not read/write var/bench/quality-vectors*.npz (encoded queries and passages)",
    )
    args = ap.parse_args()
    if args.query_encoder:
        os.environ["KC_QUERY_ENCODER"] = args.query_encoder
    if args.split == "test" and (args.cv or args.weak or args.oracle):
        ap.error("--cv, --weak and --oracle choose settings: they run on the dev split only")

    from index.build import build_index, load_encoder, load_query_encoder
    from index.models import index_model_dir
    from index.search import Searcher

    model_dir = Path(args.model_dir) if args.model_dir else index_model_dir()
    splits = {"dev": args.devset, "test": args.testset}
    wanted = ["dev", "test"] if args.split == "both" else [args.split]
    sets = {name: [d for d in load_devset(Path(splits[name])) if d.get("relevant")] for name in wanted}
    cache_file = None if args.no_vector_cache else ROOT / "var" / "bench" / "quality-vectors.npz"
    encoder = CachedEncoder(load_encoder(model_dir), cache_file)
    queries = load_query_encoder(model_dir)
    query_cache = cache_file.with_name(f"quality-vectors-{queries.name}.npz") if cache_file else None
    query_encoder = encoder if queries.name == "torch" else CachedEncoder(queries, query_cache)
    index_dir = Path(args.index) if args.index else ROOT / "var" / "bench" / f"quality-index-{model_dir.name}"
    if not args.index:
        result = build_index(args.catalog, index_dir, encoder=encoder)
        print(f"index: {result.status} ({result.n_courses} courses) at {index_dir}", file=sys.stderr)
        encoder.save()
    searcher = Searcher(index_dir, encoder=query_encoder, problem_terms=not args.no_problem_terms)
    defaults = (searcher.dense_weight, searcher.feedback_weight)
    default_weak = searcher.weak_share
    default_fusion = searcher.fusion
    n = searcher.health()["courses"]
    print(f"model: {model_dir} ({encoder.identity.get('adapter', {}).get('name', 'no adapter')}), "
          f"index: {n} courses, query encoder: {queries.name}")
    print(
        f"parameters: dense_weight {searcher.dense_weight}, feedback_weight {searcher.feedback_weight}, "
        f"weak_share {searcher.weak_share} (index defaults)"
    )
    for name, items in sets.items():
        if name == "test":
            print("(test split: figures are reported, never used to choose anything)")
        report_split(searcher, name, items)
    devset = sets.get("dev")
    if devset:
        if args.cv:
            cross_validate(searcher, devset, args.cv)
            searcher.fusion, searcher.mmr = default_fusion, True
            searcher.dense_weight, searcher.feedback_weight = defaults
        if args.weak:
            weak_results(searcher, devset)
            searcher.weak_share = default_weak
        if args.oracle:
            bm25 = Searcher(
                index_dir, encoder=query_encoder, fusion="bm25", problem_terms=not args.no_problem_terms
            )
            bm25_ndcg = means(per_query(bm25, devset))[0]
            bound = fusion_oracle(searcher, devset)
            print(f"  upper bound / bm25: {bound / bm25_ndcg:.3f}")
            searcher.dense_weight, searcher.feedback_weight = defaults
    flagged_off = sum(searcher.search(q, k=5)["no_good_match"] for q in OFF_TOPIC_TEST)
    manifest = searcher.index().manifest["no_match"]
    print(
        f"no-match threshold {manifest['threshold']:.4f} (calibrated at build): "
        f"held-out off-topic flagged {flagged_off}/{len(OFF_TOPIC_TEST)}"
    )
    encoder.save()
    if query_encoder is not encoder:
        query_encoder.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
