"""Read an incoming Bot Framework activity: who sent it (as a keyed hash), what to tell Rasa, where to reply.

Pure functions without I/O, so the rules are easy to see and to test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.channels.teams_cards import PAYLOAD_KEY

SENDER_PREFIX = "teams-"
USER_FIELDS = ("id", "name", "aadObjectId")
_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0]+")


def sender_id(salt: str, tenant_id: str, aad_object_id: str) -> str:
    """Keyed hash of tenant + user object id: stable per person, no Microsoft id in the tracker."""
    message = f"{tenant_id.lower()}\x1f{aad_object_id.lower()}".encode()
    return SENDER_PREFIX + hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


def log_key(salt: str, value: str) -> str:
    """A short keyed hash to tell conversations apart in operator logs without naming them."""
    return hmac.new(salt.encode(), f"log\x1f{value}".encode(), hashlib.sha256).hexdigest()[:10]


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of an activity, or an empty one where the field is missing or not an object."""
    return value if isinstance(value, dict) else {}


def tenant_of(activity: dict[str, Any]) -> str | None:
    tenant = _object(_object(activity.get("channelData")).get("tenant"))
    conversation = _object(activity.get("conversation"))
    value = tenant.get("id") or conversation.get("tenantId")
    return str(value) if value else None


def strip_mentions(text: str) -> str:
    """Remove ``<at>Bot</at>`` mentions (Teams puts them into the text) and tidy the spaces."""
    without = _MENTION.sub(" ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in without.splitlines()).strip()


def submitted_payload(value: Any) -> str | None:
    """The button payload of an Adaptive Card ``Action.Submit`` (``value.kc_payload``), if any."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    payload = value.get(PAYLOAD_KEY)
    if payload is None:
        msteams = value.get("msteams")
        return submitted_payload(msteams.get("value")) if isinstance(msteams, dict) else None
    return str(payload).strip() or None


def message_text(activity: dict[str, Any]) -> str:
    """What the person said or clicked: a card button's payload wins over the (mention-free) text."""
    payload = submitted_payload(activity.get("value"))
    if payload:
        return payload
    return strip_mentions(str(activity.get("text") or ""))


@dataclass(frozen=True)
class ConversationRef:
    """Where replies to one activity go (kept only in memory for the duration of the turn)."""

    service_url: str
    conversation_id: str
    reply_to_id: str | None
    bot: dict[str, Any]
    user: dict[str, Any]

    @classmethod
    def of(cls, activity: dict[str, Any]) -> ConversationRef:
        conversation = activity.get("conversation") or {}
        return cls(
            service_url=str(activity.get("serviceUrl") or ""),
            conversation_id=str(conversation.get("id") or ""),
            reply_to_id=str(activity["id"]) if activity.get("id") else None,
            bot=dict(activity.get("recipient") or {}),
            user={k: v for k, v in (activity.get("from") or {}).items() if k in USER_FIELDS},
        )


def bot_was_added(activity: dict[str, Any]) -> bool:
    """A ``conversationUpdate`` that adds this bot to a personal (1:1) chat."""
    bot_id = (activity.get("recipient") or {}).get("id")
    added = activity.get("membersAdded") or []
    personal = (activity.get("conversation") or {}).get("conversationType", "personal") == "personal"
    return personal and any(isinstance(m, dict) and m.get("id") == bot_id for m in added)
