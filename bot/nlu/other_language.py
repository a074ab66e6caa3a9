"""Predict ``other_language`` for messages that are clearly not German, so the assistant says in German which
language it speaks instead of guessing an intent from a Russian, Turkish or English sentence.

The e5 vectors are multilingual, so without this the intent classifier happily answers "How much is the
membership?" with the German calculator, or starts the profile form for a Russian greeting. The decision is
``german.language.foreign_language`` (script, then frequent function words); short or mixed messages stay with
the NLU. The other way round, an ``other_language`` prediction of the intent classifier for a text that is not
clearly foreign becomes ``nlu_fallback`` (the person is asked to rephrase), so German text never gets the
language answer. Runs last in the pipeline (after the fallback components, which would otherwise turn a
sentence of unknown words into ``nlu_fallback``); it has nothing to train.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_override import override_intent
from german.language import foreign_language

OTHER_LANGUAGE_INTENT = "other_language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OtherLanguageClassifier(GraphComponent, IntentClassifier):
    """Sets ``other_language`` for clearly foreign messages and only for them."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OtherLanguageClassifier:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if foreign_language(str(message.get(TEXT) or "")) is not None:
                override_intent(message, OTHER_LANGUAGE_INTENT, 1.0)
            elif (message.get(INTENT) or {}).get("name") == OTHER_LANGUAGE_INTENT:
                override_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME, 1.0, drop=[OTHER_LANGUAGE_INTENT])
        return messages
