"""The numpy e5 featurizer reproduces the index runtime's encoder and gives DIET well-formed features.

Reference vectors: tests/bot/fixtures/e5_reference.json, made by the torch encoder of the index runtime
(tests/bot/fixtures/make_e5_reference.py).
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

from bot.nlu.e5_encoder import load_encoder
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


def test_sentence_vectors_match_the_index_encoder(featurizer: E5Featurizer) -> None:
    encoded = featurizer.encoder.encode(REFERENCE["sentences"], batch_size=4)
    ours = np.stack([e.sentence for e in encoded])
    reference = np.asarray(REFERENCE["vectors"], dtype=np.float64)
    norms = np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    cosines = (ours * reference).sum(axis=1) / norms
    assert cosines.min() >= 0.999, dict(zip(REFERENCE["sentences"], cosines.round(5), strict=True))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batching_and_cache_do_not_change_vectors(featurizer: E5Featurizer) -> None:
    texts = ["Gute Nacht", "Ich bin Bibliothekarin und suche einen Kurs zu Excel"]
    alone = [featurizer.encoder.encode([t], batch_size=1)[0].sentence for t in texts]
    fresh = load_encoder.__wrapped__(str(MODEL_DIR.resolve())).encode(texts, batch_size=2)
    for single, batched in zip(alone, fresh, strict=True):
        assert np.allclose(single, batched.sentence, atol=1e-5)


def test_messages_get_one_sentence_vector_and_one_row_per_token(featurizer: E5Featurizer) -> None:
    text = REFERENCE["sentences"][5]
    (message,) = featurizer.process(tokenized([text]))
    sentence = features(message, TEXT, FEATURE_TYPE_SENTENCE)
    sequence = features(message, TEXT, FEATURE_TYPE_SEQUENCE)
    reference = np.asarray(REFERENCE["vectors"][5])
    assert sentence.shape == (1, 384)
    assert float(sentence[0] @ reference) >= 0.999
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
