"""The widget's message format, built from a bot response (live) or a stored bot event (history).

A widget message is ``{"text"?, "buttons"?: [{title, payload}], "offer"?: {...}}``. An offer is the
``custom.kc_offer`` card of ``action_recommend`` (bot/schemas/offer_card.schema.json) and arrives in the same
message as its plain text, so the widget shows one card instead of text plus card. Other custom payloads
have no widget rendering; they are dropped with a warning for the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

OFFER_KEY = "kc_offer"


def widget_message(response: Mapping[str, Any]) -> dict[str, Any]:
    """One widget message from a Rasa response dict (keys text, buttons, quick_replies, custom, ...)."""
    message: dict[str, Any] = {}
    text = response.get("text")
    if isinstance(text, str) and text.strip():
        message["text"] = text
    buttons = _buttons(response.get("buttons") or response.get("quick_replies"))
    if buttons:
        message["buttons"] = buttons
    custom = response.get("custom")
    if isinstance(custom, Mapping) and custom:
        offer = custom.get(OFFER_KEY)
        if isinstance(offer, Mapping):
            message["offer"] = dict(offer)
        else:
            logger.warning("Dropped a custom payload the widget cannot show (keys: %s)", sorted(custom))
    return message


def _buttons(raw: object) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    buttons = []
    for button in raw:
        if isinstance(button, Mapping) and isinstance(button.get("title"), str):
            payload = button.get("payload")
            buttons.append({"title": button["title"], "payload": payload if isinstance(payload, str) else ""})
    return buttons


def conversation_history(events: list[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` messages of a stored conversation, oldest first, each with ``role`` user/bot.

    A user message that was a button press shows the button's title. Any other ``/intent`` payload (e.g. the
    widget's "delete my data" control) is returned as ``command`` for the widget to label. Events emptied by
    "delete my data" (bot/actions/privacy.py) have no text and are left out.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            if text in titles:
                messages.append({"role": "user", "text": titles[text]})
            elif text.startswith("/"):
                messages.append({"role": "user", "command": text.split("{", 1)[0]})
            else:
                messages.append({"role": "user", "text": text})
        elif kind == "bot":
            data = event.get("data") or {}
            message = widget_message({**data, "text": event.get("text")})
            if not message:
                continue
            for button in message.get("buttons", []) + message.get("offer", {}).get("actions", []):
                if isinstance(button, Mapping) and button.get("payload") and button.get("title"):
                    titles[str(button["payload"])] = str(button["title"])
            messages.append({"role": "bot", **message})
    return messages[-limit:] if limit else []
