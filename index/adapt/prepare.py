"""Build the training pairs and remove near duplicates of the dev and test queries.

    python -m index.adapt.prepare [--inspect-dev 30]

Reads the shipped sources (``third_party/esco/adapt_*.csv``, ``index/data/catalog.jsonl``,
``index/adapt/data/problems.jsonl``), builds the pairs (``index.adapt.pairs``), drops every pair whose query
is a near duplicate of a dev or test query (``index.adapt.overlap``, base model cosines from its ONNX export)
and writes ``index/adapt/data/pairs.jsonl`` plus ``index/adapt/data/overlap_report.json`` (counts per source,
every removed training text with the id of the evaluation query it resembles). Only dev pairs can be printed
(``--inspect-dev``): test queries are never shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from index import catalog as cat
from index.adapt import overlap
from index.adapt.pairs import DATA_DIR, ROOT, Pair, all_pairs, load_problems, write_pairs

EVAL_SETS = {
    "dev": ROOT / "bench" / "data" / "devset.jsonl",
    "test": ROOT / "bench" / "data" / "testset.jsonl",
}
PAIRS_FILE = DATA_DIR / "pairs.jsonl"
REPORT_FILE = DATA_DIR / "overlap_report.json"


def eval_queries() -> list[tuple[str, str, str]]:
    """(split, qid, query) of every dev and test query."""
    items = []
    for split, path in EVAL_SETS.items():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    items.append((split, row["qid"], row["query"]))
    return items


def prepare(model_dir: Path, inspect_dev: int = 0) -> dict:
    from e5 import OnnxEncoder

    courses = cat.load_catalog(ROOT / "index" / "data" / "catalog.jsonl").courses
    pairs = all_pairs(courses, load_problems())
    texts = sorted({p.query for p in pairs})
    items = eval_queries()
    encoder = OnnxEncoder(model_dir, variant="onnx", threads=2)
    matches = overlap.closest(
        texts, encoder.encode_queries(texts), items, encoder.encode_queries([q for _, _, q in items])
    )
    duplicate = {texts[m.train_index]: m for m in matches if m.duplicate}
    kept = [p for p in pairs if p.query not in duplicate]
    removed = [p for p in pairs if p.query in duplicate]
    write_pairs(PAIRS_FILE, kept)
    report = {
        "thresholds": {
            "cosine": overlap.COSINE,
            "cosine_with_wording": overlap.COSINE_WITH_WORDING,
            "wording_containment": overlap.WORDING,
            "jaccard": overlap.JACCARD,
            "containment": overlap.CONTAINMENT,
            "ngram": overlap.NGRAM,
        },
        "pairs_before": _counts(pairs),
        "pairs_kept": _counts(kept),
        "pairs_removed": _counts(removed),
        "texts_removed_by_split": dict(Counter(m.split for m in duplicate.values())),
        "eval_queries_with_a_duplicate": {
            split: len({m.qid for m in duplicate.values() if m.split == split}) for split in EVAL_SETS
        },
        "removed": [
            {
                "training_text": text,
                "split": m.split,
                "qid": m.qid,
                "cosine": round(m.cosine, 4),
                "jaccard": round(m.jaccard, 3),
                "containment": round(m.containment, 3),
            }
            for text, m in sorted(duplicate.items(), key=lambda kv: (kv[1].split, kv[1].qid, kv[0]))
        ],
    }
    REPORT_FILE.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if inspect_dev:
        _inspect(texts, matches, items, inspect_dev)
    return report


def _counts(pairs: list[Pair]) -> dict[str, int]:
    counts = Counter(f"{p.source}/{p.kind}" for p in pairs)
    return dict(sorted(counts.items())) | {"total": len(pairs)}


def _inspect(
    texts: list[str], matches: list[overlap.Match], items: list[tuple[str, str, str]], n: int
) -> None:
    """The n dev matches closest to a threshold, with both texts (dev only)."""
    query = {(split, qid): q for split, qid, q in items}
    dev = sorted((m for m in matches if m.split == "dev"), key=overlap._strength, reverse=True)[:n]
    for m in dev:
        flag = "DUP" if m.duplicate else "   "
        print(
            f"{flag} cos {m.cosine:.3f} jac {m.jaccard:.2f} con {m.containment:.2f} | "
            f"{texts[m.train_index][:90]!r} ~ {m.qid} {query[('dev', m.qid)][:90]!r}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=ROOT / "var" / "models" / "multilingual-e5-small",
        help="the base model (its fp32 ONNX export gives the cosines)",
    )
    parser.add_argument(
        "--inspect-dev",
        type=int,
        default=0,
        metavar="N",
        help="print the N dev matches closest to a threshold (never test)",
    )
    args = parser.parse_args(argv)
    report = prepare(args.model_dir, args.inspect_dev)
    print(
        f"pairs: {report['pairs_before']['total']} built, {report['pairs_removed']['total']} removed as near "
        f"duplicates, {report['pairs_kept']['total']} written to {PAIRS_FILE.relative_to(ROOT)}"
    )
    for key, n in report["pairs_kept"].items():
        if key != "total":
            print(f"  {key:<40}{n:>6}  (removed {report['pairs_removed'].get(key, 0)})")
    print(f"evaluation queries with a near duplicate: {report['eval_queries_with_a_duplicate']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
