"""Key caching, key refetch limits, outgoing token and delivery retries, against the fake Bot Framework.

These run the channel's own classes in this process (real HTTP on 127.0.0.1, a controllable clock for the
refetch interval); the tests in test_teams_e2e.py do the same through the real Rasa server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from fake_botframework import FakeBotFramework

from bot.channels.teams_auth import ActivityAuthenticator, AuthError, KeysUnavailable
from bot.channels.teams_config import from_env
from bot.channels.teams_connector import ConnectorClient, ConversationPacer, DeliveryError, reply_url


@pytest.fixture
def fake():
    instance = FakeBotFramework()
    instance.start()
    yield instance
    instance.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(test: Callable[[Callable[[], aiohttp.ClientSession]], Awaitable[Any]]) -> Any:
    """Run ``test`` with a session factory, inside one event loop, closing the session afterwards."""

    async def main() -> Any:
        async with aiohttp.ClientSession() as session:
            return await test(lambda: session)

    return asyncio.run(main())


def activity(fake: FakeBotFramework) -> dict[str, Any]:
    return {"type": "message", "channelId": "msteams", "serviceUrl": fake.service_url}


def settings(fake: FakeBotFramework, **extra: str):
    return from_env({**fake.env(), "KC_TEAMS_KEY_REFETCH_SECONDS": "300", **extra})


def test_keys_are_fetched_once_and_refetched_for_an_unknown_key_at_most_every_interval(fake):
    clock = Clock()

    async def scenario(session_factory):
        auth = ActivityAuthenticator(settings(fake), session_factory, clock)
        assert fake.jwks_fetches == 0  # nothing fetched at construction
        for _ in range(3):
            await auth.verify(f"Bearer {fake.token()}", activity(fake))
        assert fake.jwks_fetches == 1
        rotated = f"Bearer {fake.token(kid='kc-key-2')}"
        fake.publish("kc-key-2")  # Microsoft publishes a new key
        clock.now += 60
        with pytest.raises(AuthError, match="unknown signing key"):
            await auth.verify(rotated, activity(fake))
        assert fake.jwks_fetches == 1  # within the interval: no refetch, however many unknown ids arrive
        clock.now += 300
        await auth.verify(rotated, activity(fake))  # one refetch finds the new key
        assert fake.jwks_fetches == 2
        clock.now += 301
        for _ in range(3):
            with pytest.raises(AuthError, match="unknown signing key"):
                await auth.verify(f"Bearer {fake.token(kid='kc-rogue')}", activity(fake))
        assert fake.jwks_fetches == 3  # one refetch for a flood of unknown key ids

    run(scenario)


def test_unreachable_keys_are_503_not_401_and_cached_keys_survive_an_outage(fake):
    clock = Clock()

    async def scenario(session_factory):
        broken = ActivityAuthenticator(
            settings(fake, KC_TEAMS_OPENID_URL=f"{fake.url}/missing"), session_factory, clock
        )
        with pytest.raises(KeysUnavailable):
            await broken.verify(f"Bearer {fake.token()}", activity(fake))
        auth = ActivityAuthenticator(settings(fake), session_factory, clock)
        await auth.verify(f"Bearer {fake.token()}", activity(fake))
        auth.keys._settings = settings(fake, KC_TEAMS_OPENID_URL=f"{fake.url}/missing")
        clock.now += 2 * 24 * 3600  # cache expired and Microsoft unreachable: keep the old keys
        await auth.verify(f"Bearer {fake.token()}", activity(fake))

    run(scenario)


def test_outgoing_token_comes_from_the_bots_own_tenant_and_is_cached(fake):
    async def scenario(session_factory):
        connector = ConnectorClient(settings(fake), session_factory)
        url = reply_url(fake.service_url, "a:conv/1", "act-1")
        assert url == f"{fake.service_url}v3/conversations/a%3Aconv%2F1/activities/act-1"
        for n in range(3):
            await connector.send(url, "a:conv/1", {"type": "message", "text": f"Antwort {n}"})
        (request,) = fake.token_requests  # one token for three replies
        assert request["tenant"] == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        assert request["scope"] == "https://api.botframework.com/.default"
        assert request["grant_type"] == "client_credentials"
        assert [p.activity["text"] for p in fake.posted] == ["Antwort 0", "Antwort 1", "Antwort 2"]
        assert all(p.reply_to_id == "act-1" for p in fake.posted)

    run(scenario)


def test_wrong_secret_is_reported_with_the_aadsts_code_only(fake):
    async def scenario(session_factory):
        connector = ConnectorClient(settings(fake, KC_TEAMS_APP_PASSWORD="wrong"), session_factory)
        with pytest.raises(DeliveryError) as caught:
            await connector.send(reply_url(fake.service_url, "c", "a"), "c", {"type": "message"})
        assert str(caught.value) == "token request refused: HTTP 400 unauthorized_client AADSTS700016"
        assert fake.posted == []

    run(scenario)


def test_throttled_reply_is_retried_after_retry_after_and_delivered_once(fake):
    fake.fail_next(429, count=1, retry_after="1")
    fake.fail_next(502, count=1)

    async def scenario(session_factory):
        connector = ConnectorClient(settings(fake), session_factory)
        started = time.monotonic()
        await connector.send(reply_url(fake.service_url, "c", "a"), "c", {"type": "message", "text": "Hallo"})
        return time.monotonic() - started

    elapsed = run(scenario)
    assert fake.attempts == 3
    assert [p.activity["text"] for p in fake.posted] == ["Hallo"]
    assert elapsed >= 1.0  # Retry-After was honoured


def test_connector_down_gives_up_after_the_configured_attempts(fake):
    fake.down = True

    async def scenario(session_factory):
        connector = ConnectorClient(settings(fake, KC_TEAMS_SEND_ATTEMPTS="3"), session_factory)
        with pytest.raises(DeliveryError, match="HTTP 503 after 3 attempts"):
            await connector.send(reply_url(fake.service_url, "c", "a"), "c", {"type": "message"})

    run(scenario)
    assert fake.attempts == 3


def test_pacer_keeps_teams_rate_limits_per_conversation():
    pacer = ConversationPacer()
    start = 100.0
    for n in range(7):  # 7 messages in the first second
        assert pacer.delay("c1", start + n * 0.1) == 0.0
        pacer.record("c1", start + n * 0.1)
    assert pacer.delay("c1", start + 0.7) == pytest.approx(0.3)  # the 8th waits until a second has passed
    assert pacer.delay("other", start + 0.7) == 0.0  # other conversations are not held up
    pacer.record("c1", start + 1.0)
    assert pacer.delay("c1", start + 1.05) == pytest.approx(0.95)  # at most 8 in any 2 seconds
    for n in range(52):  # fill up to 60 messages in 30 seconds
        now = start + 2.0 + n * 0.5
        now += pacer.delay("c1", now)
        pacer.record("c1", now)
    assert pacer.delay("c1", start + 28.0) == pytest.approx(2.0)  # the 61st waits for the 30-second window
