"""The ONNX query encoders (index.export_onnx output) must agree with the torch fp32 encoder.

fp32 ONNX is held to cosine >= 0.9999 with torch on any CPU. int8 is not held to a raw cosine threshold any
more: its kernels differ per CPU (issue 14: 0.98935 without VNNI against a gate of 0.99 tuned on a VNNI CPU).
Instead the default encoder on the machine the tests run on is checked: int8 only where it finds the courses
fp32 finds (index.int8_check), otherwise fp32 ONNX.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from index import export_onnx, int8_check
from index.build import BuildError, load_query_encoder
from index.embedding import EncoderUnavailable, OnnxEncoder, choose_query_encoder, query_encoder_kind
from index.models import index_model_dir
from index.search import IndexUnavailable, Searcher

# Every test here reads the converted model or its ONNX export (made by make setup).
pytestmark = pytest.mark.needs_model

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = index_model_dir()  # KC_MODEL_DIR, else the index runtime of e5/models.json
ONNX_DIR = Path(os.environ.get("KC_ONNX_DIR") or export_onnx.default_onnx_dir(MODEL_DIR))
# fp32 ONNX against torch fp32 (issue 3); int8: a batch (padding) against single queries .
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.99}


@pytest.fixture(scope="module")
def torch_queries(encoder, sentences) -> np.ndarray:
    return encoder.encode_queries(sentences)


def _onnx_encoder(variant: str) -> OnnxEncoder:
    if not (ONNX_DIR / export_onnx.ONNX_IDENTITY_FILE).is_file():
        pytest.fail(f"ONNX export missing in {ONNX_DIR} (run 'make setup')", pytrace=False)
    return OnnxEncoder(MODEL_DIR, ONNX_DIR, variant)


def test_fp32_query_vectors_match_torch(sentences, torch_queries) -> None:
    ours = _onnx_encoder("onnx").encode_queries(sentences)
    assert ours.shape == (200, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = (ours * torch_queries).sum(axis=1)
    print(f"onnx: cosine to torch fp32 min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= MIN_COSINE["onnx"], sentences[int(cos.argmin())][:80]


def test_default_query_encoder_holds_on_this_cpu(monkeypatch, sentences, torch_queries) -> None:
    """The encoder the service takes here when KC_QUERY_ENCODER is unset finds what fp32 finds.

    int8 is judged by retrieval agreement with fp32 on the shipped check queries, measured now on this CPU
    (not read from the file the export wrote), with the same pass marks as the export's check.
    """
    monkeypatch.delenv("KC_QUERY_ENCODER", raising=False)
    kind, why = choose_query_encoder(None, MODEL_DIR, ONNX_DIR)
    print(f"default query encoder on this CPU: {kind} ({why})")
    vectors = _onnx_encoder(kind).encode_queries(sentences)
    cos = (vectors * torch_queries).sum(axis=1)
    if kind == "onnx":
        assert cos.min() >= MIN_COSINE["onnx"], sentences[int(cos.argmin())][:80]
        return
    assert kind == "onnx-int8"
    assert cos.min() >= int8_check.BROKEN_COSINE, sentences[int(cos.argmin())][:80]
    figures = int8_check.measure(MODEL_DIR, ONNX_DIR)
    passed, reason = int8_check.verdict(figures)
    print(reason)
    assert passed, reason


def test_the_int8_check_tells_changed_rankings_apart(sentences, torch_queries) -> None:
    """The check passes identical rankings and fails query vectors that move courses out of the top 10."""
    passages = _onnx_encoder("onnx").encode_passages(int8_check.load_passages()[:120])
    same = int8_check.agreement(torch_queries, torch_queries, passages)
    assert int8_check.verdict(same)[0] and same["top5_found"] == 1.0
    noisy = torch_queries + np.random.default_rng(0).normal(0, 0.012, torch_queries.shape)
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    figures = int8_check.agreement(torch_queries, noisy, passages)
    passed, reason = int8_check.verdict(figures)
    assert not passed and "changes search results" in reason, figures


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
    """Unset: what the export's int8 check decided on this CPU; set: exactly the named encoder."""
    monkeypatch.delenv("KC_QUERY_ENCODER", raising=False)
    check = json.loads((ONNX_DIR / int8_check.CHECK_FILE).read_text(encoding="utf-8"))
    assert check["cpu"] == int8_check.cpu_signature(), "the export's int8 check was made on another CPU"
    expected = "onnx-int8" if check["passed"] else "onnx"
    assert query_encoder_kind(None, MODEL_DIR, ONNX_DIR) == expected
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
    """make setup runs the export every time the model stamp changes: a current export and check are kept."""
    before = (ONNX_DIR / "model.int8.onnx").stat().st_mtime_ns
    check_before = (ONNX_DIR / int8_check.CHECK_FILE).stat().st_mtime_ns
    assert export_onnx.main(["--model-dir", str(MODEL_DIR), "--out", str(ONNX_DIR)]) == 0
    assert capsys.readouterr().out.startswith("Up to date")
    assert (ONNX_DIR / "model.int8.onnx").stat().st_mtime_ns == before
    assert (ONNX_DIR / int8_check.CHECK_FILE).stat().st_mtime_ns == check_before


def _export_with_check(tmp_path: Path, **changes) -> Path:
    """A folder with the real export identity and a copy of its int8 check, changed by ``changes``."""
    folder = tmp_path / "onnx"
    folder.mkdir(parents=True)
    for name in (export_onnx.ONNX_IDENTITY_FILE, int8_check.CHECK_FILE):
        (folder / name).write_bytes((ONNX_DIR / name).read_bytes())
    for name in export_onnx.ONNX_FILES.values():
        (folder / name).symlink_to(ONNX_DIR / name)
    check = json.loads((folder / int8_check.CHECK_FILE).read_text(encoding="utf-8"))
    check.update(changes)
    (folder / int8_check.CHECK_FILE).write_text(json.dumps(check), encoding="utf-8")
    return folder


def test_int8_is_the_default_only_where_it_passed(monkeypatch, tmp_path, caplog) -> None:
    monkeypatch.delenv("KC_QUERY_ENCODER", raising=False)
    passed = _export_with_check(tmp_path / "a", passed=True, reason="int8 passed the retrieval check")
    assert choose_query_encoder(None, MODEL_DIR, passed)[0] == "onnx-int8"
    failed = _export_with_check(tmp_path / "b", passed=False, reason="int8 changes search results here")
    kind, why = choose_query_encoder(None, MODEL_DIR, failed)
    assert kind == "onnx" and "changes search results" in why
    # The other CPU has the opposite int8 kernels of this one: the case holds on VNNI and non-VNNI machines.
    here = int8_check.cpu_signature()
    here_has_vnni = ", VNNI," in int8_check.describe_cpu(here)
    other_flags = ["avx2"] if here_has_vnni else ["avx2", "avx512_vnni"]
    other_cpu = dict(here, int8_flags=other_flags)
    moved = _export_with_check(tmp_path / "c", passed=True, cpu=other_cpu)
    kind, why = choose_query_encoder(None, MODEL_DIR, moved)
    assert kind == "onnx" and f"another CPU ({int8_check.describe_cpu(other_cpu)};" in why
    unchecked = _export_with_check(tmp_path / "d")
    (unchecked / int8_check.CHECK_FILE).unlink()
    kind, why = choose_query_encoder(None, MODEL_DIR, unchecked)
    assert kind == "onnx" and "not been checked" in why and "export_onnx" in why
    # The service's log says which encoder runs and why; int8 by name where it failed is a warning.
    with caplog.at_level("INFO", logger="kc.index.embedding"):
        encoder = load_query_encoder_from(failed)
    assert encoder.name == "onnx"
    assert "query encoder onnx: default fp32 ONNX: int8 changes search results" in caplog.text
    monkeypatch.setenv("KC_QUERY_ENCODER", "onnx-int8")
    caplog.clear()
    with caplog.at_level("INFO", logger="kc.index.embedding"):
        assert load_query_encoder_from(failed).name == "onnx-int8"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "set by KC_QUERY_ENCODER (warning: int8 changes search results" in caplog.text


def load_query_encoder_from(onnx_dir: Path):
    from index.embedding import load_query_encoder as load

    return load(MODEL_DIR, onnx_dir=onnx_dir)
