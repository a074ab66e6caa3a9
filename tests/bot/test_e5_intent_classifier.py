"""The intent classifier learns from e5 vectors and character n-grams, survives persist/load, ranks intents.

Uses the real converted e5 model (made by `make setup`) and Rasa's local model storage.
"""

from __future__ import annotations

from pathlib import Path
from unittest.mock import Mock

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_featurizer import DEFAULT_MODEL_DIR, E5Featurizer, resolve_model_dir
from bot.nlu.e5_intent_classifier import E5IntentClassifier, normalise, spelling_variants

MODEL_DIR = resolve_model_dir(DEFAULT_MODEL_DIR)

TRAINING = {
    "greet": ["Hallo", "Guten Morgen", "Moin", "Servus", "Hi zusammen", "Guten Tag"],
    "goodbye": ["Tschüss", "Auf Wiedersehen", "Bis bald", "Ciao", "Schönen Feierabend", "Bis morgen"],
    "skip": ["Keine Angabe", "Egal", "Überspringen", "Weiter", "Ist mir egal", "Spielt keine Rolle"],
}


def test_spelling_variants_are_how_people_type_in_a_chat() -> None:
    assert spelling_variants("Können Sie mir helfen?") == ["Koennen Sie mir helfen?", "können sie mir helfen"]
    assert spelling_variants("Grüße!") == ["Gruesse!", "grüße"]
    assert spelling_variants("moin") == []
    assert normalise("Überspringen, BITTE") == "ueberspringen, bitte"


@pytest.fixture(scope="module")
def featurizer() -> E5Featurizer:
    if not (MODEL_DIR / "kc_model_identity.json").is_file():
        pytest.fail(f"converted e5 model missing in {MODEL_DIR} (run 'make setup')", pytrace=False)
    return E5Featurizer.create(E5Featurizer.get_default_config(), Mock(), Mock(), Mock(node_name="e5"))


def featurized(featurizer: E5Featurizer, texts: list[str], intents: list[str] | None = None) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = []
    for i, text in enumerate(texts):
        message = Message(data={TEXT: text, **({INTENT: intents[i]} if intents else {})})
        message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
        messages.append(message)
    return featurizer.process(messages)


def test_trained_classifier_is_persisted_and_recognises_unseen_spellings(
    featurizer: E5Featurizer, tmp_path: Path
) -> None:
    texts = [t for examples in TRAINING.values() for t in examples]
    intents = [intent for intent, examples in TRAINING.items() for _ in examples]
    storage = LocalModelStorage(tmp_path)
    resource = Resource("e5_intent_classifier")
    context = Mock(node_name="e5_intent_classifier")
    trained = E5IntentClassifier.create({}, storage, resource, context)
    trained.train(TrainingData(featurized(featurizer, texts, intents)))

    loaded = E5IntentClassifier.load({}, storage, resource, context)
    unseen = {
        "tschuess und bis bald": "goodbye",
        "guten morgen zusammen": "greet",
        "ueberspringen bitte": "skip",
    }
    for message in loaded.process(featurized(featurizer, list(unseen))):
        ranking = message.get(INTENT_RANKING_KEY)
        assert message.get(INTENT)["name"] == unseen[message.get(TEXT)], ranking
        assert [r["name"] for r in ranking] == [
            r["name"] for r in sorted(ranking, key=lambda r: -r["confidence"])
        ]
        assert {r["name"] for r in ranking} == set(TRAINING)
        assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_classifier_needs_two_intents(featurizer: E5Featurizer, tmp_path: Path) -> None:
    from rasa.shared.exceptions import RasaException

    classifier = E5IntentClassifier.create({}, LocalModelStorage(tmp_path), Resource("c"), Mock())
    with pytest.raises(RasaException, match="at least two intents"):
        classifier.train(TrainingData(featurized(featurizer, ["Hallo", "Moin"], ["greet", "greet"])))


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_message_gets_no_intent_and_the_fallback_classifier_takes_it(
    featurizer: E5Featurizer, tmp_path: Path, text: str
) -> None:
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    texts = [t for examples in TRAINING.values() for t in examples]
    intents = [intent for intent, examples in TRAINING.items() for _ in examples]
    classifier = E5IntentClassifier.create({}, LocalModelStorage(tmp_path), Resource("c"), Mock())
    classifier.train(TrainingData(featurized(featurizer, texts, intents)))

    [message] = classifier.process(featurized(featurizer, [text]))
    assert message.get(INTENT) == {"name": None, "confidence": 0.0}
    fallback = FallbackClassifier.create(
        {**FallbackClassifier.get_default_config(), "threshold": 0.3}, Mock(), Mock(), Mock()
    )
    [message] = fallback.process([message])  # raised GraphComponentException on None before
    assert message.get(INTENT)["name"] == "nlu_fallback"
