"""The learner profile form (``profile_form``: the needs, and the role when the person wants to give it).

Offers come as soon as a need is known: the form asks only when there is nothing to search for ("Zu welchem
Thema …?"), or for the role when the person pressed "In welchem Bereich arbeiten Sie? …" after offers. Role
and format are used when given, never required. Every message that states or describes a need adds it to the
needs stated so far (``bot.actions.needs``), whether or not the NLU tagged a ``skill``; the plain functions of
``bot.actions.parsing`` turn the raw role into a canonical one. This module only reads the tracker and answers
with domain responses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.needs import (
    is_description,
    mentions_someone_else,
    merged,
    needs_in_message,
    only_gives_wish_reasons,
    reads_as_role,
    stated_role,
    unique,
)
from bot.actions.parsing import (
    MIN_ENTITY_CONFIDENCE,
    SKIPPED,
    entity_confidence,
    normalize_format,
    normalize_level,
    normalize_role,
    real_skills,
    role_spans,
    role_statement,
    states_wish,
    without_unsure,
)
from german.folding import fold
from german.quantities import DRAWS_THE_SHORT_STRAW, cost_limit, cost_wish, duration_wish
from german.requests import NEW_MATTER, NO_TOPIC_ANSWER, TROUBLE_WORD
from german.vocabulary import LEVELS, format_wish, level_in_answer, without_topic_basics

REQUESTED_SLOT = "requested_slot"
# Intents whose message states a need in its own words.
NEED_INTENTS = {"inform_skill_gap", "request_recommendations", "request_other_topics", "nlu_fallback"}
# Messages about something else: never a need, never an answer to the form's question.
ESCAPE_INTENTS = {
    "ask_membership_cost", "inform_employee_count", "membership_faq", "membership_unknown", "request_human",
    "delete_my_data", "restart", "goodbye", "thank", "help", "bot_challenge", "chitchat", "out_of_scope",
    "ask_details", "more_like", "other_language",
}
# Answers that decline the question ("möchte ich nicht sagen", "weiß ich nicht").
DECLINE_INTENTS = {"skip", "deny"}
# The role button after offers sends this payload (bot/domain/recommendations.yml, buttons.role).
ROLE_BUTTON_PAYLOAD = "/inform_role"
MAX_ROLE_ANSWER_WORDS = 8
MAX_SHORT_WISH_WORDS = 4
# Content words a problem told next to the role needs ("…, Haushaltsplanung" only names the role's field; "ich
# bin seit zwei Jahren dabei" tells no need); a clause with a trouble word needs fewer ("die Leute werden bei
# Kontrollen immer aggressiver").
MIN_TOLD_NEXT_TO_ROLE = 3
MIN_TROUBLE_TOLD_NEXT_TO_ROLE = 2
_FIRST_CLAUSE = re.compile(r"[^,.;:!?–—]*")


def without_unsure_entities(tracker: Tracker, entity_name: str, value: Any) -> Any:
    """The slot value without the entity values of the latest message the NLU was unsure about."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return without_unsure(entities, entity_name, value)


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _sure_values(tracker: Tracker, entity_name: str) -> list[str]:
    entities = (tracker.latest_message or {}).get("entities") or []
    return [
        str(e.get("value"))
        for e in entities
        if e.get("entity") == entity_name and e.get("value") and entity_confidence(e) >= MIN_ENTITY_CONFIDENCE
    ]


_Extractor = Callable[..., dict[str, Any]]


def forgets_on_new_matter(slot: str) -> Callable[[_Extractor], _Extractor]:
    """A wish extractor that also forgets the wish of earlier messages when the latest one starts another
    matter ("… ganz von vorn beginnen, mit einem völlig anderen Anliegen?") and states no such wish itself."""

    def decorate(extract: _Extractor) -> _Extractor:
        @functools.wraps(extract)
        def extract_or_forget(
            self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
        ) -> dict[str, Any]:
            found = extract(self, dispatcher, tracker, domain)
            if found or not NEW_MATTER.search(_text(tracker)) or _text(tracker).startswith("/"):
                return found
            current = tracker.get_slot(slot)
            if current is None or current != slot_before_message(tracker, slot):
                return found  # nothing to forget, or the message itself set it
            return {slot: None}

        return extract_or_forget

    return decorate


def stated_needs(tracker: Tracker) -> list[str]:
    """The needs the latest message states (empty if it states none or is about something else)."""
    intent, text = _intent(tracker), _text(tracker)
    if intent in ESCAPE_INTENTS or text.startswith("/"):
        return unique(_sure_values(tracker, "skill")) if text.startswith("/") else []
    spans = role_spans((tracker.latest_message or {}).get("entities") or [])
    role = _role_before(tracker)
    if tracker.get_slot(REQUESTED_SLOT) == "skill_gaps" or intent in NEED_INTENTS:
        found = needs_in_message(text, spans, role=role)
    elif intent == "inform_role":
        # Next to the role only a request or a told problem is a need ("Ich bin in der Kämmerei,
        # Haushaltsplanung" states the role).
        min_told = MIN_TROUBLE_TOLD_NEXT_TO_ROLE if TROUBLE_WORD.search(text) else MIN_TOLD_NEXT_TO_ROLE
        # Terse keywords around a bare role word ("verkehrssicherung arbeitsstellen bauhof") are topics; next
        # to a role stated in words ("Ich bin in der Kämmerei, Haushaltsplanung") they describe the role.
        keywords = bool(spans) and stated_role(text) is None and role_statement(text) is None
        found = needs_in_message(text, spans, keywords=keywords, min_told=min_told, role=role)
    elif intent == "refine" and not real_skills(tracker.get_slot("skill_gaps")):
        # A wish before any need often names the topic too ("outlook + teams, online, einsteiger").
        found = needs_in_message(text, spans, role=role)
    else:
        found = []
    refining = (
        intent != "request_other_topics"
        and not NEW_MATTER.search(text)
        and real_skills(tracker.get_slot("skill_gaps"))
    )
    if found and refining and opens_with_wish(text, (tracker.latest_message or {}).get("entities") or []):
        # After a wish about offers already on the table, what a person tells is the reason for the wish
        # ("Für Anfänger, ich bin erst seit einem halben Jahr da"), not a need; a named topic still is.
        found = [need for need in found if not is_description(need)]
    if found and refining and states_wish(text):
        # "… Fortbildungsbudget begrenzt; mehr als 200 Euro wird man mir nicht genehmigen": the reason for the
        # wish, not a further need.
        found = [need for need in found if not (is_description(need) and only_gives_wish_reasons(need))]
    return found or (unique(_sure_values(tracker, "skill")) if intent in NEED_INTENTS else [])


def _role_before(tracker: Tracker) -> str | None:
    """The role known before the latest message (the message's own role is read from its words)."""
    role = slot_before_message(tracker, "role")
    if isinstance(role, list):
        role = role[0] if role else None
    return str(role) if role else None


def opens_with_wish(text: str, entities: list[dict[str, Any]]) -> bool:
    """The message opens with a wish about the offers ("Für Anfänger, …", "Das Format ist mir gleich. …"); a
    further need told first ("Und noch was dazu, wie ich meinen Tag organisiere") does not."""
    first = _FIRST_CLAUSE.match(text)
    end = first.end() if first else len(text)
    opening = [e for e in entities if isinstance(e.get("start"), int) and e["start"] < end]
    return states_wish(text[:end], opening, with_any=True)


def roles_in_needs(tracker: Tracker) -> set[str]:
    """Role values the NLU tagged in the latest message that are part of a need it states ("Schulungen zu den
    Neuerungen beim Fachkräfteeinwanderungsgesetz"): they do not read as a role, and the need keeps them."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    suspects = [
        str(e.get("value"))
        for e in message.get("entities") or []
        if e.get("entity") == "role" and e.get("start") is not None and e.get("end") is not None
        and not reads_as_role(text, int(e["start"]), int(e["end"]))
    ]
    if not suspects:
        return set()
    needs = [fold(n) for n in stated_needs(tracker)]
    return {v for v in suspects if any(fold(v) in need for need in needs)}


def _role_without(tracker: Tracker, value: Any, dropped: set[str]) -> Any:
    """The role slot ``value`` without the ``dropped`` values; the value before the message when none is
    left."""
    if not dropped or value is None:
        return value
    if isinstance(value, list):
        kept = [v for v in value if str(v) not in dropped]
        return kept or slot_before_message(tracker, "role")
    return slot_before_message(tracker, "role") if str(value) in dropped else value


def without_roles_in_needs(tracker: Tracker, value: Any) -> Any:
    """The role slot without values that are part of a need (the value before the message if none is left)."""
    return _role_without(tracker, value, roles_in_needs(tracker))


def without_others_roles(tracker: Tracker, value: Any) -> Any:
    """The role slot without values the latest message names as somebody else's ("sonst gibt der Kämmerer
    nix frei"); the value before the message if none is left."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    others = {
        str(e.get("value"))
        for e in message.get("entities") or []
        if e.get("entity") == "role"
        and isinstance(e.get("start"), int)
        and mentions_someone_else(text, e["start"])
    }
    return _role_without(tracker, value, others)


def role_wanted(tracker: Tracker) -> bool:
    """The person pressed the button "In welchem Bereich arbeiten Sie? …" and has given no role yet."""
    return _text(tracker).strip().startswith(ROLE_BUTTON_PAYLOAD) and tracker.get_slot("role") is None


class ValidateProfileForm(FormValidationAction):
    """Extracts the needs and the role from every message the form sees; asks only for what it must."""

    def name(self) -> str:
        return "validate_profile_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """Extract and validate both on every turn (which one is asked is ``next_requested_slot``)."""
        return ["skill_gaps", "role", "format_pref", "level_pref", "max_cost_eur", "max_duration_hours"]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotSet:
        if not tracker.get_slot("skill_gaps"):
            return SlotSet(REQUESTED_SLOT, "skill_gaps")
        if role_wanted(tracker):
            return SlotSet(REQUESTED_SLOT, "role")
        return SlotSet(REQUESTED_SLOT, None)

    def extract_skill_gaps(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The needs of this message added to those stated before (newest first)."""
        new = stated_needs(tracker)
        if not new:
            asked = tracker.get_slot(REQUESTED_SLOT) == "skill_gaps"
            no_topic = _intent(tracker) in DECLINE_INTENTS or bool(NO_TOPIC_ANSWER.search(_text(tracker)))
            if asked and no_topic:  # "Weiß ich noch nicht", "keine Ahnung, irgendwas"
                return {"skill_gaps": [SKIPPED]}
            return {}
        if NEW_MATTER.search(_text(tracker)):
            return {"skill_gaps": new}  # another matter: the needs before it are done with
        return {"skill_gaps": merged(real_skills(tracker.get_slot("skill_gaps")), new)}

    def validate_skill_gaps(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if slot_value == [SKIPPED] or slot_value == SKIPPED:
            return {"skill_gaps": [SKIPPED]}
        values = slot_value if isinstance(slot_value, list) else [slot_value]
        return {"skill_gaps": unique(str(v) for v in values if v) or None}

    def extract_role(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A role the NLU did not tag ("ich arbeite im Sozialamt, Teamleitung"), or the answer to the role
        question in any form ("Sozialamt", "möchte ich nicht sagen")."""
        intent, text = _intent(tracker), _text(tracker)
        if text.startswith("/") or intent in ESCAPE_INTENTS:
            return {}
        tagged = _sure_values(tracker, "role")
        if tracker.get_slot(REQUESTED_SLOT) == "role":
            if intent in DECLINE_INTENTS and not tagged:
                return {"role": SKIPPED}
            answer = tagged[-1] if tagged else stated_role(text) or _short_answer(text)
            return {"role": answer} if answer else {}
        tagged = [v for v in tagged if v not in roles_in_needs(tracker)]
        if tagged or intent not in NEED_INTENTS | {"inform_role"}:
            return {}
        stated = stated_role(text) or (role_statement(text) or (None,))[0]
        return {"role": stated} if stated else {}

    def validate_role(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        value = without_unsure_entities(tracker, "role", slot_value)
        if tracker.get_slot(REQUESTED_SLOT) != "role":
            value = without_others_roles(tracker, without_roles_in_needs(tracker, value))
        role = normalize_role(value)
        if role is None and tracker.get_slot(REQUESTED_SLOT) == "role":
            dispatcher.utter_message(response="utter_role_not_understood")
        return {"role": role}


    @forgets_on_new_matter("format_pref")
    def extract_format_pref(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The format the message asks for, tagged or not; a format word that is part of the topic
        ("Leistungen online anbieten") is no wish and leaves the format as it was."""
        text = _text(tracker)
        if text.startswith("/"):
            return {}
        wish = format_wish(text, cue_needed=_intent(tracker) != "refine")
        if wish is not None:
            return {"format_pref": wish}
        if _sure_values(tracker, "format") or any(
            e.get("entity") == "format" for e in (tracker.latest_message or {}).get("entities") or []
        ):
            return {"format_pref": slot_before_message(tracker, "format_pref")}
        return {}

    def validate_format_pref(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"format_pref": normalize_format(slot_value)}


    @forgets_on_new_matter("level_pref")
    def extract_level_pref(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A level wish the NLU did not tag: named outright ("gibt's was für Anfänger?") in any message, a
        hint ("eher Grundlagen", "Aufbaukurs") in a refinement or a short answer only: inside a longer
        message such words are often part of the topic ("Grundlagen der Doppik")."""
        text = _text(tracker)
        short = len(text.split()) <= MAX_SHORT_WISH_WORDS
        tagged = tracker.get_slot("level_pref") != slot_before_message(tracker, "level_pref")
        if text.startswith("/") or tagged:
            return {}
        level = level_in_answer(
            fold(without_topic_basics(text)), explicit_only=_intent(tracker) != "refine" and not short
        )
        return {"level_pref": level} if level else {}

    def validate_level_pref(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The tagged word read in its sentence (``level_said``)."""
        return {"level_pref": level_said(tracker, slot_value)}


    @forgets_on_new_matter("max_cost_eur")
    def extract_max_cost_eur(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A cost limit in words ("Max. 400 Euro, mehr gibt das Budget nicht her"); "kostenlos" inside a
        message about a topic only when said as a wish. action_recommend parses the words."""
        return self._said_in_words(tracker, "max_cost_eur", cost_wish, cost_limit)

    def validate_max_cost_eur(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"max_cost_eur": slot_value}

    @forgets_on_new_matter("max_duration_hours")
    def extract_max_duration_hours(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A duration limit in words ("nicht mehr als 20 Stunden insgesamt")."""
        return self._said_in_words(tracker, "max_duration_hours", None, duration_wish)

    def validate_max_duration_hours(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"max_duration_hours": duration_said(tracker, slot_value)}

    @staticmethod
    def _said_in_words(
        tracker: Tracker,
        slot: str,
        wish: Callable[..., str | None] | None,
        limit: Callable[[str], str | None],
    ) -> dict[str, Any]:
        """A cost or duration wish in the person's words. A limit with a number (``limit``) wins over what the
        NLU tagged in the same message: in "etwas Kurzes, maximal 4 Stunden" it tags "Kurzes". Other wishes
        (``wish``: "kostenlos") only when the NLU tagged nothing."""
        text = _text(tracker)
        if text.startswith("/"):
            return {}
        numbered = limit(text)
        if numbered:
            return {slot: numbered}
        if wish is None or tracker.get_slot(slot) != slot_before_message(tracker, slot):
            return {}
        said = wish(text, cue_needed=_intent(tracker) != "refine")
        return {slot: said} if said else {}


def level_said(tracker: Tracker, slot_value: Any) -> Any:
    """The level wish of ``slot_value`` (the slot after the entity mapping) read in the latest message: "nur
    für Fortgeschrittene, die Grundlagen haben wir" is no wish for Einsteiger*innen even if the NLU tagged
    "Grundlagen" (and the slot took it). A level the sentence does not confirm ("Aufbau von Bescheiden")
    leaves the slot as it was before the message; a hint the NLU tagged counts ("ein paar Grundlagen in
    Gebärdensprache"). Values from earlier messages, payloads and "egal" pass unchanged."""
    level = normalize_level(slot_value)
    text = _text(tracker)
    before = slot_before_message(tracker, "level_pref")
    if slot_value is None or text.startswith("/") or slot_value == before or level not in (*LEVELS, None):
        return level
    # Also when the NLU tagged only part of a level phrase ("keinerlei Vorkenntnisse" -> "Vorkenntnisse") or
    # words that state no level ("die Einführung eines neuen Fachverfahrens"): the sentence decides.
    in_sentence = level_in_answer(fold(without_topic_basics(text)))
    return in_sentence if in_sentence is not None else normalize_level(before)


def duration_said(tracker: Tracker, value: Any) -> Any:
    """The duration wish without "(zieh) den Kürzeren", which the NLU may tag: no wish for a short course
    ("… und zieh dabei meistens den Kürzeren") keeps what the slot held before the message."""
    before = slot_before_message(tracker, "max_duration_hours")
    text = _text(tracker)
    if value != before and DRAWS_THE_SHORT_STRAW.search(text) and not duration_wish(text):
        return before
    return value


def format_said(tracker: Tracker, value: Any) -> Any:
    """The format slot as the form set it from the sentence, when the sentence states that format as a wish:
    an unsure entity of the same value must not replace it by a format the sentence rejects ("Am liebsten
    wäre mir etwas in Präsenz, … online ist das immer so steril" tagged both, "praesenz" unsure)."""
    slot = tracker.get_slot("format_pref")
    if slot is not None and slot != value and format_wish(_text(tracker)) == slot:
        return slot
    return value


def slot_before_message(tracker: Tracker, name: str) -> Any:
    """The value a slot had before the latest user message (its entity mapping may have changed it since)."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    value = None
    for event in tracker.events[: users[-1] if users else 0]:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def _short_answer(text: str) -> str | None:
    """A plain answer to "In welchem Bereich arbeiten Sie?" ("Sozialamt, Teamleitung")."""
    words = text.split()
    return text if 0 < len(words) <= MAX_ROLE_ANSWER_WORDS else None


class ActionClearSkillGaps(Action):
    """ "Andere Themen": forget the needs and the offers shown; new needs named in the same message are taken
    by the profile form that follows."""

    def name(self) -> str:
        return "action_clear_skill_gaps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet("skill_gaps", None), SlotSet("shown_course_ids", None)]


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
