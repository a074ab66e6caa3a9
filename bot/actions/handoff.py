"""Handoff to human support: consent, optional contact, stored request with a reference number.

The form `handoff_form` asks for consent first; without consent nothing is stored. The question is taken
from the conversation (the latest substantive user message) or asked for.
German texts live in bot/domain/handoff.yml.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.support.store import MAX_QUESTION_CHARS, MAX_TURNS, SupportStore
from german.requests import NO_ANSWER, YES_ANSWER

log = logging.getLogger(__name__)

FORM = "handoff_form"
CONSENT, QUESTION, CONTACT = "handoff_consent", "handoff_question", "handoff_contact"
NO_CONTACT = "-"
# Messages with these intents are not "the question" the user wants support staff to answer.
NOT_A_QUESTION = frozenset({
    "affirm", "deny", "skip", "greet", "goodbye", "thank", "request_human", "restart",
    "inform_employee_count", "bot_challenge", "chitchat",
})
_SKIP_CONTACT = re.compile(
    r"^\s*(-|nein|nee|keine?n?|ohne|überspringen|ueberspringen|skip|weiter|lieber nicht|nicht nötig|"
    r"nicht noetig|möchte ich nicht|moechte ich nicht)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?[\d][\d ()/\-]{5,}\d")
MIN_WORDS_FOR_QUESTION_IN_REQUEST = 6


def _intent(parse_data: dict[str, Any] | None) -> str | None:
    return ((parse_data or {}).get("intent") or {}).get("name")


def events_before_handoff(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events up to the latest activation of the handoff form (the consent dialogue itself is not stored)."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "active_loop" and events[i].get("name") == FORM:
            return events[:i]
    return events


def last_turns(events: list[dict[str, Any]], limit: int = MAX_TURNS) -> list[dict[str, str]]:
    """The last `limit` user/bot texts before the handoff started."""
    turns = []
    for event in events_before_handoff(events):
        text = (event.get("text") or "").strip()
        if event.get("event") == "user" and text and not text.startswith("/"):
            turns.append({"role": "user", "text": text})
        elif event.get("event") == "bot" and text:
            turns.append({"role": "bot", "text": text})
    return turns[-limit:]


def find_question(events: list[dict[str, Any]]) -> str | None:
    """The latest user message that looks like the question, else a long enough `request_human` text."""
    fallback = None
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        text = (event.get("text") or "").strip()
        if not text or text.startswith("/"):
            continue
        intent = _intent(event.get("parse_data"))
        if intent not in NOT_A_QUESTION:
            return text
        long_enough = len(text.split()) >= MIN_WORDS_FOR_QUESTION_IN_REQUEST
        if intent == "request_human" and fallback is None and long_enough:
            fallback = text
    return fallback


def parse_consent(intent: str | None, text: str) -> bool | None:
    if intent == "affirm" or YES_ANSWER.match(text):
        return True
    if intent in ("deny", "skip") or NO_ANSWER.match(text):
        return False
    return None


def parse_contact(intent: str | None, text: str) -> str | None:
    """E-mail or phone number, NO_CONTACT when skipped, None when not understood."""
    if intent in ("skip", "deny") or _SKIP_CONTACT.match(text):
        return NO_CONTACT
    email = _EMAIL.search(text)
    if email:
        return email.group()
    phone = _PHONE.search(text)
    if phone and sum(ch.isdigit() for ch in phone.group()) >= 6:
        return phone.group().strip()
    return None


def _is_deletion_request(tracker: Tracker) -> bool:
    """"Bitte löschen Sie meine Daten" while the form asks for consent or contact is no answer: the form
    rejects the turn and a rule stops it and starts the deletion (bot/data/rules/privacy.yml). Read as an
    answer, the "Ja, bitte löschen" that follows would have been consent to store the conversation."""
    return _intent(tracker.latest_message) == "delete_my_data"


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot(CONSENT) is False:
            return [CONSENT]
        return [CONSENT, QUESTION, CONTACT]

    async def extract_handoff_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != CONSENT or _is_deletion_request(tracker):
            return {}
        consent = parse_consent(_intent(tracker.latest_message), tracker.latest_message.get("text") or "")
        if consent is None:
            dispatcher.utter_message(response="utter_handoff_consent_unclear")
        return {CONSENT: consent}

    async def extract_handoff_question(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(QUESTION):
            return {}
        if tracker.get_slot("requested_slot") == QUESTION:
            text = (tracker.latest_message.get("text") or "").strip()
            return {QUESTION: text or None}
        question = find_question(events_before_handoff(tracker.events))
        return {QUESTION: question} if question else {}

    def validate_handoff_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {CONSENT: value if isinstance(value, bool) else None}

    def validate_handoff_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {QUESTION: text[:MAX_QUESTION_CHARS] if text else None}

    async def extract_handoff_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != CONTACT or _is_deletion_request(tracker):
            return {}
        contact = parse_contact(_intent(tracker.latest_message), tracker.latest_message.get("text") or "")
        if contact is None:
            dispatcher.utter_message(response="utter_handoff_contact_invalid")
        return {CONTACT: contact}


class ActionStoreSupportRequest(Action):
    """Stores the request (only with consent) and tells the reference number."""

    def name(self) -> str:
        return "action_store_support_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(CONSENT, None), SlotSet(QUESTION, None), SlotSet(CONTACT, None)]
        question = tracker.get_slot(QUESTION)
        if tracker.get_slot(CONSENT) is not True or not question:
            dispatcher.utter_message(response="utter_handoff_not_stored")
            return reset
        contact = tracker.get_slot(CONTACT)
        try:
            request = SupportStore().create(
                question=question,
                transcript=last_turns(tracker.events),
                contact=None if contact in (None, NO_CONTACT) else contact,
                sender_id=tracker.sender_id,
            )
        except Exception:  # noqa: BLE001 - the user must get an answer even if the store is broken
            log.exception("could not store support request")
            dispatcher.utter_message(response="utter_handoff_store_failed")
            return reset
        log.info("stored support request %s", request.ref)
        response = "utter_handoff_stored_with_contact" if request.contact else "utter_handoff_stored"
        dispatcher.utter_message(response=response, reference=request.ref)
        return reset


def delete_support_data(sender_id: str) -> int:
    """For the privacy flow (`delete_my_data`): remove all support requests of this conversation."""
    return SupportStore().delete_conversation(sender_id)
