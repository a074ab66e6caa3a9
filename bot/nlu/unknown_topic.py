"""Turn a membership FAQ prediction into ``membership_unknown`` when the question names a topic the sources do
not cover (statute, termination, member list).

The FAQ answers are close in meaning to such questions ("Wo finde ich die Satzung? Wir prüfen den Beitritt"
reads like the joining steps), so the classifier often picks one, and the person gets a confident answer to a
question nobody can answer from the sources. The unknown topics and their keywords are the ones of
``bot/membership/terms.yml`` (the action server says the same "Das weiß ich leider nicht" from them); only the
topics named in ``topics`` override a FAQ answer, and annual fees only when the question is about money every
year ("jährliche Mitgliedsbeiträge", "jedes Jahr obendrauf"): "laufende Kosten" is also the question who pays
the cooperative's running costs, which the FAQ does answer. Runs after the
classifiers and the fallback components; it has nothing to train.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.actions.membership import ANNUAL_FEES, detect_unknown_topic, load_terms
from bot.nlu.intent_override import override_intent
from german.requests import asks_for_yearly_money

FAQ_INTENT = "membership_faq"
UNKNOWN_INTENT = "membership_unknown"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UnknownTopicGuard(GraphComponent, IntentClassifier):
    """``membership_faq`` -> ``membership_unknown`` for questions about a topic the sources do not cover."""

    def __init__(self, topics: frozenset[str]) -> None:
        self.topics = topics

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"topics": ["termination", "statute", "member_list"]}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownTopicGuard:
        topics = frozenset(config.get("topics") or ())
        known = {topic.id for topic in load_terms().unknown_topics}
        if not topics <= known:
            raise ValueError(
                f"UnknownTopicGuard: topics {sorted(topics - known)} are not in bot/membership/terms.yml "
                f"(known: {sorted(known)})"
            )
        return cls(topics)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get("name") != FAQ_INTENT:
                continue
            text = str(message.get(TEXT) or "")
            topic = detect_unknown_topic(load_terms(), text)
            if topic is None:
                continue
            if topic.id in self.topics or (topic.id == ANNUAL_FEES and asks_for_yearly_money(text)):
                override_intent(message, UNKNOWN_INTENT)
        return messages

