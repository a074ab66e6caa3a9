"""Render one Rasa bot message as one Teams activity (text in Teams Markdown, or an Adaptive Card).

- ``custom.kc_offer`` (bot/schemas/offer_card.schema.json) → an Adaptive Card: title, facts (provider, format,
  duration, level, cost), the "passt, weil …" sentence, ``Action.OpenUrl`` to the offer and ``Action.Submit``
  buttons whose ``data.msteams`` is a ``messageBack`` (clickable in Teams, the button's payload comes back in
  ``value.kc_payload``). The plain ``text`` of such a message is the fallback for other channels; not sent.
- ``buttons`` / ``quick_replies`` → an Adaptive Card with the text and one ``Action.Submit`` per button.
- plain ``text`` → a Markdown message.

No German text is built here: every label comes from the message or from the domain response
``utter_card_labels`` (passed in as ``labels``). Every activity stays below ``MAX_ACTIVITY_BYTES``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_ACTIVITY_BYTES = 80_000
# Teams shows up to six actions in a row of a card; more buttons go into further rows.
ACTIONS_PER_ROW = 6
PAYLOAD_KEY = "kc_payload"
ELLIPSIS = "…"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<>])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)(#|>|-|\+|(\d+)\.)(?=\s)", re.MULTILINE)


def to_markdown(text: str) -> str:
    """Our plain German text in the Markdown subset Teams renders, shown exactly as written.

    Markdown characters are escaped (``Einsteiger*innen`` must not turn italic, ``1. Titel`` not into a list),
    line breaks become paragraph breaks (Teams ignores a single newline).
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text.strip())
    escaped = _LINE_START_SPECIAL.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), escaped)
    lines = [line.rstrip() for line in escaped.splitlines()]
    return "\n\n".join(line for line in lines if line)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


def submit_action(title: str, payload: str) -> dict[str, Any]:
    """A clickable button: Teams posts ``title`` as the user's message and sends ``payload`` to the bot."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {
            PAYLOAD_KEY: payload,
            "msteams": {"type": "messageBack", "displayText": title, "text": payload},
        },
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if len(actions) <= ACTIONS_PER_ROW:
        if actions:
            content["actions"] = actions
    else:
        for start in range(0, len(actions), ACTIONS_PER_ROW):
            body.append({"type": "ActionSet", "actions": actions[start : start + ACTIONS_PER_ROW]})
    return {"contentType": ADAPTIVE_CARD, "content": content}


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": to_markdown(text), "wrap": True, **style}


def _buttons(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    actions = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            actions.append(submit_action(title, payload))
    return actions


def offer_card(offer: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    """Adaptive Card of one offer (``kc_offer``); fact titles and the link label come from ``labels``."""
    fact_labels = labels.get("facts")
    if not isinstance(fact_labels, dict):
        fact_labels = {}
    title = str(offer.get("title") or offer.get("id") or "")
    number = offer.get("number")
    body: list[dict[str, Any]] = [
        _text_block(f"{number}. {title}" if number else title, weight="Bolder", size="Medium")
    ]
    facts = []
    for key, field in (
        ("provider", "provider"),
        ("format", "format_label"),
        ("duration", "duration_label"),
        ("level", "level_label"),
        ("cost", "cost_label"),
    ):
        value = offer.get(field)
        if value:
            facts.append({"title": str(fact_labels.get(key) or ""), "value": str(value)})
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    if offer.get("why"):
        body.append(_text_block(str(offer["why"]), spacing="Medium"))
    actions: list[dict[str, Any]] = []
    url = str(offer.get("url") or "")
    if url.startswith(("https://", "http://")) and labels.get("open_offer"):
        actions.append({"type": "Action.OpenUrl", "title": str(labels["open_offer"]), "url": url})
    actions.extend(_buttons(list(offer.get("actions") or [])))
    return _card(body, actions)


def render(message: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any] | None:
    """The Teams activity fields (``text``/``attachments``) of one Rasa message; None if nothing to show."""
    text = str(message.get("text") or "")
    buttons = list(message.get("buttons") or message.get("quick_replies") or [])
    custom = message.get("custom")
    if not isinstance(custom, dict):
        custom = {}
    image = message.get("image")
    body: dict[str, Any] | None = None
    if isinstance(custom.get("kc_offer"), dict):
        body = {"attachments": [offer_card(custom["kc_offer"], labels)]}
    elif buttons or image:
        blocks = [_text_block(text)] if text.strip() else []
        if isinstance(image, str) and image.startswith("https://"):
            blocks.append({"type": "Image", "url": image})
        body = {"attachments": [_card(blocks, _buttons(buttons))]}
    elif text.strip():
        body = {"text": to_markdown(text), "textFormat": "markdown"}
    if custom and "kc_offer" not in custom:
        logger.warning("A custom payload without kc_offer cannot be shown in Teams; it was left out")
    if body is not None and "attachments" in body:
        body["attachmentLayout"] = "list"
    return body


def activity_size(activity: dict[str, Any]) -> int:
    return len(json.dumps(activity, ensure_ascii=False).encode("utf-8"))


def fit_size(activity: dict[str, Any], limit: int = MAX_ACTIVITY_BYTES) -> dict[str, Any]:
    """Shorten the longest texts of an activity until it is below ``limit`` bytes (Teams refuses more)."""
    size = activity_size(activity)
    if size < limit:
        return activity
    logger.warning("A Teams reply of %d bytes was shortened to stay below %d bytes", size, limit)
    texts = list(_text_slots(activity))
    while size >= limit and texts:
        texts.sort(key=lambda slot: len(slot[0][slot[1]]))
        holder, key = texts[-1]
        value = str(holder[key])
        excess = size - limit + 1
        keep = max(0, len(value) - max(excess, len(value) // 4) - len(ELLIPSIS))
        holder[key] = value[:keep].rstrip("\\") + ELLIPSIS if keep else ELLIPSIS
        if keep == 0:
            texts.pop()
        size = activity_size(activity)
    return activity


def _text_slots(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(container, key) of every text a person reads in an activity or card."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data":  # button payloads are not for reading and must stay intact
                continue
            if key in ("text", "value") and isinstance(value, str) and node.get("type") != "Action.OpenUrl":
                yield node, key
            else:
                yield from _text_slots(value)
    elif isinstance(node, list):
        for item in node:
            yield from _text_slots(item)
