"""Configuration of the widget channel, read once from ``KC_WIDGET_*`` environment variables.

Every problem is a ``ConfigError`` with an English message naming the variable, raised when Rasa loads the
channel, so a misconfigured server does not start instead of accepting the wrong tokens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ALGORITHMS = ("RS256", "HS256")
MIN_SECRET_BYTES = 32


class ConfigError(ValueError):
    """The widget channel's configuration is missing or invalid; the message is for the operator."""


@dataclass(frozen=True)
class WidgetSettings:
    issuer: str
    audience: str
    algorithm: str
    key: object  # RSA public key object (RS256) or secret bytes (HS256)
    origins: frozenset[str]
    leeway_seconds: int = 30
    max_lifetime_seconds: int = 600
    history_messages: int = 30
    client_ip_header: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WidgetSettings:
        env = os.environ if env is None else env
        algorithm = env.get("KC_WIDGET_ALGORITHM", "RS256").strip().upper()
        if algorithm not in ALGORITHMS:
            raise ConfigError(f"KC_WIDGET_ALGORITHM={algorithm!r}: use one of {', '.join(ALGORITHMS)}.")
        return cls(
            issuer=_required(env, "KC_WIDGET_ISSUER"),
            audience=_required(env, "KC_WIDGET_AUDIENCE"),
            algorithm=algorithm,
            key=_rsa_public_key(env) if algorithm == "RS256" else _hmac_secret(env),
            origins=parse_origins(_required(env, "KC_WIDGET_ORIGINS")),
            leeway_seconds=_int(env, "KC_WIDGET_LEEWAY_SECONDS", 30, 0, 120),
            max_lifetime_seconds=_int(env, "KC_WIDGET_MAX_TOKEN_SECONDS", 600, 30, 600),
            history_messages=_int(env, "KC_WIDGET_HISTORY_MESSAGES", 30, 0, 200),
            client_ip_header=env.get("KC_WIDGET_CLIENT_IP_HEADER", "").strip() or None,
        )


def parse_origins(raw: str) -> frozenset[str]:
    """``https://intranet.example.de, http://localhost:8080`` -> normalised origins; no wildcards."""
    origins = set()
    for item in raw.split(","):
        item = item.strip().rstrip("/")
        if not item:
            continue
        parts = urlsplit(item)
        if item == "*" or parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ConfigError(
                f"KC_WIDGET_ORIGINS: {item!r} is not an origin like https://intranet.example.de "
                "(scheme and host, optional port, no path, no wildcard)."
            )
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    if not origins:
        raise ConfigError("KC_WIDGET_ORIGINS is empty: name the intranet origin(s) that embed the widget.")
    return frozenset(origins)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; see README, section 'Intranet-Widget'.")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name}={raw!r}: expected a whole number from {low} to {high}.")
    return int(raw)


def _rsa_public_key(env: Mapping[str, str]) -> object:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    path = Path(_required(env, "KC_WIDGET_PUBLIC_KEY_FILE"))
    try:
        key = load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"KC_WIDGET_PUBLIC_KEY_FILE: cannot read {path}: {error.strerror}.") from error
    except ValueError as error:
        raise ConfigError(f"KC_WIDGET_PUBLIC_KEY_FILE: {path} is not a PEM public key.") from error
    if not isinstance(key, RSAPublicKey) or key.key_size < 2048:
        raise ConfigError(f"KC_WIDGET_PUBLIC_KEY_FILE: {path} must hold an RSA public key of >= 2048 bits.")
    return key


def _hmac_secret(env: Mapping[str, str]) -> bytes:
    secret = _required(env, "KC_WIDGET_SECRET").encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(f"KC_WIDGET_SECRET must be at least {MIN_SECRET_BYTES} bytes long (HS256).")
    return secret
