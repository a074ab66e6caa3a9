"""Atomic, incremental index builds. The embedding model is irrelevant here, so a deterministic
hash-based test double stands in for it (retrieval quality is tested in test_search.py)."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from index.build import BuildError, build_index, current_version
from index.search import Searcher


class HashEncoder:
    """Test double: deterministic, normalised pseudo-embeddings."""

    def __init__(self, name: str = "hash-v1", fail: bool = False) -> None:
        self.identity = {"name": name}
        self.fail = fail

    def _vec(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_queries(self, texts):
        return np.stack([self._vec("q:" + t) for t in texts])

    def encode_passages(self, texts):
        if self.fail:
            raise RuntimeError("simulated crash while encoding")
        return np.stack([self._vec("p:" + t) for t in texts])


def write_catalog(path, n: int, marker: str = "") -> None:
    rows = [
        {
            "id": f"c{i}",
            "title": f"Kurs {i} {marker}",
            "description": f"Beschreibung Nummer {i} zu Verwaltung",
            "format": "online" if i % 2 else "praesenz",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture()
def catalog(tmp_path):
    path = tmp_path / "catalog.jsonl"
    write_catalog(path, 12)
    return path


def test_first_build_creates_version_and_current_link(tmp_path, catalog):
    out = tmp_path / "idx"
    result = build_index(catalog, out, encoder=HashEncoder())
    assert result.status == "built" and result.n_courses == 12
    assert os.path.islink(out / "current")
    assert current_version(out) == result.version_dir
    manifest = json.loads((result.version_dir / "manifest.json").read_text())
    assert manifest["catalog_sha256"] == hashlib.sha256(catalog.read_bytes()).hexdigest()
    assert manifest["model_identity"] == {"name": "hash-v1"}
    assert result.version_dir.parent.name == "versions"


def test_rebuild_is_skipped_when_nothing_changed(tmp_path, catalog):
    out = tmp_path / "idx"
    first = build_index(catalog, out, encoder=HashEncoder())
    again = build_index(catalog, out, encoder=HashEncoder())
    assert again.status == "up_to_date" and again.version_dir == first.version_dir
    assert len(list((out / "versions").iterdir())) == 1


def test_new_version_when_catalog_or_model_changes(tmp_path, catalog):
    out = tmp_path / "idx"
    first = build_index(catalog, out, encoder=HashEncoder())
    write_catalog(catalog, 13, marker="neu")
    second = build_index(catalog, out, encoder=HashEncoder())
    assert second.status == "built" and second.version_dir != first.version_dir
    assert current_version(out) == second.version_dir and second.n_courses == 13
    third = build_index(catalog, out, encoder=HashEncoder(name="hash-v2"))
    assert third.status == "built" and current_version(out) == third.version_dir


def test_failed_build_keeps_old_current_and_running_searcher(tmp_path, catalog):
    out = tmp_path / "idx"
    first = build_index(catalog, out, encoder=HashEncoder())
    searcher = Searcher(out, encoder=HashEncoder())
    assert searcher.health()["courses"] == 12
    write_catalog(catalog, 20, marker="kaputt")
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(catalog, out, encoder=HashEncoder(fail=True))
    assert current_version(out) == first.version_dir
    assert [p.name for p in (out / "versions").iterdir()] == [
        first.version_dir.name
    ]  # no half-built leftovers
    result = searcher.search("Kurs 3", k=3)
    assert len(result["results"]) == 3 and searcher.health()["courses"] == 12


def test_encoder_returning_bad_vectors_is_a_build_error(tmp_path, catalog):
    class Broken(HashEncoder):
        def encode_passages(self, texts):
            return np.ones((len(texts), 384), dtype=np.float32)  # not normalised

    out = tmp_path / "idx"
    with pytest.raises(BuildError, match="normalised"):
        build_index(catalog, out, encoder=Broken())
    assert current_version(out) is None


def test_searcher_picks_up_a_new_version(tmp_path, catalog):
    out = tmp_path / "idx"
    build_index(catalog, out, encoder=HashEncoder())
    searcher = Searcher(out, encoder=HashEncoder())
    before = searcher.health()
    write_catalog(catalog, 15, marker="neu")
    build_index(catalog, out, encoder=HashEncoder())
    after = searcher.health()
    assert after["courses"] == 15 and after["index_version"] != before["index_version"]


def test_hnsw_above_threshold_reaches_recall_target(tmp_path, monkeypatch):
    from index import retrievers

    monkeypatch.setattr(retrievers, "SUBSET_BRUTE_FORCE", 10)  # use the filtered HNSW path
    path = tmp_path / "catalog.jsonl"
    write_catalog(path, 400)
    result = build_index(path, tmp_path / "idx", encoder=HashEncoder(), approx_threshold=100)
    info = json.loads((result.version_dir / "manifest.json").read_text())["index"]
    assert info["type"] == "hnsw_flat_ip"
    assert info["recall_at_10_vs_exact"] >= 0.95
    searcher = Searcher(tmp_path / "idx", encoder=HashEncoder())
    hits = searcher.search("Kurs", k=10, filters={"format": ["online"]})["results"]
    assert hits and all(h["format"] == "online" for h in hits)


def test_unreadable_new_version_keeps_serving_the_old_one(tmp_path, catalog):
    out = tmp_path / "idx"
    build_index(catalog, out, encoder=HashEncoder())
    searcher = Searcher(out, encoder=HashEncoder())
    before = searcher.health()["index_version"]
    write_catalog(catalog, 14, marker="neu")
    second = build_index(catalog, out, encoder=HashEncoder())
    (second.version_dir / "vectors.faiss").write_bytes(b"garbage")  # e.g. disk trouble after the switch
    assert searcher.health()["index_version"] == before
    assert len(searcher.search("Kurs 2", k=2)["results"]) == 2
