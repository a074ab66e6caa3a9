"""A message read as the answer to the assistant's own last step, whatever intent the classifier gave it.

"Jo, dat is so. Allens weg, bitte." right after "Soll ich Ihre Angaben wirklich löschen?" is a yes, even when
the classifier took it for a course search; "ok angenommen 2001, was dann?" right after a share calculation
asks for that count's tier, even when it was taken for out of scope. ``answer_in_context`` in
bot/actions/fallback.py decides (plain function, tested there); this policy is the one place every turn
passes, so the rules and stories need no exception for every intent a misread answer may carry. It predicts
``action_answer_in_context``, which replaces the user message by the same message with the intended intent;
the rules then answer that as usual.

Its priority is above the RulePolicy's so that it wins a tie at confidence 1.0; it predicts nothing (all
zeros) for every other message and step.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.constants import POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.actions.fallback import answer_in_context

logger = logging.getLogger(__name__)

ACTION_NAME = "action_answer_in_context"
# Above RulePolicy (4) and MemoizationPolicy (3): both predict with confidence 1.0 as well.
PRIORITY = 6
# Events handed to answer_in_context: enough to reach back past the assistant's last step and a two-stage
# fallback in between, without converting a long conversation's whole history on every turn.
LOOKBACK_EVENTS = 80


def awaits_first_action(tracker: DialogueStateTracker) -> bool:
    """The latest user message has not been answered by any action yet (slot extraction aside)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_EXTRACT_SLOTS:
            return False
    return False


def intent_in_context(tracker: DialogueStateTracker) -> dict[str, Any] | None:
    """The intent the latest message has as the answer to the assistant's last step, or None."""
    if not awaits_first_action(tracker):
        return None
    events = [event.as_dict() for event in list(tracker.events)[-LOOKBACK_EVENTS:]]
    return answer_in_context(dict(tracker.latest_message.parse_data), events)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True
)
class AnswerInContextPolicy(Policy):
    """Predict ``action_answer_in_context`` for a message that answers the assistant's last step."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {POLICY_PRIORITY: PRIORITY}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn: the decision is a plain function of the latest events.
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        intent = intent_in_context(tracker)
        if intent is not None and ACTION_NAME in domain.action_names_or_texts:
            logger.debug("Latest message re-read in context as %s", intent.get("name"))
            probabilities[domain.index_for_action(ACTION_NAME)] = 1.0
        return self._prediction(probabilities)
