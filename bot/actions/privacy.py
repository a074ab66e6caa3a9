""" "Löschen Sie meine Daten": forget the profile and the stored conversation of this sender.

A typed request is confirmed first ("Soll ich wirklich … löschen?" with "Ja, löschen" / "Nein"); the button
payload ``/delete_my_data`` (the web widget confirms in its own dialog) deletes at once.

What happens (documented for the privacy notice):

1. The action returns ``AllSlotsReset`` and ``Restarted``: the bot forgets role, topics, preferences and shown
   offers at once, and the dialogue starts fresh.
2. If the tracker store is SQL (``KC_TRACKER_DB``: a file path for SQLite, default ``var/tracker.db``, or an
   SQLAlchemy URL), this sender's rows in the ``events`` table are wiped (``bot.privacy.tracker_db``):
   - rows of earlier sessions are deleted;
   - rows of the current session are *redacted* in place (user text, entities, slot values and bot texts are
     cleared; only event types, intent and action names and timestamps remain). They cannot simply be deleted:
     Rasa's SQLTrackerStore appends new events by comparing the number of stored rows of the current session
     with the in-memory tracker, so deleting them would make Rasa write the whole session back right after
     this action.
   The confirmation message, the ``Restarted`` event and later turns are stored as usual.
3. Support requests this conversation handed over to the support team (bot/support, ``KC_SUPPORT_DB``) are
   deleted as well (``bot.actions.handoff.delete_support_data``).
4. Other tracker stores (in-memory, Redis ...) are not touched; with them, step 1 is all that happens.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, FollowupAction, Restarted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.privacy.tracker_db import forget_sender, tracker_db_url
from german.requests import CLEAR_YES_ANSWER, NEGATION, NO_ANSWER, YES_ANSWER

logger = logging.getLogger(__name__)

__all__ = ["ActionDeleteMyData", "forget_sender", "forget_support_requests", "tracker_db_url"]


def forget_support_requests(sender_id: str) -> int:
    """Delete this conversation's support requests; 0 if there is no support database yet."""
    from bot.support import store

    if not Path(os.environ.get(store.DB_ENV) or store.DEFAULT_DB).is_file():
        return 0
    from bot.actions.handoff import delete_support_data

    return delete_support_data(sender_id)


# Steps of the two-stage fallback: an unclear answer to the confirmation question passes through them before
# it is re-read as "ja" or "nein" (bot/actions/fallback.py).
_FALLBACK_STEPS = {"action_listen", "action_two_stage_fallback", "action_default_ask_affirmation"}


def asked_to_confirm(events: list[dict[str, Any]]) -> bool:
    """The assistant's last step before the latest user message was this action asking for confirmation."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return False
    reverted = False  # a rewind undid the steps back to the user message before it (a re-read message)
    for event in reversed(events[: users[-1]]):
        kind = event.get("event")
        if kind == "rewind":
            reverted = True
        elif reverted:
            reverted = kind != "user"
        elif kind == "action" and event.get("name") not in _FALLBACK_STEPS:
            return event.get("name") == "action_delete_my_data"
    return False


def confirmation_answer(text: str, clear_yes_only: bool = False) -> str | None:
    """``affirm`` or ``deny`` for a plain answer to the confirmation question ("Ja, bitte löschen.", "Nein,
    lieber nicht"), None for anything else; a yes that goes on to refuse ("Bitte nicht löschen") is a no.
    ``clear_yes_only``: a yes only from a plain yes word ("Jo, dat is so. Allens weg, bitte."), not from a
    message that merely starts with "bitte" or "ok" ("Bitte zeigen Sie mir Excel-Kurse")."""
    if NO_ANSWER.match(text) or (YES_ANSWER.match(text) and NEGATION.search(text)):
        return "deny"
    if (CLEAR_YES_ANSWER if clear_yes_only else YES_ANSWER).match(text):
        return "affirm"
    return None


def _forget_everything(db_url: str | None, sender_id: str) -> tuple[int, int, int]:
    deleted, redacted = forget_sender(db_url, sender_id) if db_url else (0, 0)
    return deleted, redacted, forget_support_requests(sender_id)


class ActionDeleteMyData(Action):
    """Forget profile slots and stored conversation events of this sender, then confirm in German."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        confirming = asked_to_confirm(tracker.events)
        if confirming and intent == "deny":
            dispatcher.utter_message(response="utter_delete_cancelled")
            return []
        typed = not str(message.get("text") or "").startswith("/")
        if typed and not (confirming and intent in ("affirm", "delete_my_data")):
            dispatcher.utter_message(response="utter_ask_delete_confirm")
            return []
        db_url = tracker_db_url()
        if db_url is None:
            logger.info("No SQL tracker store file found; only resetting the conversation")
        try:
            deleted, redacted, requests = await asyncio.to_thread(
                _forget_everything, db_url, tracker.sender_id
            )
            logger.info(
                "Deleted %d and redacted %d stored events and %d support requests of a sender",
                deleted,
                redacted,
                requests,
            )
        except Exception:  # the user must still get an answer; operators get the trace
            logger.exception("Could not delete stored conversation data")
            dispatcher.utter_message(response="utter_delete_data_failed")
            return [AllSlotsReset(), Restarted(), FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_data_deleted")
        return [AllSlotsReset(), Restarted(), FollowupAction("action_listen")]
