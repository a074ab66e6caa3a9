"""Shared fixtures: one small index (~40 demo courses) built once per session with the real e5 model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import catalog as cat
from index.models import index_model_dir

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = index_model_dir()  # KC_MODEL_DIR, else the index runtime of e5/models.json
SMALL_N = 40
SENTENCES = Path(__file__).parent / "data" / "german_sentences.txt"


def demo_courses() -> list[dict]:
    """Courses of the demo catalog (merged file, else the two parts)."""
    data = ROOT / "index" / "data"
    courses = cat.load_catalog(data / "catalog.jsonl").courses
    if len(courses) < SMALL_N:
        pytest.fail(f"demo catalog has {len(courses)} courses, tests need {SMALL_N}", pytrace=False)
    return courses


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    """200 varied German sentences (tests/index/data) for comparing encoders."""
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    return lines


@pytest.fixture(scope="session")
def encoder():
    from index.convert_model import IDENTITY_FILE

    if not (MODEL_DIR / IDENTITY_FILE).is_file():
        pytest.fail(f"converted e5 model missing in {MODEL_DIR} (run 'make test')", pytrace=False)
    from index.embedding import Encoder

    return Encoder(MODEL_DIR)


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory) -> Path:
    """Every n-th demo course: a spread over topics, formats and levels."""
    courses = demo_courses()
    step = max(1, len(courses) // SMALL_N)
    picked = courses[::step][:SMALL_N]
    path = tmp_path_factory.mktemp("catalog") / "small.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in picked), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_index(small_catalog, encoder, tmp_path_factory) -> Path:
    from index.build import build_index

    out = tmp_path_factory.mktemp("index")
    build_index(small_catalog, out, encoder=encoder)
    return out


@pytest.fixture(scope="session")
def searcher(small_index, encoder):
    from index.search import Searcher

    return Searcher(small_index, encoder=encoder)


@pytest.fixture(scope="session")
def small_courses(small_catalog) -> list[dict]:
    return cat.load_catalog(small_catalog).courses
