"""NLU quality benchmark: Rasa k-fold cross-validation of the project's NLU data and config.

Runs ``rasa test nlu --cross-validation`` (5 folds by default) on ``bot/data`` with ``config.yml`` and
prints intent macro/weighted F1, entity micro/macro F1 and response-selector F1 from the JSON reports,
plus the weakest intents and entities. Target: intent macro F1 >= 0.90.

Run with the Rasa runtime (it runs ``<this interpreter> -m rasa``):

    .venv/rasa/bin/python bench/nlu_report.py            # train 5 folds, then report
    .venv/rasa/bin/python bench/nlu_report.py --holdout 0.2   # one training only (quick check)
    .venv/rasa/bin/python bench/nlu_report.py --report-only --out var/nlu_report   # re-read reports

Each fold trains the full NLU pipeline, so expect several minutes per fold on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_INTENT_MACRO_F1 = 0.90
AGGREGATE_KEYS = ("accuracy", "micro avg", "macro avg", "weighted avg")


def spacy_model_path(config: Path) -> Path | None:
    """The SpacyNLP ``model`` of the config if it is a local path (None otherwise)."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in data.get("pipeline") or []:
        if component.get("name") == "SpacyNLP" and component.get("model"):
            model = str(component["model"])
            return Path(model) if "/" in model else None
    return None


def run_rasa(rasa_bin: Path | None, args: list[str]) -> None:
    """Run one rasa CLI command at low CPU priority (the machine is shared); exit on failure.

    Without ``--rasa`` this interpreter runs ``-m rasa``, as the Makefile does; the ``rasa`` console script
    carries the absolute interpreter path of wherever the venv was first installed.
    """
    cmd = [str(rasa_bin), *args] if rasa_bin else [sys.executable, "-m", "rasa", *args]
    # PYTHONPATH: config.yml names the own NLU component (bot.nlu...), importable from the repo root.
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    print(f"running: {' '.join(cmd)}", file=sys.stderr)
    proc = subprocess.run(cmd, cwd=REPO, env=env, preexec_fn=lambda: os.nice(10), check=False)
    if proc.returncode != 0:
        sys.exit(f"error: rasa {args[0]} {args[1]} failed with exit code {proc.returncode}")


def run_cross_validation(
    config: Path, nlu: Path, domain: Path, folds: int, out: Path, rasa_bin: Path | None
) -> None:
    """k-fold cross-validation; reports are written to ``out``."""
    run_rasa(
        rasa_bin,
        [
            "test",
            "nlu",
            "--nlu",
            str(nlu),
            "--config",
            str(config),
            "--domain",
            str(domain),
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--no-plot",
        ],
    )


def run_holdout(
    config: Path, nlu: Path, domain: Path, fraction: float, out: Path, rasa_bin: Path | None
) -> None:
    """One stratified train/test split (seed 42): a single training, for quick checks on a busy machine."""
    split = out / "split"
    run_rasa(
        rasa_bin,
        [
            "data",
            "split",
            "nlu",
            "--nlu",
            str(nlu),
            "--training-fraction",
            f"{1.0 - fraction:.2f}",
            "--random-seed",
            "42",
            "--out",
            str(split),
        ],
    )
    run_rasa(
        rasa_bin,
        [
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(split / "training_data.yml"),
            "--domain",
            str(domain),
            "--out",
            str(out / "model"),
            "--fixed-model-name",
            "holdout",
        ],
    )
    run_rasa(
        rasa_bin,
        [
            "test",
            "nlu",
            "--model",
            str(out / "model" / "holdout.tar.gz"),
            "--nlu",
            str(split / "test_data.yml"),
            "--domain",
            str(domain),
            "--out",
            str(out),
            "--no-plot",
        ],
    )


def load_report(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def f1(report: dict[str, Any], key: str) -> float | None:
    value = report.get(key)
    return float(value["f1-score"]) if isinstance(value, dict) and "f1-score" in value else None


def per_label(report: dict[str, Any]) -> list[tuple[str, float, int]]:
    """(label, f1, support) for every real label of a sklearn-style report, weakest first."""
    rows = [
        (label, float(v["f1-score"]), int(v.get("support", 0)))
        for label, v in report.items()
        if label not in AGGREGATE_KEYS and isinstance(v, dict) and "f1-score" in v
    ]
    return sorted(rows, key=lambda r: (r[1], r[0]))


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def summarize(out: Path, worst: int) -> dict[str, Any]:
    intent = load_report(out / "intent_report.json")
    if intent is None:
        sys.exit(f"error: no intent_report.json in {out} (run without --report-only first)")
    summary: dict[str, Any] = {
        "intent_macro_f1": f1(intent, "macro avg"),
        "intent_weighted_f1": f1(intent, "weighted avg"),
        "intent_accuracy": intent.get("accuracy"),
    }
    print(
        f"intents: macro F1 {fmt(summary['intent_macro_f1'])}, weighted F1 "
        f"{fmt(summary['intent_weighted_f1'])}, accuracy {fmt(summary['intent_accuracy'])}"
    )
    for label, score, support in per_label(intent)[:worst]:
        print(f"  weakest intent {label:32s} F1 {score:.3f} (n={support})")

    entity = load_report(out / "DIETClassifier_report.json")
    if entity is not None:
        summary["entity_micro_f1"] = f1(entity, "micro avg")
        summary["entity_macro_f1"] = f1(entity, "macro avg")
        print(
            f"entities (DIET): micro F1 {fmt(summary['entity_micro_f1'])}, "
            f"macro F1 {fmt(summary['entity_macro_f1'])}"
        )
        for label, score, support in per_label(entity):
            print(f"  entity {label:20s} F1 {score:.3f} (n={support})")
    else:
        print("entities: no DIETClassifier_report.json found")

    responses = load_report(out / "response_selection_report.json")
    if responses is not None:
        summary["response_macro_f1"] = f1(responses, "macro avg")
        print(f"response selection: macro F1 {fmt(summary['response_macro_f1'])}")

    macro = summary["intent_macro_f1"]
    verdict = "meets" if macro is not None and macro >= TARGET_INTENT_MACRO_F1 else "misses"
    print(f"target intent macro F1 >= {TARGET_INTENT_MACRO_F1:.2f}: {verdict}")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rasa NLU cross-validation / hold-out report")
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--nlu", type=Path, default=REPO / "bot" / "data")
    parser.add_argument("--domain", type=Path, default=REPO / "bot" / "domain", help="needed for responses")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--holdout",
        type=float,
        metavar="FRACTION",
        help="instead of cross-validation: train once and test on this held-out fraction (e.g. 0.2)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "var" / "nlu_report")
    parser.add_argument(
        "--rasa",
        type=Path,
        default=None,
        help="rasa executable (default: this interpreter with -m rasa)",
    )
    parser.add_argument("--report-only", action="store_true", help="only read existing reports in --out")
    parser.add_argument("--worst", type=int, default=5, help="how many weakest intents to list")
    args = parser.parse_args(argv)

    if not args.report_only:
        if args.folds < 2:
            parser.error("--folds must be at least 2")
        if args.rasa is not None and not args.rasa.is_file():
            sys.exit(f"error: rasa executable not found at {args.rasa}; pass --rasa or use the rasa venv")
        model = spacy_model_path(args.config)
        if model is not None and not (REPO / model).exists() and not model.exists():
            sys.exit(f"error: spaCy pipeline {model} missing; build it: scripts/build_spacy_de.py {model}")
        args.out.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        if args.holdout is not None:
            if not 0.0 < args.holdout < 1.0:
                parser.error("--holdout must be between 0 and 1")
            run_holdout(args.config, args.nlu, args.domain, args.holdout, args.out, args.rasa)
            method = f"hold-out evaluation ({args.holdout:.0%} test split)"
        else:
            run_cross_validation(args.config, args.nlu, args.domain, args.folds, args.out, args.rasa)
            method = f"{args.folds}-fold cross-validation"
        print(f"{method}: {(time.monotonic() - start) / 60:.1f} min")
    summary = summarize(args.out, args.worst)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
