"""Small talk (intent ``chitchat``), and the wishes the NLU takes for small talk.

After offers, a message that states a wish in words the assistant knows ("Isch des au koschtelos?", "und des
in Präsenz?") narrows those offers, whatever intent the NLU gave it: it is handed on as ``refine``. Anything
else gets the best small-talk answer of the response selector. The selector also serves the membership FAQ,
so its overall best answer may be a FAQ answer, which is no reply to small talk: only ``chitchat/*`` answers
are taken, and without one the person is asked to rephrase. (A plain yes or no to the delete question taken
for small talk never gets here: bot/policies/answer_in_context.py re-reads it first.)
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.fallback import clarified_message
from bot.actions.membership import asks_membership_cost
from bot.actions.parsing import states_wish

SMALL_TALK_PREFIX = "chitchat/"
REFINE_INTENT = "refine"


def small_talk_response(parse_data: dict[str, Any]) -> str | None:
    """The domain response of the selector's best small-talk answer (``utter_chitchat/…``), or None."""
    selectors = parse_data.get("response_selector") or {}
    ranking: list[dict[str, Any]] = []
    for selector in selectors.values() if isinstance(selectors, dict) else []:
        if isinstance(selector, dict):
            ranking.extend(r for r in selector.get("ranking") or [] if isinstance(r, dict))
    ranking.sort(key=lambda r: float(r.get("confidence") or 0.0), reverse=True)
    for candidate in ranking:
        key = str(candidate.get("intent_response_key") or "")
        if key.startswith(SMALL_TALK_PREFIX):
            return f"utter_{key}"
    return None


class ActionSmallTalk(Action):
    """Answer small talk; after offers, take a stated wish as a refinement of them."""

    def name(self) -> str:
        return "action_small_talk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        parse_data = tracker.latest_message or {}
        text = str(parse_data.get("text") or "")
        form_active = (tracker.active_loop or {}).get("name") is not None
        offers_shown = bool(tracker.get_slot("last_results"))
        if offers_shown and not form_active and states_wish(text) and not asks_membership_cost(text):
            confidence = float((parse_data.get("intent") or {}).get("confidence") or 0.0)
            return clarified_message(parse_data, {"name": REFINE_INTENT, "confidence": confidence})
        response = small_talk_response(parse_data)
        if response is None or response not in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response=response)
        return []
