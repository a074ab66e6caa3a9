"""The ONNX query encoders (index.export_onnx output) must agree with the torch fp32 encoder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from index import export_onnx
from index.build import BuildError, load_query_encoder
from index.embedding import EncoderUnavailable, OnnxEncoder, query_encoder_kind
from index.search import IndexUnavailable, Searcher

# Every test here reads the converted model or its ONNX export (made by make setup).
pytestmark = pytest.mark.needs_model

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(os.environ.get("KC_MODEL_DIR") or ROOT / "var" / "models" / "multilingual-e5-small")
ONNX_DIR = Path(os.environ.get("KC_ONNX_DIR") or export_onnx.default_onnx_dir(MODEL_DIR))
# Accuracy gate of the fast query encoders against torch fp32 (issue 3).
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.99}


@pytest.fixture(scope="module")
def torch_queries(encoder, sentences) -> np.ndarray:
    return encoder.encode_queries(sentences)


def _onnx_encoder(variant: str) -> OnnxEncoder:
    if not (ONNX_DIR / export_onnx.ONNX_IDENTITY_FILE).is_file():
        pytest.fail(f"ONNX export missing in {ONNX_DIR} (run 'make setup')", pytrace=False)
    return OnnxEncoder(MODEL_DIR, ONNX_DIR, variant)


@pytest.mark.parametrize("variant", ["onnx", "onnx-int8"])
def test_query_vectors_match_torch(variant, sentences, torch_queries) -> None:
    fast = _onnx_encoder(variant)
    ours = fast.encode_queries(sentences)
    assert ours.shape == (200, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = (ours * torch_queries).sum(axis=1)
    print(f"{variant}: cosine to torch fp32 min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= MIN_COSINE[variant], sentences[int(cos.argmin())][:80]


@pytest.mark.parametrize("variant", ["onnx", "onnx-int8"])
def test_single_and_batched_queries_agree(variant, sentences) -> None:
    """Padding in a batch must not change a query's vector (beyond int8 activation rounding)."""
    fast = _onnx_encoder(variant)
    texts = sentences[:8]
    batched = fast.encode_queries(texts)
    single = np.stack([fast.encode_queries([t])[0] for t in texts])
    assert (batched * single).sum(axis=1).min() >= MIN_COSINE[variant]


def test_onnx_encoder_keeps_the_model_identity(encoder) -> None:
    """The index check compares identities: an index built with torch serves ONNX queries."""
    assert _onnx_encoder("onnx-int8").identity == encoder.identity


def test_default_kind_and_env(monkeypatch) -> None:
    monkeypatch.delenv("KC_QUERY_ENCODER", raising=False)
    assert query_encoder_kind() == "onnx-int8"
    monkeypatch.setenv("KC_QUERY_ENCODER", "torch")
    assert query_encoder_kind() == "torch"
    monkeypatch.setenv("KC_QUERY_ENCODER", "onnx-fp16")
    with pytest.raises(BuildError, match="KC_QUERY_ENCODER='onnx-fp16' is not a query encoder"):
        load_query_encoder(MODEL_DIR)


def test_missing_export_is_an_operator_error_not_a_fallback(monkeypatch, tmp_path, small_index) -> None:
    monkeypatch.setenv("KC_QUERY_ENCODER", "onnx-int8")
    monkeypatch.setenv("KC_ONNX_DIR", str(tmp_path / "no-export"))
    with pytest.raises(BuildError, match="ONNX export missing.*make setup.*KC_QUERY_ENCODER=torch"):
        load_query_encoder(MODEL_DIR)
    with pytest.raises(IndexUnavailable, match="ONNX export missing"):
        Searcher(small_index, model_dir=MODEL_DIR).search("Excel")


def test_export_of_another_model_is_refused(tmp_path) -> None:
    stale = tmp_path / "onnx"
    stale.mkdir()
    identity = json.loads((ONNX_DIR / export_onnx.ONNX_IDENTITY_FILE).read_text(encoding="utf-8"))
    identity["model_identity"] = {"source_sha256": "another model"}
    (stale / export_onnx.ONNX_IDENTITY_FILE).write_text(json.dumps(identity), encoding="utf-8")
    (stale / "model.int8.onnx").write_bytes(b"")
    with pytest.raises(EncoderUnavailable, match="another model"):
        OnnxEncoder(MODEL_DIR, stale, "onnx-int8")


def test_rerun_of_the_export_is_a_noop(capsys) -> None:
    """make setup runs the export every time the model stamp changes: a current export is kept."""
    before = (ONNX_DIR / "model.int8.onnx").stat().st_mtime_ns
    assert export_onnx.main(["--model-dir", str(MODEL_DIR), "--out", str(ONNX_DIR)]) == 0
    assert capsys.readouterr().out.startswith("Up to date")
    assert (ONNX_DIR / "model.int8.onnx").stat().st_mtime_ns == before
