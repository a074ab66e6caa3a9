"""Predict `nlu_fallback` for messages made only of words the assistant has never seen.

DIET is often confident about gibberish ("xqzv blorf knt"), because character n-grams always overlap with
something; the confidence threshold of the FallbackClassifier does not catch that. This component remembers
the training vocabulary (examples, lookup tables, synonyms) and, when not a single word of a message is known
(allowing one typo per word, and ae/oe/ue for umlauts), predicts `nlu_fallback`, so the user is asked to
rephrase instead of getting an answer to something they did not say. Messages without letters (e.g. "670")
are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_override import override_intent
from german.folding import UMLAUT_TABLE as FOLD

WORD = re.compile(r"[^\W\d_]+")
VOCABULARY_FILE = "vocabulary.json"


def words(text: str) -> list[str]:
    """Lower-cased words of a text with umlauts folded (Bürgeramt -> buergeramt)."""
    return WORD.findall(text.lower().translate(FOLD))


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Vocabulary:
    """Known words, with a one-edit tolerance for words of five letters or more (symmetric deletions)."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = set(known)
        self._deleted = {d for word in self.known if len(word) >= 4 for d in deletions(word)}

    def knows(self, word: str) -> bool:
        if word in self.known:
            return True
        if len(word) < 5:
            return False
        return word in self._deleted or any(
            d in self.known or d in self._deleted for d in deletions(word)
        )

    def knows_any(self, text: str) -> bool:
        tokens = words(text)
        return not tokens or any(self.knows(token) for token in tokens)


def save_words(model_storage: ModelStorage, resource: Resource, file_name: str, known: Iterable[str]) -> None:
    """Store a learnt word list with the trained model (JSON, sorted)."""
    with model_storage.write_to(resource) as directory:
        (directory / file_name).write_text(json.dumps(sorted(known)), encoding="utf-8")


def load_words(model_storage: ModelStorage, resource: Resource, file_name: str) -> list[str]:
    """The word list ``save_words`` stored with the model."""
    with model_storage.read_from(resource) as directory:
        return list(json.loads((directory / file_name).read_text(encoding="utf-8")))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownVocabularyFallback(GraphComponent, IntentClassifier):
    """Sets `nlu_fallback` when a message contains no known word."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, model_storage: ModelStorage, resource: Resource, known: Iterable[str] = ()) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = Vocabulary(known)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownVocabularyFallback:
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownVocabularyFallback:
        return cls(model_storage, resource, load_words(model_storage, resource, VOCABULARY_FILE))

    def train(self, training_data: TrainingData) -> Resource:
        known: set[str] = set()
        for example in training_data.training_examples:
            known.update(words(example.get(TEXT) or ""))
        for table in training_data.lookup_tables:
            for element in table.get("elements") or []:
                known.update(words(str(element)))
        for surface, value in training_data.entity_synonyms.items():
            known.update(words(surface) + words(value))
        self.vocabulary = Vocabulary(known)
        save_words(self._model_storage, self._resource, VOCABULARY_FILE, known)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self.vocabulary.known and not self.vocabulary.knows_any(text):
                override_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME, 1.0)
        return messages
