"""The e5 featurizer reproduces the index runtime's encoders and gives DIET well-formed features.

Reference: tests/bot/fixtures/e5_reference.json, made in the index runtime (Python 3.11, current tokenizers
and onnxruntime) by its torch encoder and its ONNX query encoder (tests/bot/fixtures/make_e5_reference.py).
Here the same package ``e5`` runs under Rasa's Python 3.10 with tokenizers 0.15 and onnxruntime 1.23: pieces,
sentence vectors (long texts windowed) and per-piece states must come out the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import Mock

import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_encoder import load_encoder, onnx_dir_for
from bot.nlu.e5_featurizer import DEFAULT_MODEL_DIR, E5Featurizer, E5ModelMissing, resolve_model_dir

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "e5_reference.json").read_text(encoding="utf-8"))
MODEL_DIR = resolve_model_dir(DEFAULT_MODEL_DIR)


@pytest.fixture(scope="module")
def featurizer() -> E5Featurizer:
    if not (MODEL_DIR / "kc_model_identity.json").is_file():
        pytest.fail(f"converted e5 model missing in {MODEL_DIR} (run 'make setup')", pytrace=False)
    context = Mock(node_name="e5_featurizer")
    return E5Featurizer.create(E5Featurizer.get_default_config(), Mock(), Mock(), context)


def tokenized(texts: list[str], attribute: str = TEXT) -> list[Message]:
    messages = [Message(data={attribute: text}) for text in texts]
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    for message in messages:
        message.set(TOKENS_NAMES[attribute], tokenizer.tokenize(message, attribute))
    return messages


def features(message: Message, attribute: str, kind: str) -> np.ndarray:
    found = [f.features for f in message.features if f.attribute == attribute and f.type == kind]
    assert len(found) == 1, f"expected one {kind} feature for {attribute}"
    return np.asarray(found[0])


def cosines(ours: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (ours * reference).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1))


def test_pieces_match_the_index_tokenizer(featurizer: E5Featurizer) -> None:
    """tokenizers 0.15 here and the index runtime's release split every text alike (incl. one <unk> per
    unknown character, which tokenizers fuses into one)."""
    ours = featurizer.encoder.encoder.token_ids(REFERENCE["sentences"], "query")
    assert ours == REFERENCE["piece_ids"]
    assert ours[20].count(featurizer.encoder.encoder.tokenizer.unk) == 3


@pytest.mark.parametrize("reference_key", ["vectors", "onnx_vectors"])
def test_sentence_vectors_match_the_index_encoders(featurizer: E5Featurizer, reference_key: str) -> None:
    """Same vectors as the index's torch encoder (builds) and its ONNX query encoder (search service)."""
    encoded = featurizer.encoder.encode(REFERENCE["sentences"], batch_size=4)
    ours = np.stack([e.sentence for e in encoded])
    cos = cosines(ours, np.asarray(REFERENCE[reference_key], dtype=np.float64))
    assert cos.min() >= 0.99999, dict(zip(REFERENCE["sentences"], cos.round(6), strict=True))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_long_messages_are_windowed_like_the_index_not_truncated(featurizer: E5Featurizer) -> None:
    long_text = REFERENCE["sentences"][21]
    (encoded,) = featurizer.encoder.encode([long_text])
    assert len(REFERENCE["piece_ids"][21]) > 510
    assert encoded.pieces.shape == (len(REFERENCE["piece_ids"][21]), 384) and len(encoded.spans) == len(
        encoded.pieces
    )
    assert float(encoded.sentence @ np.asarray(REFERENCE["vectors"][21])) >= 0.99999
    # Only the first 510 pieces (the old numpy path) give a different vector.
    head = featurizer.encoder.encoder.tokenizer.pieces([long_text], "query")[0]
    assert encoded.spans[509][1] < len(long_text) - 100 and head.spans[-1][1] >= len(long_text) - 1


def test_piece_states_match_the_index_onnx_encoder(featurizer: E5Featurizer) -> None:
    """The per-token features come from the same hidden states the search service's encoder computes."""
    for index, states in REFERENCE["piece_states"].items():
        (encoded,) = featurizer.encoder.encode([REFERENCE["sentences"][int(index)]])
        assert np.allclose(encoded.pieces, np.asarray(states), atol=2e-4), REFERENCE["sentences"][int(index)]


def test_batching_and_cache_do_not_change_vectors(featurizer: E5Featurizer) -> None:
    """fp32 ONNX: a message alone at run time gets the features it had in a training batch."""
    texts = ["Gute Nacht", "Ich bin Bibliothekarin und suche einen Kurs zu Excel", REFERENCE["sentences"][19]]
    alone = [featurizer.encoder.encode([t], batch_size=1)[0] for t in texts]
    onnx_dir = str(onnx_dir_for(MODEL_DIR.resolve(), None).resolve())
    fresh = load_encoder.__wrapped__(str(MODEL_DIR.resolve()), onnx_dir, "onnx", 1).encode(texts, 3)
    for single, batched in zip(alone, fresh, strict=True):
        assert np.allclose(single.sentence, batched.sentence, atol=1e-5)
        assert np.allclose(single.pieces, batched.pieces, atol=1e-4)


def test_messages_get_one_sentence_vector_and_one_row_per_token(featurizer: E5Featurizer) -> None:
    text = REFERENCE["sentences"][5]
    (message,) = featurizer.process(tokenized([text]))
    sentence = features(message, TEXT, FEATURE_TYPE_SENTENCE)
    sequence = features(message, TEXT, FEATURE_TYPE_SEQUENCE)
    reference = np.asarray(REFERENCE["vectors"][5])
    assert sentence.shape == (1, 384)
    assert float(sentence[0] @ reference) >= 0.99999
    assert sequence.shape == (len(message.get(TOKENS_NAMES[TEXT])), 384)
    assert np.all(np.abs(sequence).sum(axis=1) > 0), "every token overlaps at least one word piece"


def test_token_rows_follow_the_words(featurizer: E5Featurizer) -> None:
    """The same word gets nearly the same row in two contexts; different words get different rows."""
    first, second = featurizer.process(tokenized(["Excel Kurs bitte", "Excel Schulung bitte"]))
    a = features(first, TEXT, FEATURE_TYPE_SEQUENCE)
    b = features(second, TEXT, FEATURE_TYPE_SEQUENCE)

    def cos(x: np.ndarray, y: np.ndarray) -> float:
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    assert cos(a[0], b[0]) > cos(a[0], a[2])


def test_training_data_responses_are_featurized_too(featurizer: E5Featurizer) -> None:
    (message,) = tokenized(["Die Einlage beträgt 500 Euro je Anteil."], attribute=RESPONSE)
    message.set(TEXT, "Was kostet ein Anteil?")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
    featurizer.process_training_data(TrainingData([message]))
    assert features(message, RESPONSE, FEATURE_TYPE_SENTENCE).shape == (1, 384)
    assert features(message, TEXT, FEATURE_TYPE_SENTENCE).shape == (1, 384)


def test_missing_model_names_make_setup(tmp_path: Path) -> None:
    config = {**E5Featurizer.get_default_config(), "model_dir": str(tmp_path / "absent")}
    with pytest.raises(E5ModelMissing, match="make setup"):
        E5Featurizer.create(config, Mock(), Mock(), Mock(node_name="e5_featurizer"))


@pytest.mark.needs_model  # the converted model must be there for the missing export to be the problem
def test_missing_onnx_export_names_make_setup(tmp_path: Path) -> None:
    config = {**E5Featurizer.get_default_config(), "onnx_dir": str(tmp_path / "no-export")}
    with pytest.raises(E5ModelMissing, match="ONNX export missing.*make setup"):
        E5Featurizer.create(config, Mock(), Mock(), Mock(node_name="e5_featurizer"))


# --- memory and time bounded whatever a message contains (issue 14: one 200,000-character message made the
# Rasa server grow to 23 GB) ---------------------------------------------------------------------------------


def _overlap_features(encoded, tokens) -> np.ndarray:
    """The definition: per token, the mean of the pieces whose span overlaps it (zeros if none)."""
    rows = np.zeros((len(tokens), encoded.pieces.shape[1]), dtype=np.float32)
    for row, token in enumerate(tokens):
        hits = [i for i, (start, end) in enumerate(encoded.spans) if start < token.end and end > token.start]
        if hits:
            rows[row] = encoded.pieces[hits].mean(axis=0)
    return rows


def test_token_features_follow_the_piece_overlaps(featurizer):
    from bot.nlu.e5_featurizer import token_features

    text = "Die Gleichstellungsbeauftragte berät vertraulich, z.B. zu TVöD-Fragen (§ 12) – 3.500 €!  Danke."
    message = tokenized([text])[0]
    tokens = message.get(TOKENS_NAMES[TEXT])
    encoded = featurizer.encoder.encode([text])[0]
    assert np.allclose(token_features(encoded, tokens), _overlap_features(encoded, tokens))


def test_message_cache_stays_within_its_byte_budget(featurizer):
    from bot.nlu.e5_encoder import CachedEncoder, size_of

    budget = 200_000
    cache = CachedEncoder(featurizer.encoder.encoder, max_bytes=budget)
    texts = [f"Ich suche einen Kurs Nummer {n} zu Excel" for n in range(40)] + ["Haushalt " * 400]
    for text in texts:
        assert len(cache.encode([text])) == 1
    held = sum(size_of(encoded) + len(text) for text, encoded in cache._cache.items())
    assert held == cache._bytes <= budget
    assert texts[-1] not in cache._cache  # one message larger than the whole budget is not kept
    assert 0 < len(cache._cache) < 40  # the oldest short ones were dropped to make room
