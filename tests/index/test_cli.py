"""bin/kc-index: batch search output format, up-to-date builds, human-readable search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from index.models import index_model_dir

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = index_model_dir()  # KC_MODEL_DIR, else the index runtime of e5/models.json


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KC_INDEX_PYTHON=sys.executable, KC_MODEL_DIR=str(MODEL_DIR))
    return subprocess.run(
        [str(ROOT / "bin" / "kc-index"), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_batch_search_writes_exactly_one_json_line_per_query(small_index, small_courses, tmp_path):
    queries = [
        {"qid": "q1", "query": small_courses[0]["title"]},
        {"qid": 2, "query": "Datenschutz lieber online"},
        {"qid": "q3", "query": "Rezept für Apfelkuchen"},
    ]
    qfile = tmp_path / "queries.jsonl"
    qfile.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
    proc = run_cli("search", "--index", str(small_index), "--k", "4", "--queries", str(qfile))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    assert [r["qid"] for r in rows] == ["q1", 2, "q3"]
    for row in rows:
        assert set(row) == {"qid", "results"} and len(row["results"]) == 4
        assert all(set(hit) == {"id", "score"} for hit in row["results"])
    assert rows[0]["results"][0]["id"] == small_courses[0]["id"]


def test_build_again_prints_index_up_to_date(small_catalog, small_index):
    proc = run_cli("build", "--catalog", str(small_catalog), "--out", str(small_index))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "index up to date"


def test_single_search_human_and_json(small_index, small_courses):
    title = small_courses[1]["title"]
    proc = run_cli("search", "--index", str(small_index), "--k", "3", title)
    assert proc.returncode == 0, proc.stderr
    assert small_courses[1]["id"] in proc.stdout.splitlines()[0]
    proc = run_cli("search", "--index", str(small_index), "--k", "2", "--json", title)
    assert len(json.loads(proc.stdout)["results"]) == 2


def test_missing_index_is_a_clear_error(tmp_path):
    proc = run_cli("search", "--index", str(tmp_path / "none"), "Excel")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
