"""Rasa's REST channel, answering only clients on this machine, behind the same guards as the widget.

Registered in credentials.yml instead of ``rest:``, under the same name and path
(``POST /webhooks/rest/webhook``, body ``{"sender": "...", "message": "..."}`` as ``application/json``), so
the terminal chat, the tests and the bench scripts keep working on 127.0.0.1. Any other peer gets 403, and so
does a request that came through a reverse proxy (it carries a ``Forwarded``/``X-Forwarded-For``/
``X-Real-IP`` header): the REST channel takes the sender id from the client, so it must never be reachable
from outside, even if a proxy forwards more than ``/webhooks/widget/``.

Unlike Rasa's own ``RestInput``, a malformed request is a 4xx with an English ``error`` (never an exception
in the log with the message text), the sender id must look like an id, ``input_channel``/``metadata`` from
the client are ignored, and every message passes ``MessageGuards.screen`` (rate limits, length, clean-up,
only offered button payloads). A refused message gets HTTP 400/413/429 with
``{"error": "<English reason>", "messages": [{"recipient_id": ..., "text": "<German reply>"}]}``.
Nothing of a refused request is stored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guards import MAX_BODY_BYTES, REST_LIMITS, MessageGuards, Refusal
from bot.channels.payloads import offered_to

logger = logging.getLogger(__name__)

CHANNEL_NAME = "rest"
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
# Sender ids of local tools: no path separators, white space or control characters, at most 128 characters.
SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}$")
LOCAL_ONLY = "the REST channel answers only clients on this machine; use the widget channel"
BAD_SENDER = "'sender' must be 1-128 characters A-Z a-z 0-9 . _ : @ + = - (starting with a letter or digit)"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_local_request(peer_address: str, headers: Mapping[str, str]) -> bool:
    """True for a direct request from this machine (loopback peer, no proxy headers)."""
    lowered = {name.lower() for name in headers}
    return is_loopback(peer_address) and not any(name in lowered for name in FORWARDING_HEADERS)


class BadRequest(ValueError):
    """A malformed REST request; ``status`` and an English message for the client and the log."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_body(content_type: str, body: bytes) -> tuple[str, str]:
    """``(sender, message)`` from a request, or ``BadRequest`` naming what is wrong."""
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise BadRequest(415, "expected Content-Type: application/json")
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body too large (at most {MAX_BODY_BYTES} bytes)")
    try:
        data = json.loads(body)
    except ValueError as error:  # also invalid UTF-8
        raise BadRequest(400, "request body is not valid JSON") from error
    if not isinstance(data, dict):
        raise BadRequest(400, "expected a JSON object with 'sender' and 'message'")
    sender, message = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not SENDER.match(sender):
        raise BadRequest(400, BAD_SENDER)
    if not isinstance(message, str):
        raise BadRequest(400, "'message' must be a string")
    return sender, message


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def refused(sender_id: str | None, refusal: Refusal) -> HTTPResponse:
    """A guard's refusal: the German reply as a bot message, the English reason for the operator."""
    logger.info("Refused a REST message: %s", refusal.reason)
    body: dict[str, Any] = {
        "error": refusal.reason,
        "messages": [{"recipient_id": sender_id, "text": refusal.reply}],
    }
    headers = {}
    if refusal.retry_after:
        body["retry_after"] = refusal.retry_after
        headers["Retry-After"] = str(refusal.retry_after)
    return response.json(body, status=refusal.status, headers=headers)


class LoopbackRestInput(RestInput):
    """REST channel for local clients only, with the channel guards in front of the dialogue."""

    def __init__(self, guards: MessageGuards | None = None) -> None:
        self.guards = guards or MessageGuards.from_env(limits=REST_LIMITS)

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LoopbackRestInput:
        return cls()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint("kc_loopback_rest", __name__)

        @blueprint.middleware("request")
        async def local_clients_only(request: Request) -> HTTPResponse | None:
            if is_local_request(request.ip, request.headers):
                return None
            logger.warning("Refused a REST channel request that did not come directly from this machine")
            return _error(403, LOCAL_ONLY)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return blueprint

    async def handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        refusal = self.guards.check_client(request.ip)
        if refusal is not None:
            return refused(None, refusal)
        if request.args.get("stream", "").lower() == "true":
            return _error(400, "the REST channel does not stream; send the request without ?stream=true")
        try:
            sender_id, message = parse_body(request.headers.get("content-type", ""), request.body or b"")
        except BadRequest as error:
            logger.info("Refused a REST request: %s", error.message)
            return _error(error.status, error.message)
        agent = getattr(request.app.ctx, "agent", None)
        tracker_store = agent.tracker_store if agent is not None else None
        screened = await self.guards.screen(
            sender_id, message, typed=False, offered=lambda: offered_to(tracker_store, sender_id)
        )
        if screened.refusal is not None:
            return refused(sender_id, screened.refusal)
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(screened.text, collector, sender_id, input_channel=CHANNEL_NAME))
        except asyncio.CancelledError:
            logger.error("Handling a REST message was cancelled (timeout or shutdown)")
            return _error(503, "the assistant did not finish handling the message")
        except Exception:  # the operator gets the trace, never the text
            logger.exception("The assistant failed to handle a REST message")
            return _error(500, "the assistant failed to handle the message")
        return response.json(collector.messages)
