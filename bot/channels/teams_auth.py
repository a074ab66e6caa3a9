"""Check the Bearer token of an incoming Bot Framework activity (what Microsoft's SDKs check, not less).

A request is accepted only if its JWT
- is signed with RS256/384/512 by a key from the Bot Framework OpenID metadata (the algorithm comes from our
  allow-list, never from the token alone; ``none`` and HMAC are refused),
- has issuer ``https://api.botframework.com`` and audience = our app id, is not expired / not before its start
  (5 minutes clock skew),
- was signed by a key whose ``endorsements`` contain the activity's ``channelId``,
- carries a ``serviceurl`` claim equal to the activity's ``serviceUrl`` (so replies go only where Microsoft
  said they may).

Signing keys are fetched lazily (never at construction), cached for a day, and refetched when a token names an
unknown key id, at most once per ``key_refetch_interval``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

from bot.channels.teams_config import SessionFactory, TeamsSettings

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
CLOCK_SKEW_SECONDS = 300
KEY_CACHE_SECONDS = 24 * 3600
# Without any cached key, a failed fetch is retried after this many seconds at the earliest.
COLD_RETRY_SECONDS = 10.0


class AuthError(Exception):
    """The request is not from the Bot Framework for this bot; ``reason`` is for the operator log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The OpenID metadata or the signing keys could not be fetched."""


@dataclass(frozen=True)
class SigningKey:
    public_key: Any
    endorsements: frozenset[str]


class SigningKeys:
    """The Bot Framework signing keys, fetched on first use and cached."""

    def __init__(
        self,
        settings: TeamsSettings,
        session_factory: SessionFactory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._algorithms: frozenset[str] = frozenset(ALLOWED_ALGORITHMS)
        self._fetched_at = float("-inf")  # last successful fetch
        self._attempted_at = float("-inf")  # last fetch attempt, successful or not
        self._lock = asyncio.Lock()

    @property
    def algorithms(self) -> frozenset[str]:
        return self._algorithms

    async def get(self, kid: str) -> SigningKey | None:
        """The key with this id; refetches when the cache is empty, a day old, or lacks ``kid``."""
        if self._needs_fetch(kid):
            async with self._lock:
                if self._needs_fetch(kid):  # another request may have fetched while we waited
                    if self._keys and kid not in self._keys:
                        logger.info("Unknown signing key id in a Teams request; refetching the keys")
                    await self._refresh()
        return self._keys.get(kid)

    def _needs_fetch(self, kid: str) -> bool:
        now = self._clock()
        if now - self._attempted_at < min(self._settings.key_refetch_interval, COLD_RETRY_SECONDS):
            return False  # never more than one attempt in a short while, even without any keys
        if not self._keys or now - self._fetched_at > KEY_CACHE_SECONDS:
            return True
        return kid not in self._keys and now - self._attempted_at >= self._settings.key_refetch_interval

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            metadata = await self._get_json(self._settings.openid_url)
            keys = self._parse_keys(await self._get_json(str(metadata["jwks_uri"])))
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as error:
            if self._keys:
                logger.warning(
                    "Could not refresh the Bot Framework signing keys (%s); keeping the cached keys",
                    type(error).__name__,
                )
                return
            logger.error(
                "Could not fetch the Bot Framework signing keys from %s (%s)",
                self._settings.openid_url,
                type(error).__name__,
            )
            return
        supported = metadata.get("id_token_signing_alg_values_supported")
        if isinstance(supported, list):
            self._algorithms = frozenset(ALLOWED_ALGORITHMS) & frozenset(map(str, supported))
        self._keys = keys
        self._fetched_at = self._attempted_at
        logger.info("Loaded %d Bot Framework signing keys", len(keys))

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    async def _get_json(self, url: str) -> dict[str, Any]:
        session = self._session_factory()
        timeout = aiohttp.ClientTimeout(total=self._settings.http_timeout)
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    @staticmethod
    def _parse_keys(jwks: dict[str, Any]) -> dict[str, SigningKey]:
        keys = {}
        for jwk in jwks.get("keys") or []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            try:
                public_key = RSAAlgorithm.from_jwk(jwk)
            except (jwt.InvalidKeyError, ValueError, TypeError):
                logger.warning("Skipped a malformed Bot Framework signing key")
                continue
            endorsements = frozenset(str(e) for e in jwk.get("endorsements") or [])
            keys[str(jwk["kid"])] = SigningKey(public_key, endorsements)
        return keys


class ActivityAuthenticator:
    """Validates ``Authorization`` headers of incoming activities."""

    def __init__(
        self,
        settings: TeamsSettings,
        session_factory: SessionFactory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self.keys = SigningKeys(settings, session_factory, clock)

    async def verify(self, authorization: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        """The token's claims; raises ``AuthError`` (→ 401) or ``KeysUnavailable`` (→ 503)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS or algorithm not in self.keys.algorithms:
            raise AuthError(f"algorithm not allowed: {str(algorithm)[:10]}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("no key id")
        key = await self.keys.get(kid)
        if key is None:
            if not self.keys.loaded:
                raise KeysUnavailable("Bot Framework signing keys unavailable")
            raise AuthError("unknown signing key")
        channel_id = activity.get("channelId")
        if not isinstance(channel_id, str) or channel_id not in key.endorsements:
            raise AuthError("signing key not endorsed for the activity's channel")
        try:
            claims = jwt.decode(
                token,
                key=key.public_key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._settings.app_id,
                issuer=self._settings.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise AuthError("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("wrong issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthError("bad signature") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"invalid token ({type(error).__name__})") from None
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or claims.get("serviceurl") != service_url:
            raise AuthError("serviceurl claim does not match the activity")
        return claims
