"""Outgoing calls to Microsoft: the bot's access token and replies to the Bot Connector.

- The token comes from the client-credentials flow of the bot's own Entra ID tenant (single-tenant
  registrations; Rasa's connector asks the fixed ``botframework.com`` tenant, which fails with AADSTS700016).
  It is cached until five minutes before it expires.
- Replies are POSTed to ``{serviceUrl}v3/conversations/{id}/activities/{replyToId}`` with a timeout, retried
  with backoff on 429/412/502/503/504 and network errors (``Retry-After`` honoured), and paced by the Teams
  per-conversation rate limits.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import deque
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels.teams_config import SessionFactory, TeamsSettings

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
TOKEN_MARGIN_SECONDS = 300
MAX_RETRY_AFTER_SECONDS = 30.0
# Teams limits per bot and conversation: (window in seconds, messages); see docs/teams.md.
TEAMS_RATE_LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


class DeliveryError(Exception):
    """A reply could not be delivered; the message is safe to log (no message text, no ids)."""


class TokenProvider:
    """Client-credentials access token for the Bot Connector, cached until shortly before expiry."""

    def __init__(self, settings: TeamsSettings, session_factory: SessionFactory) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._token = None

    async def token(self) -> str:
        if self._token and time.monotonic() < self._valid_until:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._valid_until:
                return self._token
            self._token, lifetime = await self._fetch()
            self._valid_until = time.monotonic() + max(60.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.app_id,
            "client_secret": self._settings.app_password,
            "scope": self._settings.token_scope,
        }
        timeout = aiohttp.ClientTimeout(total=self._settings.http_timeout)
        try:
            async with self._session_factory().post(
                self._settings.token_endpoint, data=form, timeout=timeout
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise DeliveryError(f"token endpoint not reachable ({type(error).__name__})") from error
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            code = body.get("error") if isinstance(body, dict) else None
            description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            aadsts = description.split(":", 1)[0] if description.startswith("AADSTS") else ""
            raise DeliveryError(f"token request refused: HTTP {status} {code or ''} {aadsts}".rstrip())
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return str(body["access_token"]), lifetime


class ConversationPacer:
    """Waits so that no conversation gets more messages than the Teams rate limits allow."""

    def __init__(self, limits: tuple[tuple[float, int], ...] = TEAMS_RATE_LIMITS) -> None:
        self._limits = limits
        self._longest = max(window for window, _ in limits)
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, conversation: str) -> asyncio.Lock:
        """Held while one reply is sent, so replies of one conversation go out in order."""
        return self._locks.setdefault(conversation, asyncio.Lock())

    def delay(self, conversation: str, now: float) -> float:
        sent = self._sent.get(conversation)
        if not sent:
            return 0.0
        wait = 0.0
        for window, limit in self._limits:
            if len(sent) >= limit:
                wait = max(wait, sent[-limit] + window - now)
        return wait

    async def wait_turn(self, conversation: str) -> None:
        delay = self.delay(conversation, time.monotonic())
        if delay > 0:
            logger.debug("Pacing a Teams conversation for %.2f s", delay)
            await asyncio.sleep(delay)

    def record(self, conversation: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        sent = self._sent.setdefault(conversation, deque(maxlen=max(limit for _, limit in self._limits)))
        sent.append(now)
        if len(self._sent) > 1000:  # forget conversations that were quiet for the longest window
            for key in [k for k, v in self._sent.items() if v and now - v[-1] > self._longest]:
                self._sent.pop(key, None)
                if not self._locks.get(key, asyncio.Lock()).locked():
                    self._locks.pop(key, None)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped; None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds))


def backoff_seconds(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, ... with jitter, for the attempt that just failed (1-based)."""
    return 0.5 * (2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


def reply_url(service_url: str, conversation_id: str, reply_to_id: str | None) -> str:
    base = service_url if service_url.endswith("/") else service_url + "/"
    url = f"{base}v3/conversations/{quote(conversation_id, safe='')}/activities"
    return f"{url}/{quote(reply_to_id, safe='')}" if reply_to_id else url


class ConnectorClient:
    """Sends activities to the Bot Connector of the conversation."""

    def __init__(self, settings: TeamsSettings, session_factory: SessionFactory) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self.tokens = TokenProvider(settings, session_factory)
        self.pacer = ConversationPacer()

    async def send(self, url: str, conversation: str, activity: dict[str, Any]) -> None:
        """Deliver one activity; raises ``DeliveryError`` after the last attempt."""
        async with self.pacer.lock(conversation):
            await self._send(url, conversation, activity)

    async def _send(self, url: str, conversation: str, activity: dict[str, Any]) -> None:
        attempts = self._settings.send_attempts
        timeout = aiohttp.ClientTimeout(total=self._settings.http_timeout)
        refreshed_token = False
        for attempt in range(1, attempts + 1):
            await self.pacer.wait_turn(conversation)
            token = await self.tokens.token()
            headers = {"Authorization": f"Bearer {token}"}
            wait: float | None
            try:
                async with self._session_factory().post(
                    url, json=activity, headers=headers, timeout=timeout
                ) as response:
                    status = response.status
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = f"connector not reachable ({type(error).__name__})"
                wait = None
            else:
                self.pacer.record(conversation)
                if 200 <= status < 300:
                    return
                problem = f"connector answered HTTP {status}"
                if status in (401, 403) and not refreshed_token:
                    self.tokens.invalidate()  # e.g. a revoked secret was rotated: fetch a new token once
                    refreshed_token = True
                    continue
                if status not in RETRY_STATUSES:
                    raise DeliveryError(problem)
            if attempt < attempts:
                delay = wait if wait is not None else backoff_seconds(attempt)
                logger.info(
                    "Teams reply attempt %d/%d failed: %s; retrying in %.1f s",
                    attempt,
                    attempts,
                    problem,
                    delay,
                )
                await asyncio.sleep(delay)
        raise DeliveryError(f"{problem} after {attempts} attempts")
