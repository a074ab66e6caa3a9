"""The conversation key of a request, read from the request the way each channel names its sender.

The key only chooses a worker and serialises turns; it is never trusted for anything else: the worker
still verifies the widget's token signature and Teams' bearer token, and the loopback REST channel still
refuses clients that are not on this machine. Requests without a conversation (health, the widget script,
unknown paths, malformed bodies) have no key and may go to any live worker, which answers them as usual.

- loopback REST (``/webhooks/rest/webhook``): ``sender`` of the JSON body;
- widget (``/webhooks/widget/webhook``, ``/history``): ``sub`` inside the token (read, not verified);
- Teams (``/webhooks/teams/webhook``): the person, ``channelData.tenant.id`` + ``from.aadObjectId``, because
  the Teams channel stores one tracker per person (bot/channels/teams_activity.py ``sender_id``); an
  activity without them falls back to ``conversation.id`` (the channel ignores such activities anyway).

The REST sender and the widget's ``sub`` are Rasa's sender ids themselves, so the same id reaches the
same worker (and the same lock) through either channel.
"""

from __future__ import annotations

import base64
import json
from typing import Any

REST_PATH = "/webhooks/rest/webhook"
WIDGET_PATHS = ("/webhooks/widget/webhook", "/webhooks/widget/history")
TEAMS_PATH = "/webhooks/teams/webhook"
# Longer keys are not ids any channel accepts; such a request goes to any worker, which refuses it.
MAX_KEY_CHARS = 512
MAX_TOKEN_CHARS = 4096


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_KEY_CHARS else None


def token_subject(token: Any) -> str | None:
    """``sub`` of a JWT's payload, without checking anything else (the worker verifies the token)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    return _text(claims.get("sub")) if isinstance(claims, dict) else None


def teams_person(activity: dict[str, Any]) -> str | None:
    channel_data = activity.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    tenant_id = tenant.get("id") if isinstance(tenant, dict) else None
    user = activity.get("from")
    user_id = user.get("aadObjectId") if isinstance(user, dict) else None
    if isinstance(tenant_id, str) and isinstance(user_id, str) and tenant_id and user_id:
        return _text(f"teams:{tenant_id.lower()}:{user_id.lower()}")
    conversation = activity.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
    return _text(f"teams-conversation:{conversation_id}") if isinstance(conversation_id, str) else None


def conversation_key(path: str, body: bytes) -> str | None:
    """The conversation a POST to ``path`` belongs to, or None (any worker may answer it)."""
    path = path.rstrip("/") or "/"
    if path not in (REST_PATH, TEAMS_PATH, *WIDGET_PATHS):
        return None
    data = _json_object(body)
    if data is None:
        return None
    if path == REST_PATH:
        return _text(data.get("sender"))
    if path == TEAMS_PATH:
        return teams_person(data)
    return token_subject(data.get("token"))
