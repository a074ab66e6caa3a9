"""The ESCO rows of the adaptation data: reading the shipped subsets, and (maintainers only) extracting them.

Shipped: ``third_party/esco/adapt_knowledge.csv``, ``adapt_transversal.csv``, ``adapt_occupations.csv``
(unmodified rows of the converted German ESCO vocabularies, attribution in ``third_party/esco/NOTICE.md``).
Nothing reads a full ESCO copy at setup, run or test time; ``extract`` is run by a maintainer::

    python -m index.adapt.esco extract --esco-dir <folder with escoKnowledge.csv, escoTransversal.csv,
                                                   escoOccupations.csv>

Selection (fixed rules, no dev or test query involved):

* knowledge and transversal concepts: every concept a catalog course names by its ESCO URI, plus for every
  course the ``NEIGHBOURS`` concepts (with a definition) nearest to the course text by the base model's cosine
  of ``label: definition`` to the course passage;
* occupations: those of the lookup subset (``occupations_public_admin.csv``) plus, for every distinct target
  group of the catalog, the ``OCCUPATION_NEIGHBOURS`` nearest occupations (with a description).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ESCO_DIR = ROOT / "third_party" / "esco"
SOURCES = {
    "knowledge": "escoKnowledge.csv",
    "transversal": "escoTransversal.csv",
    "occupations": "escoOccupations.csv",
}
SHIPPED = {kind: ESCO_DIR / f"adapt_{kind}.csv" for kind in SOURCES}
LOOKUP_OCCUPATIONS = ESCO_DIR / "occupations_public_admin.csv"
NEIGHBOURS = 6
OCCUPATION_NEIGHBOURS = 3
COLUMNS = (
    "id",
    "exactMatch",
    "prefLabel_de",
    "altLabels_de",
    "definition_de",
    "broader",
    "broader_label_de",
    "notation",
)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a converted ESCO CSV (header ``COLUMNS``)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and set(COLUMNS) - set(rows[0]):
        raise ValueError(f"{path}: expected the columns {', '.join(COLUMNS)}")
    return rows


def shipped(kind: str) -> list[dict[str, str]]:
    """The shipped subset of ``knowledge``, ``transversal`` or ``occupations``."""
    path = SHIPPED[kind]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; a maintainer creates it with 'python -m index.adapt.esco'"
        )
    return read_rows(path)


def alt_labels(row: dict[str, str]) -> list[str]:
    return [a.strip() for a in row.get("altLabels_de", "").split(" | ") if a.strip()]


def concept_text(row: dict[str, str]) -> str:
    """``label: definition`` (the positive of an ESCO pair and the text the selection embeds)."""
    definition = row.get("definition_de", "").strip()
    return f"{row['prefLabel_de'].strip()}: {definition}" if definition else row["prefLabel_de"].strip()


def _nearest(targets: np.ndarray, candidates: np.ndarray, k: int) -> set[int]:
    picked: set[int] = set()
    sims = targets @ candidates.T
    for row in sims:
        picked.update(int(i) for i in np.argsort(-row, kind="stable")[:k])
    return picked


def extract(esco_dir: Path, model_dir: Path) -> dict[str, int]:
    """Select the rows (see module doc) and write the shipped subsets; returns rows per kind."""
    from e5 import OnnxEncoder
    from index import catalog as cat
    from index.build import passage_text

    courses = cat.load_catalog(ROOT / "index" / "data" / "catalog.jsonl").courses
    encoder = OnnxEncoder(model_dir, variant="onnx", threads=2)
    course_vectors = encoder.encode_passages([passage_text(c) for c in courses])
    named = {s["uri"] for c in courses for s in c.get("skills") or [] if isinstance(s, dict)}
    counts: dict[str, int] = {}
    for kind in ("knowledge", "transversal"):
        rows = read_rows(esco_dir / SOURCES[kind])
        with_def = [i for i, r in enumerate(rows) if r["definition_de"].strip()]
        vectors = encoder.encode_passages([concept_text(rows[i]) for i in with_def])
        keep = {i for i, r in enumerate(rows) if r["exactMatch"] in named}
        keep |= {with_def[j] for j in _nearest(course_vectors, vectors, NEIGHBOURS)}
        counts[kind] = _write(SHIPPED[kind], [rows[i] for i in sorted(keep)])
    rows = read_rows(esco_dir / SOURCES["occupations"])
    lookup = {r["exactMatch"] for r in read_rows(LOOKUP_OCCUPATIONS)}
    with_def = [i for i, r in enumerate(rows) if r["definition_de"].strip()]
    vectors = encoder.encode_passages([concept_text(rows[i]) for i in with_def])
    groups = sorted({c["target_group"] for c in courses if c.get("target_group")})
    group_vectors = encoder.encode_queries(groups)
    keep = {i for i, r in enumerate(rows) if r["exactMatch"] in lookup}
    keep |= {with_def[j] for j in _nearest(group_vectors, vectors, OCCUPATION_NEIGHBOURS)}
    counts["occupations"] = _write(SHIPPED["occupations"], [rows[i] for i in sorted(keep)])
    return counts


def _write(path: Path, rows: list[dict[str, str]]) -> int:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["extract"])
    parser.add_argument(
        "--esco-dir", type=Path, required=True, help="folder with the three converted ESCO CSVs"
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=ROOT / "var" / "models" / "multilingual-e5-small",
        help="the base model (its ONNX export is used for the selection)",
    )
    args = parser.parse_args(argv)
    missing = [name for name in SOURCES.values() if not (args.esco_dir / name).is_file()]
    if missing:
        print(f"esco: error: {', '.join(missing)} not found in {args.esco_dir}", file=sys.stderr)
        return 1
    counts = extract(args.esco_dir, args.model_dir)
    print("written: " + ", ".join(f"{SHIPPED[k].name} {n} rows" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
