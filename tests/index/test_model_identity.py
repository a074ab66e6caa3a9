"""Which e5 model each runtime uses (``e5/models.json``), and that the index and its query encoder agree.

The course vectors of an index and the query vectors of the search service must come from the same model;
with an adapted model next to the base model, a mix-up would silently return poor results. The search
service refuses an index built with another model; these tests check that the default paths of the index
build, the query encoder and the NLU featurizer all follow ``e5/models.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from index import catalog as cat
from index import models
from index.build import identity_key, model_identity

ROOT = Path(__file__).resolve().parents[2]


def test_every_runtime_names_a_described_model() -> None:
    for runtime in models.RUNTIMES:
        spec = models.runtime_model(runtime)
        assert spec.dir.is_relative_to(ROOT / "var" / "models"), spec
        if spec.adapter is not None:
            assert spec.base and models.model_spec(spec.base).dir != spec.dir
            assert (spec.adapter / "adapter_config.json").is_file(), f"adapter of {spec.name} not committed"


def test_the_nlu_featurizer_uses_the_model_named_for_nlu() -> None:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    dirs = {str(c["model_dir"]) for c in config["pipeline"] if "model_dir" in c}
    assert dirs, "config.yml names no e5 model_dir"
    assert {str(ROOT / d) for d in dirs} == {str(models.runtime_model("nlu").dir)}


def test_operator_override_and_bad_files_are_explicit(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path / "my-model"))
    assert models.index_model_dir() == tmp_path / "my-model"
    broken = tmp_path / "models.json"
    broken.write_text(json.dumps({"runtimes": {"index": "nowhere"}, "models": {}}), encoding="utf-8")
    with pytest.raises(models.ModelsFileError, match="'nowhere' is not described"):
        models.runtime_model("index", broken)
    with pytest.raises(models.ModelsFileError, match="unknown runtime"):
        models.runtime_model("speech", broken)


@pytest.mark.needs_model
def test_index_build_and_query_encoder_default_to_the_same_model(monkeypatch, tmp_path) -> None:
    """A small index built with the defaults is served by the default query encoder; another is refused."""
    monkeypatch.delenv(models.MODEL_DIR_ENV, raising=False)
    monkeypatch.delenv("KC_ONNX_DIR", raising=False)
    from index.build import build_index, load_encoder, load_query_encoder
    from index.search import IndexUnavailable, Searcher

    model_dir = models.index_model_dir()
    if not (model_dir / "kc_model_identity.json").is_file():
        pytest.fail(f"the index runtime's model is missing in {model_dir} (run 'make setup')", pytrace=False)
    courses = cat.load_catalog(ROOT / "index" / "data" / "catalog.jsonl").courses
    catalog = tmp_path / "catalog.jsonl"
    excel = [c for c in courses if "Excel" in c["title"]][:2]
    picked = excel + [c for c in courses if "Datenschutz" in c["title"]][:2]
    catalog.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in picked), encoding="utf-8")
    build_index(catalog, tmp_path / "index", encoder=load_encoder())
    manifest_key = json.loads((tmp_path / "index" / "current" / "manifest.json").read_text(encoding="utf-8"))[
        "model_identity_key"
    ]
    queries = load_query_encoder()
    assert identity_key(queries.identity) == manifest_key == identity_key(model_identity(model_dir))
    found = Searcher(tmp_path / "index", encoder=queries).search("Tabellenkalkulation mit Excel", k=2)
    assert found["results"][0]["id"] in {c["id"] for c in excel}

    class OtherModel:
        identity = {"model": "another-e5", "embedding_dim": 384}

    with pytest.raises(IndexUnavailable, match="different embedding model"):
        Searcher(tmp_path / "index", encoder=OtherModel()).search("Excel")
