"""Correct an intent that the message's own words plainly contradict.

Two rules, each about something the classifier cannot weigh because it reads the sentence as a whole:

- ``membership_faq`` for a message that gives the number of employees ("Wie läuft das mit den
  Geschäftsanteilen? Wir haben etwa achthundert Leute.") becomes ``ask_membership_cost``: the person wants
  the calculation for their administration, not the general FAQ answer.
- ``restart`` for a message that states a wish about the offers ("Ganz von vorn bitte, Anfänger.") becomes
  ``refine``: "von vorn" there means "from the very basics", and restarting would throw the profile away.

Runs after the classifiers and the fallback components; it has nothing to train.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.actions.membership import parse_employee_count
from bot.actions.parsing import states_wish
from bot.nlu.intent_override import override_intent

# A count of people, not of votes, shares or years.
PEOPLE = re.compile(
    r"\b(?:beschäftigt|beschaeftigt|mitarbeit|leute|bedienstete|angestellte|köpfe|koepfe|personal|mann\b|"
    r"menschen|kolleg)",
    re.IGNORECASE,
)


def corrected_intent(intent: str | None, text: str) -> str | None:
    """The intent the message's words call for instead of ``intent``, or None to keep it."""
    if intent == "membership_faq" and PEOPLE.search(text) and parse_employee_count(text).ok:
        return "ask_membership_cost"
    if intent == "restart" and not text.startswith("/") and states_wish(text):
        return "refine"
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ContentRules(GraphComponent, IntentClassifier):
    """Applies ``corrected_intent`` to every message."""

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
    ) -> ContentRules:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            current = message.get(INTENT) or {}
            name = corrected_intent(current.get("name"), str(message.get(TEXT) or ""))
            if name is None:
                continue
            override_intent(message, name)
        return messages
