"""Command line of the course index (``bin/kc-index``).

Operator messages go to stderr in English; ``search --queries`` writes nothing but one JSON line per
query to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from index import catalog as cat

log = logging.getLogger("kc.index.cli")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kc").setLevel(logging.INFO)
    for noisy in ("faiss", "faiss.loader", "spacy", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_validate(args: argparse.Namespace) -> int:
    result = cat.load_catalog(args.catalog)
    for line in cat.format_report(result):
        print(line, file=sys.stderr)
    dest = cat.write_rejected(result, Path(args.rejected) if args.rejected else None)
    print(
        f"{result.path}: {len(result.courses)} valid, {len(result.rejected)} rejected"
        + (f" (written to {dest})" if dest else ""),
        file=sys.stderr,
    )
    return 1 if (result.rejected and args.strict) or not result.courses else 0


def cmd_build(args: argparse.Namespace) -> int:
    from index.build import build_index

    result = build_index(
        args.catalog,
        args.out,
        model_dir=args.model_dir,
        strict=args.strict,
        rejected_path=args.rejected,
        approx_threshold=args.approx_threshold,
        force=args.force,
    )
    if result.rejected_path:
        print(f"{result.n_rejected} rejected row(s) written to {result.rejected_path}", file=sys.stderr)
    if result.status == "up_to_date":
        print("index up to date")
    else:
        print(f"built {result.version_dir.name}: {result.n_courses} courses in {result.seconds:.1f}s")
    return 0


def _searcher(args: argparse.Namespace) -> Any:
    from index.search import Searcher

    return Searcher(args.index, model_dir=args.model_dir, fusion=args.fusion, mmr=not args.no_mmr)


def cmd_search(args: argparse.Namespace) -> int:
    from index.search import QueryError

    filters = json.loads(args.filters) if args.filters else None
    if args.queries:
        return _batch_search(args, filters)
    if not args.text:
        print("error: give a query text or --queries FILE", file=sys.stderr)
        return 2
    searcher = _searcher(args)
    try:
        result = searcher.search(" ".join(args.text), args.k, filters, args.exclude)
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if result["preferences"] or result["applied_filters"]:
        print(f"preferences: {result['preferences']}  filters: {result['applied_filters']}")
    if result["no_good_match"]:
        print("(no good match: the best candidate is below the calibrated threshold)")
    for i, r in enumerate(result["results"], 1):
        facts = ", ".join(
            str(x)
            for x in (
                r["format"],
                r["level"],
                r["duration_hours"] and f"{r['duration_hours']} h",
                r["cost_eur"] is not None and f"{r['cost_eur']} EUR",
            )
            if x
        )
        print(f"{i:2d}. [{r['score']:.3f}] {r['id']}  {r['title']}  ({facts})")
        if r["matched"]:
            print(f"      matched: {', '.join(r['matched'])}")
    return 0


def _batch_search(args: argparse.Namespace, filters: dict[str, Any] | None) -> int:
    out = sys.stdout
    errors = 0
    with contextlib.redirect_stdout(sys.stderr):  # libraries must not write to our stdout
        searcher = _searcher(args)
        with open(args.queries, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    qid, query = item["qid"], item["query"]
                except (ValueError, KeyError, TypeError) as exc:
                    print(f"{args.queries}:{lineno}: skipped, no qid/query ({exc})", file=sys.stderr)
                    errors += 1
                    continue
                if not isinstance(query, str) or not query.strip() or len(query) > 2000:
                    print(f"{args.queries}:{lineno}: empty or invalid query, no results", file=sys.stderr)
                    out.write(json.dumps({"qid": qid, "results": []}, ensure_ascii=False) + "\n")
                    errors += 1
                    continue
                result = searcher.search(query, args.k, filters, args.exclude)
                hits = [{"id": r["id"], "score": r["score"]} for r in result["results"]]
                out.write(json.dumps({"qid": qid, "results": hits}, ensure_ascii=False) + "\n")
                out.flush()
    return 1 if errors else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from index.service import serve

    serve(args.index, args.host, args.port, log_queries=args.log_queries, workers=args.workers)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kc-index", description="KommunalCampus course index")
    p.add_argument("-v", "--verbose", action="store_true", help="more operator logging")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate a catalog (JSON Lines or CSV)")
    v.add_argument("--catalog", required=True)
    v.add_argument("--strict", action="store_true", help="exit 1 when any row is invalid")
    v.add_argument("--rejected", help="where to write rejected rows (default <catalog>.rejected.jsonl)")
    v.set_defaults(func=cmd_validate)

    b = sub.add_parser("build", help="build the index (skipped when up to date)")
    b.add_argument("--catalog", required=True)
    b.add_argument("--out", required=True, help="index directory (versions/ and current are created inside)")
    b.add_argument("--strict", action="store_true", help="refuse the whole import when any row is invalid")
    b.add_argument("--rejected", help="where to write rejected rows (default <catalog>.rejected.jsonl)")
    b.add_argument(
        "--approx-threshold",
        type=int,
        default=20000,
        help="use HNSW instead of exact search above this many courses",
    )
    b.add_argument("--force", action="store_true", help="rebuild even when up to date")
    b.add_argument("--model-dir", help="converted e5 model (default var/models/multilingual-e5-small)")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("search", help="search the index")
    s.add_argument("--index", required=True)
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--json", action="store_true", help="print the full JSON result")
    s.add_argument("--queries", help="batch mode: JSON Lines with qid and query; one result line per query")
    s.add_argument("--filters", help='hard filters as JSON, e.g. \'{"format": ["online"]}\'')
    s.add_argument("--exclude", nargs="*", default=[], help="course ids to leave out")
    s.add_argument("--fusion", default="linear", choices=["rrf", "linear", "dense", "bm25"])
    s.add_argument("--no-mmr", action="store_true", help="no diversification")
    s.add_argument("--model-dir")
    s.add_argument("text", nargs="*")
    s.set_defaults(func=cmd_search)

    r = sub.add_parser("serve", help="run the HTTP search service")
    r.add_argument("--index", required=True)
    r.add_argument("--port", type=int, default=8001)
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--workers", type=int, default=2, help="search threads (encoding is CPU-bound)")
    r.add_argument("--log-queries", action="store_true", help="log query texts (off by default: privacy)")
    r.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose or args.command == "serve")
    from index.build import BuildError
    from index.search import IndexUnavailable

    try:
        return int(args.func(args))
    except (cat.CatalogError, BuildError, IndexUnavailable, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except json.JSONDecodeError as exc:
        print(f"error: invalid JSON in --filters ({exc})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
