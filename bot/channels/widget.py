"""The intranet widget's channel: ``/webhooks/widget/`` on the Rasa server.

Why HTTP and not socket.io: every request carries its own token and is verified on its own, replies go only
into the response of the request that was verified (there is no socket that could be shared, hijacked or
left open after the token expired), rate limits count requests, and any reverse proxy passes it unchanged.

Endpoints (the POSTs take a JSON body sent as ``text/plain`` and need an allowed ``Origin``):

- ``GET  kc-widget.js``  the widget script (public, composed from web/widget/)
- ``POST webhook``       ``{"token": "<JWT>", "message": "..."}`` -> ``{"messages": [...]}``
                         (message format: bot/channels/messages.py)
- ``POST history``       ``{"token": "<JWT>"}`` -> ``{"greeting": [...], "messages": [...]}``: the greeting
                         (not stored) and the last messages of the token owner's stored conversation
- ``GET  /``             health

The token travels in the body, not in an ``Authorization`` header, so the browser sends a "simple" CORS
request without a preflight: Rasa's Sanic app answers every ``OPTIONS`` request itself (sanic-cors, set up by
``rasa run``) without the widget's allowed origins, so a preflight could never succeed. The response carries
``Access-Control-Allow-Origin`` only for allowed origins; requests from other origins are refused unread.

The sender id is the token's ``sub``, never a value from the client: a body that names another sender (a
token of person B used for person A's conversation) is refused, other fields and any metadata are ignored.
Refused requests never reach the dialogue, so nothing is written to any tracker.
Configuration: ``KC_WIDGET_*`` (bot/channels/settings.py) and the guards' ``KC_RATE_LIMIT_*`` /
``KC_MAX_MESSAGE_CHARS`` (bot/channels/guards.py). Logs name refusal reasons, never texts or ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guards import MessageGuards, Refusal
from bot.channels.loopback_rest import is_loopback
from bot.channels.messages import conversation_history, widget_message
from bot.channels.settings import ConfigError, WidgetSettings
from bot.channels.tokens import TokenRejected, TokenVerifier
from bot.channels.widget_assets import WidgetScript, compose

logger = logging.getLogger(__name__)

CHANNEL_NAME = "widget"
GREETING_RESPONSE = "utter_greet"
MAX_BODY_BYTES = 16_384
# The widget never names a sender; a request that names one other than its token's sub is refused outright.
CLIENT_SENDER_KEYS = ("sender", "sender_id")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WidgetOutput(CollectingOutputChannel):
    """Collects the bot's responses as widget messages: text, buttons and an offer card in one message."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._persist_message(dict(message))

    async def _persist_message(self, message: dict[str, Any]) -> None:
        converted = widget_message(message)
        if converted:
            self.messages.append(converted)


class WidgetInput(InputChannel):
    def __init__(self, settings: WidgetSettings, guards: MessageGuards, script: WidgetScript) -> None:
        self.settings = settings
        self.guards = guards
        self.script = script
        self.verifier = TokenVerifier(settings)

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WidgetInput:
        if credentials:
            raise ConfigError(
                "The widget channel takes no settings in credentials.yml; set the KC_WIDGET_* environment "
                "variables instead (README, section 'Intranet-Widget')."
            )
        return cls(WidgetSettings.from_env(), MessageGuards.from_env(), compose())

    # --- request checks ---------------------------------------------------------------------------
    def _origin(self, request: Request) -> str | None:
        origin = (request.headers.get("origin") or "").rstrip("/").lower()
        return origin if origin in self.settings.origins else None

    def _client_address(self, request: Request) -> str:
        header = self.settings.client_ip_header
        if header and is_loopback(request.ip):
            forwarded = (request.headers.get(header) or "").split(",")[-1].strip()
            if forwarded:
                return forwarded
        return request.ip

    def _json(self, origin: str | None, body: dict[str, Any], status: int = 200) -> HTTPResponse:
        headers = {"Vary": "Origin", "Cache-Control": "no-store"}
        if origin:
            headers["Access-Control-Allow-Origin"] = origin
        return response.json(body, status=status, headers=headers)

    def _refused(self, origin: str | None, refusal: Refusal) -> HTTPResponse:
        logger.info("Refused a widget message: %s", refusal.reason)
        body: dict[str, Any] = {"error": refusal.reason, "messages": [{"text": refusal.reply}]}
        if refusal.retry_after:
            body["retry_after"] = refusal.retry_after
        return self._json(origin, body, refusal.status)

    def _check(self, request: Request) -> tuple[str | None, str | None, dict[str, Any], HTTPResponse | None]:
        """(origin, sender id, JSON body, refusal response): the checks every POST passes first."""
        origin = self._origin(request)
        if origin is None:
            logger.info("Refused a widget request: origin not allowed")
            return None, None, {}, self._json(None, {"error": "origin not allowed"}, 403)
        refusal = self.guards.check_client(self._client_address(request))
        if refusal is not None:
            return origin, None, {}, self._refused(origin, refusal)
        if len(request.body or b"") > MAX_BODY_BYTES:
            return origin, None, {}, self._json(origin, {"error": "request body too large"}, 413)
        try:
            payload = json.loads(request.body or b"")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return origin, None, {}, self._json(origin, {"error": "expected a JSON object"}, 400)
        token = payload.get("token")
        try:
            identity = self.verifier.verify(token if isinstance(token, str) else "")
        except TokenRejected as error:
            logger.info("Refused a widget request: %s", error.reason)
            body = {"error": error.reason, "expired": error.expired}
            return origin, None, {}, self._json(origin, body, 401)
        claimed = [payload.get(key) for key in CLIENT_SENDER_KEYS if payload.get(key) is not None]
        if any(value != identity.sender_id for value in claimed):
            logger.info("Refused a widget request: it names another sender than its token")
            return origin, None, {}, self._json(origin, {"error": "sender does not match the token"}, 403)
        return origin, identity.sender_id, payload, None

    # --- endpoints --------------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        widget = Blueprint("kc_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @widget.route("/kc-widget.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            headers = {"ETag": self.script.etag, "Cache-Control": "no-cache"}
            if request.headers.get("if-none-match") == self.script.etag:
                return response.empty(status=304, headers=headers)
            return response.raw(
                self.script.body, content_type="text/javascript; charset=utf-8", headers=headers
            )

        @widget.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            origin, sender_id, payload, refused = self._check(request)
            if refused is not None or sender_id is None:
                return refused or self._json(origin, {"error": "refused"}, 401)
            text = payload.get("message")
            if not isinstance(text, str):
                return self._json(origin, {"error": "expected JSON with a string 'message'"}, 400)
            refusal = self.guards.check_message(sender_id, text)
            if refusal is not None:
                return self._refused(origin, refusal)
            collector = WidgetOutput()
            try:
                await on_new_message(UserMessage(text, collector, sender_id, input_channel=CHANNEL_NAME))
            except Exception:  # the widget shows "not reachable"; the operator gets the trace, not the text
                logger.exception("The assistant failed to handle a widget message")
                return self._json(origin, {"error": "the assistant failed to handle the message"}, 500)
            return self._json(origin, {"messages": collector.messages})

        @widget.route("/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            origin, sender_id, _, refused = self._check(request)
            if refused is not None or sender_id is None:
                return refused or self._json(origin, {"error": "refused"}, 401)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return self._json(origin, {"error": "no model loaded"}, 503)
            tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
            events = [event.as_dict() for event in tracker.events] if tracker is not None else []
            greeting = await agent.nlg.generate(
                GREETING_RESPONSE, DialogueStateTracker(sender_id, agent.domain.slots), CHANNEL_NAME
            )
            return self._json(
                origin,
                {
                    "greeting": [widget_message(greeting)] if greeting else [],
                    "messages": conversation_history(events, self.settings.history_messages),
                },
            )

        return widget
