"""Verification of the intranet's signed tokens (JWT) for the widget channel.

A token is accepted only if its header names the one configured algorithm (so ``none`` and HS/RS confusion
are refused), its signature is valid, ``iss`` and ``aud`` match, ``exp`` is in the future and at most
``max_lifetime_seconds`` away (and, with ``iat``, the token was issued for at most that long), ``nbf`` has
passed, and ``sub`` is a plausible pseudonymous id. The leeway allows small clock differences.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt

from bot.channels.settings import WidgetSettings

MAX_TOKEN_CHARS = 4096
SUBJECT = re.compile(r"^[A-Za-z0-9._:@+=/-]{1,128}$")
BAD_SUBJECT = "sub is not a pseudonymous id (1-128 characters A-Z a-z 0-9 . _ : @ + = / -)"


class TokenRejected(Exception):
    """The token is not acceptable; ``reason`` is a short English phrase for logs and the 401 body."""

    def __init__(self, reason: str, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True)
class Identity:
    sender_id: str


class TokenVerifier:
    def __init__(self, settings: WidgetSettings) -> None:
        self.settings = settings

    def verify(self, token: str, now: float | None = None) -> Identity:
        """The identity in ``token``, or ``TokenRejected``."""
        settings = self.settings
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected("missing or oversized token")
        now = time.time() if now is None else now
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise TokenRejected("malformed token") from error
        if header.get("alg") != settings.algorithm:
            raise TokenRejected("algorithm not allowed")
        try:
            claims = jwt.decode(
                token,
                settings.key,  # type: ignore[arg-type]
                algorithms=[settings.algorithm],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenRejected("token expired", expired=True) from error
        except jwt.ImmatureSignatureError as error:
            raise TokenRejected("token not yet valid") from error
        except jwt.InvalidAudienceError as error:
            raise TokenRejected("wrong audience") from error
        except jwt.InvalidIssuerError as error:
            raise TokenRejected("wrong issuer") from error
        except jwt.InvalidSignatureError as error:
            raise TokenRejected("bad signature") from error
        except jwt.exceptions.InvalidSubjectError as error:
            raise TokenRejected(BAD_SUBJECT) from error
        except jwt.MissingRequiredClaimError as error:
            raise TokenRejected(f"missing claim {error.claim}") from error
        except jwt.InvalidTokenError as error:
            raise TokenRejected("invalid token") from error
        self._check_lifetime(claims, now)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not SUBJECT.match(subject):
            raise TokenRejected(BAD_SUBJECT)
        return Identity(sender_id=subject)

    def _check_lifetime(self, claims: dict, now: float) -> None:
        limit = self.settings.max_lifetime_seconds + self.settings.leeway_seconds
        expires = claims["exp"]
        if expires - now > limit:
            raise TokenRejected(f"token lives longer than {self.settings.max_lifetime_seconds} s")
        issued = claims.get("iat")
        if issued is not None:
            if not isinstance(issued, (int, float)):
                raise TokenRejected("iat is not a number")
            if issued - now > self.settings.leeway_seconds:
                raise TokenRejected("token issued in the future")
            if expires - issued > limit:
                raise TokenRejected(f"token lives longer than {self.settings.max_lifetime_seconds} s")
