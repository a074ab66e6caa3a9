"""An in-process fake of the Microsoft side of a Teams bot, for tests that must not reach the internet.

It serves, on one local port:
- ``/openid``: Bot Framework OpenID metadata pointing to ``/jwks``;
- ``/jwks``: RSA signing keys with ``endorsements`` (the test decides which keys are published);
- ``/{tenant}/oauth2/v2.0/token``: the Entra ID client-credentials token endpoint (checks id, secret, scope);
- ``/teams/v3/conversations/{id}/activities[/{replyToId}]``: the Bot Connector; it checks the bearer token,
  records every activity the bot posts, and can answer 429/503 on request.

Tests sign activity tokens with the fake's private keys (``token``) and post activities to the bot.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "11111111-2222-3333-4444-555555555555"
APP_PASSWORD = "test-secret-not-real"
TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER_TENANT_ID = "99999999-8888-7777-6666-555555555555"
HASH_SALT = "test-salt-0123456789abcdef"
ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"


@dataclass
class Posted:
    """One activity the bot posted to the fake connector."""

    conversation_id: str
    reply_to_id: str | None
    activity: dict[str, Any]
    authorization: str
    at: float = field(default_factory=time.monotonic)


class FakeBotFramework:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.service_url = f"{self.url}/teams/"
        self.private_keys = {
            kid: _rsa_key() for kid in ("kc-key-1", "kc-key-2", "kc-key-webchat", "kc-rogue")
        }
        self.endorsements = {"kc-key-1": ["msteams"], "kc-key-2": ["msteams"], "kc-key-webchat": ["webchat"]}
        self.published = {"kc-key-1", "kc-key-webchat"}
        self.jwks_fetches = 0
        self.token_requests: list[dict[str, Any]] = []
        self.issued_tokens: set[str] = set()
        self.posted: list[Posted] = []
        self.attempts = 0  # every POST to the connector, accepted or not
        self.failures: list[tuple[int, str | None]] = []  # answers to give before accepting again
        self.down = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid", self._openid)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities/{reply_to}", self._activity)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def env(self) -> dict[str, str]:
        """Environment of the Rasa server so that its Teams channel talks to this fake."""
        return {
            "KC_TEAMS_APP_ID": APP_ID,
            "KC_TEAMS_APP_PASSWORD": APP_PASSWORD,
            "KC_TEAMS_TENANT_ID": TENANT_ID,
            "KC_TEAMS_HASH_SALT": HASH_SALT,
            "KC_TEAMS_OPENID_URL": f"{self.url}/openid",
            "KC_TEAMS_TOKEN_URL": f"{self.url}/{{tenant}}/oauth2/v2.0/token",
            # Every unknown key id may trigger a refetch, so that each negative test sees its own refetch.
            "KC_TEAMS_KEY_REFETCH_SECONDS": "0",
            "KC_TEAMS_HTTP_TIMEOUT": "5",
        }

    # --- what tests use ------------------------------------------------------------------------------
    def publish(self, kid: str) -> None:
        self.published.add(kid)

    def fail_next(self, status: int, count: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            self.failures.extend([(status, retry_after)] * count)

    def activities(self, conversation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p.activity for p in self.posted if p.conversation_id == conversation_id]

    def token(
        self,
        service_url: str | None = None,
        kid: str = "kc-key-1",
        sign_with: str | None = None,
        algorithm: str = "RS256",
        **overrides: Any,
    ) -> str:
        """A Bot Framework activity token; ``overrides`` replace claims (None removes one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        key = self.private_keys[sign_with or kid]
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})

    def unsigned_token(self, kid: str = "kc-key-1", **claims: Any) -> str:
        """A token with ``alg: none``."""
        return (
            _b64json({"alg": "none", "kid": kid, "typ": "JWT"}) + "." + _b64json(self._claims(claims)) + "."
        )

    def hs256_token(self, kid: str = "kc-key-1") -> str:
        """A token "signed" with HS256 using the published public key as the secret (key confusion)."""
        public_pem = (
            self.private_keys[kid]
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        head = _b64json({"alg": "HS256", "kid": kid, "typ": "JWT"}) + "." + _b64json(self._claims({}))
        signature = hmac.new(public_pem, head.encode(), hashlib.sha256).digest()
        return head + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    def public_jwk(self, kid: str) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_keys[kid].public_key()))
        jwk.update({"kid": kid, "use": "sig", "endorsements": self.endorsements.get(kid, [])})
        return jwk

    def _claims(self, extra: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": self.service_url,
            "nbf": now - 5,
            "exp": now + 3600,
            **extra,
        }

    # --- handlers ------------------------------------------------------------------------------------
    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.example/authorize",
                "jwks_uri": f"{self.url}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        with self._lock:
            self.jwks_fetches += 1
            kids = sorted(self.published)
        return web.json_response({"keys": [self.public_jwk(kid) for kid in kids]})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        with self._lock:
            self.token_requests.append({"tenant": request.match_info["tenant"], **form})
        if (
            request.match_info["tenant"] != TENANT_ID
            or form.get("client_id") != APP_ID
            or form.get("client_secret") != APP_PASSWORD
            or form.get("grant_type") != "client_credentials"
            or form.get("scope") != SCOPE
        ):
            return web.json_response(
                {"error": "unauthorized_client", "error_description": "AADSTS700016: test refusal"},
                status=400,
            )
        token = f"access-{uuid.uuid4().hex}"
        with self._lock:
            self.issued_tokens.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    async def _activity(self, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization", "")
        activity = await request.json()
        with self._lock:
            self.attempts += 1
            if self.down:
                return web.json_response({"error": "down"}, status=503)
            if self.failures:
                status, retry_after = self.failures.pop(0)
                headers = {"Retry-After": retry_after} if retry_after else {}
                return web.json_response({"error": {"code": "Throttled"}}, status=status, headers=headers)
            if authorization.removeprefix("Bearer ") not in self.issued_tokens:
                return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
            self.posted.append(
                Posted(
                    request.match_info["conversation"],
                    request.match_info.get("reply_to"),
                    activity,
                    authorization,
                )
            )
        return web.json_response({"id": f"reply-{uuid.uuid4().hex[:8]}"}, status=201)


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64json(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
