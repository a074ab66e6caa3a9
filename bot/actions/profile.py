"""The learner profile form (``profile_form``: role, skill gaps, format) and its small actions.

The form asks only for what is missing. Anything the user says early or all at once is picked up by the slot
mappings in ``bot/domain/profile.yml``; the plain functions of ``bot.actions.parsing`` turn the raw values
into canonical ones. This module only reads the tracker and answers with domain responses.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.parsing import (
    ANY,
    gaps_besides_role,
    normalize_format,
    normalize_role,
    normalize_skills,
    role_spans,
    role_statement,
    without_unsure,
)

# Intents whose message may carry a problem description next to the role.
GAP_BEARING_INTENTS = {"inform_role", "inform_skill_gap", "request_recommendations"}
OTHER_WISHES = {"level", "cost", "duration"}


def without_unsure_entities(tracker: Tracker, entity_name: str, value: Any) -> Any:
    """The slot value without the entity values of the latest message the NLU was unsure about."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return without_unsure(entities, entity_name, value)


def entities_in_latest_message(tracker: Tracker) -> set[str]:
    return {str(e.get("entity")) for e in (tracker.latest_message or {}).get("entities") or []}


def _profile_message(tracker: Tracker) -> dict[str, Any] | None:
    """The latest user message if it is about the user's profile (may carry role and gap in free text)."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") not in GAP_BEARING_INTENTS:
        return None
    return message


class ValidateProfileForm(FormValidationAction):
    """Normalises what the user said; an unusable answer re-asks the same question."""

    def name(self) -> str:
        return "validate_profile_form"

    def validate_role(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        role = normalize_role(without_unsure_entities(tracker, "role", slot_value))
        if role is None:
            dispatcher.utter_message(response="utter_role_not_understood")
        return {"role": role}

    def validate_skill_gaps(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        skills = normalize_skills(slot_value)
        if skills is None:
            dispatcher.utter_message(response="utter_skill_gaps_not_understood")
        return {"skill_gaps": skills}

    def validate_format_pref(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        fmt = normalize_format(slot_value)
        if fmt is not None:
            return {"format_pref": fmt}
        if tracker.get_slot("requested_slot") != "format_pref":
            # A word tagged as a format in a message about something else ("vor", "super"): not an answer
            # to a question that was not asked. The form asks for the format when it is its turn.
            return {"format_pref": None}
        if entities_in_latest_message(tracker) & OTHER_WISHES:
            # An answer about level, cost or duration instead of format still answers "any wishes?".
            return {"format_pref": ANY}
        dispatcher.utter_message(response="utter_format_not_understood")
        return {"format_pref": None}

    def extract_role(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A job title the NLU did not tag ("ich bin Projektleiter in der Stadtverwaltung")."""
        if tracker.get_slot("role") is not None or tracker.get_slot("requested_slot") == "role":
            return {}
        message = _profile_message(tracker)
        if message is None or role_spans(message.get("entities") or []):
            return {}
        stated = role_statement(str(message.get("text") or ""))
        return {"role": stated[0]} if stated else {}

    def extract_skill_gaps(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """What the user said next to the role is the skill gap, so the form does not ask for it again:
        a problem told in plain words ("Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft laut")
        or a topic the NLU did not tag ("… und brauche Hilfe bei Exel")."""
        if tracker.get_slot("skill_gaps") is not None or tracker.get_slot("requested_slot") == "skill_gaps":
            return {}
        message = _profile_message(tracker)
        if message is None:
            return {}
        entities = message.get("entities") or []
        if any(entity.get("entity") == "skill" for entity in entities):
            return {}
        text = str(message.get("text") or "")
        spans = role_spans(entities)
        stated = role_statement(text)
        if stated and not spans:
            spans = [stated[1]]
        gaps = gaps_besides_role(text, spans)
        return {"skill_gaps": gaps} if gaps else {}


class ActionClearSkillGaps(Action):
    """ "Andere Themen": forget the current topics unless the user named new ones in the same message."""

    def name(self) -> str:
        return "action_clear_skill_gaps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        new_skills = normalize_skills(list(tracker.get_latest_entity_values("skill")))
        return [SlotSet("skill_gaps", new_skills)]


class ActionPauseProfile(Action):
    """A membership cost question interrupts the profile form: stop it and remember to come back."""

    def name(self) -> str:
        return "action_pause_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("profile_interrupted", True)]


class ActionResumeProfile(Action):
    """Back from a membership digression: say so and clear the interruption flag (the form asks next)."""

    def name(self) -> str:
        return "action_resume_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_back_to_profile")
        return [SlotSet("profile_interrupted", False)]
