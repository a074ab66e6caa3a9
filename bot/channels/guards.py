"""Channel-neutral guards in front of the dialogue: rate limits per sender and per client address, and a
maximum message length. A refused message gets a German reply from ``replies.de.yml`` (never from code);
the channel decides how to deliver it (the widget: HTTP 429/413 with the text; a bot channel: as a message).

Limits come from the environment: ``KC_RATE_LIMIT_SENDER`` (default ``20/60``: 20 messages per 60 s and
sender), ``KC_RATE_LIMIT_CLIENT`` (default ``120/60``, every request of one client address) and
``KC_MAX_MESSAGE_CHARS`` (default 2000). Counters live in the memory of the Rasa process.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

REPLIES_FILE = Path(__file__).with_name("replies.de.yml")
REPLY_KEYS = ("too_many_messages", "message_too_long", "empty_message")


class GuardConfigError(ValueError):
    """A limit or the replies file is invalid; the message is for the operator."""


@dataclass(frozen=True)
class Rate:
    limit: int
    window_seconds: float

    @classmethod
    def parse(cls, raw: str, name: str) -> Rate:
        count, _, seconds = raw.partition("/")
        if not (count.strip().isdigit() and seconds.strip().isdigit()) or int(count) < 1 or int(seconds) < 1:
            raise GuardConfigError(f"{name}={raw!r}: expected '<messages>/<seconds>', e.g. '20/60'.")
        return cls(int(count), float(seconds))


@dataclass(frozen=True)
class Refusal:
    """Why a message was not passed on: ``reason`` (English, for logs), ``reply`` (German), HTTP status."""

    reason: str
    reply: str
    status: int
    retry_after: int | None = None


class SlidingWindowLimiter:
    """At most ``rate.limit`` hits per key within any ``rate.window_seconds``."""

    def __init__(
        self, rate: Rate, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float | None:
        """Count one hit; ``None`` if allowed, else the seconds until the next hit would be allowed."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= self.rate.window_seconds:
            hits.popleft()
        if len(hits) >= self.rate.limit:
            return self.rate.window_seconds - (now - hits[0])
        hits.append(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.rate.window_seconds]:
            del self._hits[key]


def load_replies(path: Path = REPLIES_FILE) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GuardConfigError(f"cannot read the channel replies {path}: {error}") from error
    if not isinstance(data, dict) or any(not isinstance(data.get(k), str) for k in REPLY_KEYS):
        raise GuardConfigError(f"{path} needs the texts {', '.join(REPLY_KEYS)}")
    return {key: " ".join(data[key].split()) for key in REPLY_KEYS}


class MessageGuards:
    def __init__(
        self,
        sender_rate: Rate,
        client_rate: Rate,
        max_chars: int,
        replies: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_chars = max_chars
        self.replies = load_replies() if replies is None else replies
        self._senders = SlidingWindowLimiter(sender_rate, clock)
        self._clients = SlidingWindowLimiter(client_rate, clock)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MessageGuards:
        env = os.environ if env is None else env
        raw_max = env.get("KC_MAX_MESSAGE_CHARS", "2000").strip()
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 20_000:
            raise GuardConfigError(f"KC_MAX_MESSAGE_CHARS={raw_max!r}: expected a number from 1 to 20000.")
        return cls(
            sender_rate=Rate.parse(env.get("KC_RATE_LIMIT_SENDER", "20/60"), "KC_RATE_LIMIT_SENDER"),
            client_rate=Rate.parse(env.get("KC_RATE_LIMIT_CLIENT", "120/60"), "KC_RATE_LIMIT_CLIENT"),
            max_chars=int(raw_max),
        )

    def check_client(self, address: str) -> Refusal | None:
        """Count one request of a client address (every request, also refused ones)."""
        wait = self._clients.hit(address)
        return None if wait is None else self._too_many("rate limit per client address", wait)

    def check_message(self, sender_id: str, text: str) -> Refusal | None:
        """Count one message of a sender, then check its length."""
        wait = self._senders.hit(sender_id)
        if wait is not None:
            return self._too_many("rate limit per sender", wait)
        if not text.strip():
            return Refusal("empty message", self.replies["empty_message"], 400)
        if len(text) > self.max_chars:
            reply = self.replies["message_too_long"].format(length=len(text), limit=self.max_chars)
            return Refusal("message too long", reply, 413)
        return None

    def _too_many(self, reason: str, wait: float) -> Refusal:
        seconds = max(1, math.ceil(wait))
        return Refusal(reason, self.replies["too_many_messages"].format(seconds=seconds), 429, seconds)
