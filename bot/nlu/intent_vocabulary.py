"""Keep narrow intents to messages that share a content word with their training examples.

The e5 vectors put short keyword messages near whatever sounds similar: "stadtkasse vollstreckung" (a
need for a course on enforcement) lands on a membership FAQ answer about joining, because "Stadt",
"Kasse" and official words are close to the membership questions. A membership question always names
something of its subject (Genossenschaft, Anteil, Mitgliedschaft, Generalversammlung, zahlen …), so for
the intents in ``intents`` the message must contain at least one content word of their training examples
(one typo allowed for words of five letters or more, ae/oe/ue for umlauts; a compound sharing a part of
six letters or more with a known word counts). Otherwise the best-ranked
intent outside the group wins (``nlu_fallback`` if there is none). The vocabulary is learnt from the
training data at training time, so new examples extend it without a word list to maintain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_override import intent_ranking, override_intent
from bot.nlu.unknown_vocabulary import Vocabulary, load_words, save_words, words
from german.requests import ASKING_WORDS, FUNCTION_WORDS

VOCABULARY_FILE = "intent_vocabulary.json"
MIN_CONTENT_LETTERS = 2  # "eG" names the cooperative
# A compound made with a known word counts ("Beitrittskosten"); short parts ("Stadt" in "Stadtkasse") do not.
MIN_COMPOUND_PART = 6


def content_words(text: str) -> list[str]:
    """Words of a message that carry its subject (no function words, words of asking or very short words)."""
    return [
        w for w in words(text)
        if len(w) >= MIN_CONTENT_LETTERS and w not in FUNCTION_WORDS and w not in ASKING_WORDS
    ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentVocabularyGuard(GraphComponent, IntentClassifier):
    """A guarded intent only for a message with a content word of that group's training examples."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intents": []}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known: Iterable[str] = (),
    ) -> None:
        self.intents = frozenset(config.get("intents") or ())
        self._model_storage = model_storage
        self._resource = resource
        self._use(known)

    def _use(self, known: Iterable[str]) -> None:
        self.vocabulary = Vocabulary(known)
        # Known words long enough to be a part of a compound, for ``_compound``.
        self._parts = [k for k in self.vocabulary.known if len(k) >= MIN_COMPOUND_PART]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentVocabularyGuard:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentVocabularyGuard:
        return cls(config, model_storage, resource, load_words(model_storage, resource, VOCABULARY_FILE))

    def train(self, training_data: TrainingData) -> Resource:
        known: set[str] = set()
        found: set[str] = set()
        for example in training_data.training_examples:
            if example.get(INTENT) in self.intents:
                found.add(str(example.get(INTENT)))
                known.update(content_words(example.get(TEXT) or ""))
        missing = self.intents - found
        if missing:
            raise ValueError(f"IntentVocabularyGuard: no training examples for intents {sorted(missing)}")
        self._use(known)
        save_words(self._model_storage, self._resource, VOCABULARY_FILE, known)
        return self._resource

    def shares_a_word(self, text: str) -> bool:
        return any(self.vocabulary.knows(word) or self._compound(word) for word in content_words(text))

    def _compound(self, word: str) -> bool:
        """``word`` and a known word are the same compound family ("Beitrittskosten" / "Beitritt",
        "Anteile" / "Geschäftsanteile"), the shared part at least ``MIN_COMPOUND_PART`` letters long."""
        if len(word) < MIN_COMPOUND_PART:
            return False
        for known in self._parts:
            short, long = sorted((word, known), key=len)
            if len(short) < MIN_COMPOUND_PART or short == long:
                continue
            if long.startswith(short) or long.endswith(short):
                return True
        return False

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            if intent not in self.intents or not self.vocabulary.known:
                continue
            text = str(message.get(TEXT) or "")
            if not content_words(text) or self.shares_a_word(text):
                continue  # "670" or "Und bei 2001?" stay with the classifier
            others = [r for r in intent_ranking(message) if r.get("name") not in self.intents]
            chosen = others[0] if others else {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
            override_intent(message, str(chosen["name"]), float(chosen["confidence"]), drop=self.intents)
        return messages
