"""Microsoft Teams channel for Rasa 3.6 (Bot Framework protocol, single-tenant app registrations).

Registered in credentials.yml as ``bot.channels.teams.TeamsInput``; the webhook is
``POST /webhooks/teams/webhook`` (the messaging endpoint of the Azure Bot). Settings come from the environment
(``bot/channels/teams_config.py``); without them the Rasa server still starts and the webhook answers 503.

Replaces Rasa's ``botframework`` connector, which cannot serve a new Teams bot (see issue #17): token from the
bot's own tenant, full token validation (``teams_auth``), clickable Adaptive Cards (``teams_cards``), no
Microsoft ids in the tracker (``teams_activity.sender_id``), async calls with retries (``teams_connector``).
Logs at the default level hold no message text, no Microsoft ids and no hashed sender ids.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import teams_activity as activities
from bot.channels.teams_auth import ActivityAuthenticator, AuthError, KeysUnavailable
from bot.channels.teams_cards import fit_size, render
from bot.channels.teams_config import TeamsNotConfigured, TeamsSettings, from_env
from bot.channels.teams_connector import ConnectorClient, DeliveryError, reply_url

logger = logging.getLogger(__name__)

CHANNEL_NAME = "teams"
# Domain response (custom) with the labels a card needs beyond the message: fact titles, link button.
LABELS_RESPONSE = "utter_card_labels"
# Intent sent to Rasa when the bot is added to a personal chat (the greeting rule answers it).
GREETING_PAYLOAD = "/greet"
MAX_BODY_BYTES = 256 * 1024


class TeamsOutput(OutputChannel):
    """Sends the replies of one turn to the Bot Connector, one activity per Rasa message."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(
        self,
        ref: activities.ConversationRef,
        connector: ConnectorClient,
        labels: dict[str, Any],
        log_key: str,
    ) -> None:
        self.ref = ref
        self.connector = connector
        self.labels = labels
        self.log_key = log_key
        self.sent = 0
        self.skipped = 0
        self.problem: str | None = None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        body = render(message, self.labels)
        if body is None:
            return
        if self.problem is not None:  # the connector already failed in this turn: do not wait again
            self.skipped += 1
            return
        activity = fit_size(
            {
                "type": "message",
                "from": self.ref.bot,
                "recipient": self.ref.user,
                "conversation": {"id": self.ref.conversation_id},
                "replyToId": self.ref.reply_to_id,
                **body,
            }
        )
        url = reply_url(self.ref.service_url, self.ref.conversation_id, self.ref.reply_to_id)
        try:
            await self.connector.send(url, self.ref.conversation_id, activity)
            self.sent += 1
        except DeliveryError as error:
            self.problem = str(error)
            logger.error("Teams reply to conversation %s not delivered: %s", self.log_key, error)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    def report(self) -> None:
        if self.skipped:
            logger.error(
                "Dropped %d further replies of the same turn for conversation %s (connector unavailable)",
                self.skipped,
                self.log_key,
            )


class TeamsInput(InputChannel):
    """Receives Bot Framework activities from Microsoft Teams."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Settings come from the environment (docs/teams.md); credentials.yml only registers the channel."""
        return cls()

    def __init__(self, settings: TeamsSettings | None = None) -> None:
        self.settings: TeamsSettings | None = settings
        self.problem: str | None = None
        if settings is None:
            try:
                self.settings = from_env()
            except TeamsNotConfigured as error:
                self.problem = str(error)
                logger.info("%s The Teams webhook answers 503 until then.", error)
        self._session: aiohttp.ClientSession | None = None
        self.authenticator: ActivityAuthenticator | None = None
        self.connector: ConnectorClient | None = None
        if self.settings is not None:
            self.authenticator = ActivityAuthenticator(self.settings, self._http)
            self.connector = ConnectorClient(self.settings, self._http)
        self._labels_warned = False

    def _http(self) -> aiohttp.ClientSession:
        """One client session, created on first use inside the server's event loop (honours HTTPS_PROXY)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(trust_env=True)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        teams_webhook = Blueprint("teams_webhook", __name__)

        @teams_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if self.settings is None:
                return response.json({"status": "not configured"}, status=503)
            return response.json({"status": "ok"})

        @teams_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        @teams_webhook.listener("after_server_stop")
        async def close_session(app: Any, loop: Any) -> None:
            await self.close()

        return teams_webhook

    async def handle(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if self.settings is None or self.authenticator is None:
            logger.error("Refused a Teams request: %s", self.problem)
            return response.json({"error": "Teams channel not configured"}, status=503)
        if len(request.body or b"") > MAX_BODY_BYTES:
            return response.json({"error": "request body too large"}, status=413)
        try:
            activity = request.json
        except Exception:  # sanic raises its own InvalidUsage for broken JSON
            activity = None
        if not isinstance(activity, dict):
            logger.info("Refused a Teams request: body is not a JSON object")
            return response.json({"error": "expected a Bot Framework activity (JSON object)"}, status=400)
        try:
            await self.authenticator.verify(request.headers.get("Authorization"), activity)
        except AuthError as error:
            logger.info("Rejected a Teams request (401): %s", error.reason)
            return response.empty(status=401)
        except KeysUnavailable:
            logger.error("Refused a Teams request (503): the Bot Framework signing keys are unavailable")
            return response.json({"error": "cannot verify requests right now"}, status=503)
        tenant = activities.tenant_of(activity)
        if not self.settings.tenant_allowed(tenant):
            logger.info("Rejected a Teams request (401): tenant not allowed")
            return response.empty(status=401)
        return await self._dispatch(request, activity, tenant, on_new_message)

    async def _dispatch(
        self,
        request: Request,
        activity: dict[str, Any],
        tenant: str | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        kind = activity.get("type")
        if kind == "message":
            text = activities.message_text(activity)
            if not text:
                logger.info("Ignored a Teams message without text or button payload")
                return response.empty(status=200)
            return await self._turn(request, activity, tenant, text, on_new_message)
        if kind == "conversationUpdate":
            if activities.bot_was_added(activity):
                return await self._turn(
                    request, activity, tenant, GREETING_PAYLOAD, on_new_message, greet=True
                )
            return response.empty(status=200)
        if kind == "installationUpdate":
            logger.info("Teams app installation update: %s", str(activity.get("action") or "unknown")[:20])
            return response.empty(status=200)
        if kind == "invoke":
            return self._invoke(activity)
        logger.debug("Ignored a Teams activity of type %s", str(kind)[:40])
        return response.empty(status=200)

    @staticmethod
    def _invoke(activity: dict[str, Any]) -> HTTPResponse:
        """Invoke activities expect their answer in the HTTP response. Our cards use messageBack buttons
        (plain message activities), so an ``Action.Execute`` is only acknowledged; anything else is 501."""
        name = str(activity.get("name") or "")
        if name == "adaptiveCard/action":
            return response.json(
                {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": ""}
            )
        logger.info("Teams invoke %s is not supported", name[:60] or "(no name)")
        return response.json({"error": f"invoke '{name[:60]}' not supported"}, status=501)

    async def _turn(
        self,
        request: Request,
        activity: dict[str, Any],
        tenant: str | None,
        text: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        greet: bool = False,
    ) -> HTTPResponse:
        assert self.settings is not None and self.connector is not None
        user = activity.get("from") or {}
        aad_object_id = user.get("aadObjectId") if isinstance(user, dict) else None
        if not tenant or not aad_object_id:
            logger.info("Ignored a Teams %s without tenant or user object id", activity.get("type"))
            return response.empty(status=200)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            logger.error("Refused a Teams request (503): no Rasa model loaded yet")
            return response.json({"error": "assistant not ready"}, status=503)
        sender = activities.sender_id(self.settings.hash_salt, tenant, str(aad_object_id))
        if greet and await agent.tracker_store.exists(sender):
            return response.empty(status=200)  # greet once: this person already talked to the bot
        ref = activities.ConversationRef.of(activity)
        log_key = activities.log_key(self.settings.hash_salt, ref.conversation_id)
        output = TeamsOutput(ref, self.connector, self._labels(agent), log_key)
        conversation = activity.get("conversation") or {}
        metadata = {
            "teams": {
                "tenant_id": tenant,
                "user_hash": sender,
                "conversation_type": str(conversation.get("conversationType") or "personal"),
            }
        }
        try:
            await on_new_message(
                UserMessage(text, output, sender, input_channel=CHANNEL_NAME, metadata=metadata)
            )
        except Exception:
            logger.exception("Handling a Teams message failed (conversation %s)", log_key)
            return response.json({"error": "the assistant could not handle the message"}, status=500)
        output.report()
        return response.empty(status=200)

    def _labels(self, agent: Any) -> dict[str, Any]:
        variants = (agent.domain.responses or {}).get(LABELS_RESPONSE) if agent.domain else None
        custom = variants[0].get("custom") if variants else None
        if isinstance(custom, dict):
            return custom
        if not self._labels_warned:
            logger.warning(
                "Domain response %s is missing: offer cards are sent without fact titles and link button",
                LABELS_RESPONSE,
            )
            self._labels_warned = True
        return {}
