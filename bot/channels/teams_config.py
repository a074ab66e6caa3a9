"""Settings of the Microsoft Teams channel, read from the environment.

The channel reads its own settings (instead of ``${VAR}`` lines in credentials.yml) so that the Rasa server
starts on a machine without a Teams registration: then ``from_env`` raises ``TeamsNotConfigured`` and the
webhook answers 503 with an operator log line naming the missing variables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp

BOTFRAMEWORK_OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
TOKEN_URL_TEMPLATE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
TOKEN_SCOPE = "https://api.botframework.com/.default"

REQUIRED = {
    "app_id": "KC_TEAMS_APP_ID",
    "app_password": "KC_TEAMS_APP_PASSWORD",
    "tenant_id": "KC_TEAMS_TENANT_ID",
    "hash_salt": "KC_TEAMS_HASH_SALT",
}
MIN_SALT_LENGTH = 16
# The channel's shared HTTP session, created lazily inside the server's event loop.
SessionFactory = Callable[[], aiohttp.ClientSession]


class TeamsNotConfigured(RuntimeError):
    """The Teams channel lacks settings; the message is one English line for the operator."""


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str
    app_password: str = field(repr=False)
    tenant_id: str
    hash_salt: str = field(repr=False)
    # Tenants whose users may talk to the bot; empty = any tenant (KC_TEAMS_ALLOWED_TENANTS=*).
    allowed_tenants: frozenset[str] = frozenset()
    openid_url: str = BOTFRAMEWORK_OPENID_URL
    issuer: str = BOTFRAMEWORK_ISSUER
    token_url: str = TOKEN_URL_TEMPLATE.format(tenant="{tenant}")
    token_scope: str = TOKEN_SCOPE
    # An unknown signing key id triggers a refetch of the keys at most this often (seconds).
    key_refetch_interval: float = 300.0
    # Outgoing calls: seconds per HTTP request, attempts per reply.
    http_timeout: float = 10.0
    send_attempts: int = 4

    @property
    def token_endpoint(self) -> str:
        return self.token_url.replace("{tenant}", self.tenant_id)

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        if not self.allowed_tenants:
            return True
        return tenant_id is not None and tenant_id in self.allowed_tenants


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TeamsNotConfigured(f"{name}={raw!r} is not a number.") from None
    if value < minimum:
        raise TeamsNotConfigured(f"{name}={raw!r} must be at least {minimum:g}.")
    return value


def from_env(env: Mapping[str, str] | None = None) -> TeamsSettings:
    """The channel's settings, or ``TeamsNotConfigured`` naming what is missing or wrong."""
    env = os.environ if env is None else env
    values = {key: env.get(name, "").strip() for key, name in REQUIRED.items()}
    missing = [REQUIRED[key] for key, value in values.items() if not value]
    if missing:
        raise TeamsNotConfigured(
            f"Teams channel not configured: set {', '.join(missing)} (see docs/teams.md)."
        )
    if len(values["hash_salt"]) < MIN_SALT_LENGTH:
        raise TeamsNotConfigured(
            f"KC_TEAMS_HASH_SALT is too short: use a random secret of at least {MIN_SALT_LENGTH} characters."
        )
    raw_tenants = env.get("KC_TEAMS_ALLOWED_TENANTS", "").strip()
    if raw_tenants == "*":
        allowed: frozenset[str] = frozenset()
    elif raw_tenants:
        allowed = frozenset(t.strip() for t in raw_tenants.split(",") if t.strip())
    else:  # single-tenant by default: only the tenant the bot is registered in
        allowed = frozenset({values["tenant_id"]})
    token_url = env.get("KC_TEAMS_TOKEN_URL", "").strip() or TOKEN_URL_TEMPLATE.format(tenant="{tenant}")
    return TeamsSettings(
        app_id=values["app_id"],
        app_password=values["app_password"],
        tenant_id=values["tenant_id"],
        hash_salt=values["hash_salt"],
        allowed_tenants=allowed,
        openid_url=env.get("KC_TEAMS_OPENID_URL", "").strip() or BOTFRAMEWORK_OPENID_URL,
        issuer=env.get("KC_TEAMS_ISSUER", "").strip() or BOTFRAMEWORK_ISSUER,
        token_url=token_url,
        token_scope=env.get("KC_TEAMS_TOKEN_SCOPE", "").strip() or TOKEN_SCOPE,
        key_refetch_interval=_number(env, "KC_TEAMS_KEY_REFETCH_SECONDS", 300.0, 0.0),
        http_timeout=_number(env, "KC_TEAMS_HTTP_TIMEOUT", 10.0, 0.5),
        send_attempts=int(_number(env, "KC_TEAMS_SEND_ATTEMPTS", 4, 1)),
    )
