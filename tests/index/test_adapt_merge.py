"""Merging a LoRA adapter into the base model (index/adapt/merge.py, the setup step of an adapted model).

The merged folder must encode exactly like the base model with the adapter applied, carry its own identity
(so an index of the base model is refused with it) and be left alone when it is current.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.models import model_spec

pytestmark = pytest.mark.needs_model

BASE = model_spec("multilingual-e5-small").dir
TEXTS = [
    "Die Leute am Schalter werden laut, wie bleibe ich ruhig?",
    "Excel-Tabellen zusammenführen",
    "Ich bin neu als Teamleitung in der Kämmerei.",
]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    """A small LoRA adapter with non-zero weights (a fresh one would not change the model at all)."""
    import torch

    from index.adapt.train import TopLayerEncoder, TrainConfig

    if not (BASE / "kc_model_identity.json").is_file():
        pytest.fail(f"converted base model missing in {BASE} (run 'make setup')", pytrace=False)
    enc = TopLayerEncoder(BASE, TrainConfig(layers=2, rank=4))
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, param in enc.model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.05)
    enc.model.eval()
    enc.cache(TEXTS, "query", 64)
    expected = enc.encode_no_grad(TEXTS, "query").numpy()
    out = tmp_path_factory.mktemp("adapter")
    enc.model.save_pretrained(str(out))
    return out, expected


def test_merged_model_encodes_like_the_adapter(adapter, tmp_path) -> None:
    from index.adapt.merge import merge
    from index.embedding import Encoder

    path, expected = adapter
    merged, identity = merge("test-adapted", BASE, path, tmp_path / "merged")
    assert merged
    vectors = Encoder(tmp_path / "merged").encode_queries(TEXTS)
    cosines = np.sum(vectors * expected, axis=1)
    assert cosines.min() > 0.9999, cosines
    base = Encoder(BASE).encode_queries(TEXTS)
    assert np.sum(base * vectors, axis=1).max() < 0.999, "the adapter changed nothing"
    stored = json.loads((tmp_path / "merged" / "kc_model_identity.json").read_text(encoding="utf-8"))
    assert stored == identity and stored["adapter"]["sha256"]
    base_identity = json.loads((BASE / "kc_model_identity.json").read_text(encoding="utf-8"))
    assert stored["base_identity"] == base_identity


def test_a_current_merge_is_kept_and_a_missing_adapter_is_an_operator_error(adapter, tmp_path) -> None:
    from index.adapt.merge import MergeError, merge

    path, _ = adapter
    merge("test-adapted", BASE, path, tmp_path / "merged")
    before = (tmp_path / "merged" / "model.safetensors").stat().st_mtime_ns
    merged, _ = merge("test-adapted", BASE, path, tmp_path / "merged")
    assert not merged
    assert (tmp_path / "merged" / "model.safetensors").stat().st_mtime_ns == before
    with pytest.raises(MergeError, match="adapter file .* is missing; run 'make adapt'"):
        merge("test-adapted", BASE, tmp_path / "no-adapter", tmp_path / "other")
