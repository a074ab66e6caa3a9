"""Which ``/intent{...}`` payloads a sender may send: only those the assistant offered in this conversation.

Rasa takes any message that starts with ``/`` as an intent with entities and skips the NLU, so a person could
type ``/inform_employee_count{"employee_count": "-5"}`` or ``/delete_my_data``. The channels therefore let a
``/`` text through only when it is the payload of a button the assistant showed this sender (bot messages of
the current conversation since the last restart, at most the last ``LOOKBACK_BOT_MESSAGES``), or one of the
channel's own controls. The widget still shows older buttons, so "offered" is not only the very last message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

COMMAND_PREFIX = "/"
LOOKBACK_BOT_MESSAGES = 50
# Events after which earlier buttons no longer count (the conversation started over).
RESET_EVENTS = ("restart", "session_started")
# Where a bot event carries clickable payloads: buttons, quick replies, the offer card's actions.
OFFER_KEY = "kc_offer"


class TrackerStore(Protocol):
    async def retrieve(self, sender_id: str) -> Any: ...


def is_command(text: str) -> bool:
    """True if Rasa would read ``text`` as an intent payload (it strips the text first)."""
    return text.strip().startswith(COMMAND_PREFIX)


def _payloads_of(data: Mapping[str, Any]) -> Iterable[str]:
    buttons = list(data.get("buttons") or []) + list(data.get("quick_replies") or [])
    custom = data.get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get(OFFER_KEY), Mapping):
        buttons += list(custom[OFFER_KEY].get("actions") or [])
    for button in buttons:
        if isinstance(button, Mapping) and isinstance(button.get("payload"), str):
            yield button["payload"].strip()


def offered_payloads(events: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The ``/`` payloads of the buttons in the latest bot messages of a conversation (serialised events)."""
    offered: set[str] = set()
    seen = 0
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind in RESET_EVENTS:
            break
        if kind != "bot":
            continue
        offered.update(p for p in _payloads_of(event.get("data") or {}) if is_command(p))
        seen += 1
        if seen >= LOOKBACK_BOT_MESSAGES:
            break
    return frozenset(offered)


async def offered_to(tracker_store: TrackerStore | None, sender_id: str) -> frozenset[str]:
    """The payloads offered to ``sender_id``, read from the tracker store (empty for a new conversation)."""
    if tracker_store is None:
        return frozenset()
    tracker = await tracker_store.retrieve(sender_id)
    if tracker is None:
        return frozenset()
    return offered_payloads(event.as_dict() for event in tracker.events)
