"""Token verification of the widget channel: what the intranet's tokens must look like to be accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.channels.settings import WidgetSettings
from bot.channels.tokens import TokenRejected, TokenVerifier

ISSUER = "https://intranet.musterstadt.example"
AUDIENCE = "kc-assistant"
SECRET = b"a-secret-of-more-than-thirty-two-bytes-for-hs256"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def settings(algorithm: str, key: object) -> WidgetSettings:
    return WidgetSettings(
        issuer=ISSUER, audience=AUDIENCE, algorithm=algorithm, key=key, origins=frozenset({"https://x.example"})
    )


@pytest.fixture
def rs_verifier(rsa_key) -> TokenVerifier:
    return TokenVerifier(settings("RS256", rsa_key.public_key()))


@pytest.fixture
def hs_verifier() -> TokenVerifier:
    return TokenVerifier(settings("HS256", SECRET))


def claims(**overrides: object) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-4711", "iat": now, "exp": now + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict, payload: dict, key: bytes) -> str:
    """A token signed with HMAC-SHA256 by hand: PyJWT refuses to use a PEM key as an HMAC secret."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_valid_rs256_token_gives_the_subject_as_sender(rs_verifier, rsa_key):
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert rs_verifier.verify(token).sender_id == "u-4711"


def test_valid_hs256_token_gives_the_subject_as_sender(hs_verifier):
    token = jwt.encode(claims(sub="pseudo:ab12"), SECRET, algorithm="HS256")
    assert hs_verifier.verify(token).sender_id == "pseudo:ab12"


def test_small_clock_difference_is_tolerated(rs_verifier, rsa_key):
    now = int(time.time())
    token = jwt.encode(claims(iat=now - 320, exp=now - 10), rsa_key, algorithm="RS256")
    assert rs_verifier.verify(token).sender_id == "u-4711"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "token expired"),
        ({"nbf": int(time.time()) + 300}, "token not yet valid"),
        ({"aud": "another-app"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"exp": int(time.time()) + 3600}, "token lives longer than 600 s"),
        ({"iat": int(time.time()) - 300, "exp": int(time.time()) + 500}, "token lives longer than 600 s"),
        ({"iat": int(time.time()) + 300}, "token issued in the future"),
        ({"sub": None}, "missing claim sub"),
        ({"exp": None}, "missing claim exp"),
        ({"sub": "<script>"}, "sub is not a pseudonymous id"),
        ({"sub": ""}, "sub is not a pseudonymous id"),
        ({"sub": 4711}, "sub is not a pseudonymous id"),
    ],
)
def test_tokens_with_bad_claims_are_refused(rs_verifier, rsa_key, overrides, reason):
    token = jwt.encode(claims(**overrides), rsa_key, algorithm="RS256")
    with pytest.raises(TokenRejected) as refused:
        rs_verifier.verify(token)
    assert refused.value.reason.startswith(reason)
    assert refused.value.expired == (reason == "token expired")


def test_token_signed_with_another_key_is_refused(rs_verifier, other_rsa_key):
    token = jwt.encode(claims(), other_rsa_key, algorithm="RS256")
    with pytest.raises(TokenRejected, match="bad signature"):
        rs_verifier.verify(token)


def test_tampered_payload_is_refused(rs_verifier, rsa_key):
    header, _, signature = jwt.encode(claims(), rsa_key, algorithm="RS256").split(".")
    forged = f"{header}.{b64(json.dumps(claims(sub='someone-else')).encode())}.{signature}"
    with pytest.raises(TokenRejected, match="bad signature"):
        rs_verifier.verify(forged)


def test_alg_none_is_refused(rs_verifier, hs_verifier):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{b64(json.dumps(claims()).encode())}."
    for verifier in (rs_verifier, hs_verifier):
        with pytest.raises(TokenRejected, match="algorithm not allowed"):
            verifier.verify(unsigned)


def test_hs256_token_signed_with_the_rsa_public_key_is_refused(rs_verifier, rsa_key):
    """HS/RS confusion: the public key is no secret, so a token 'signed' with it must not pass."""
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(), public_pem)
    with pytest.raises(TokenRejected, match="algorithm not allowed"):
        rs_verifier.verify(forged)


def test_rs256_token_on_an_hs256_channel_is_refused(hs_verifier, rsa_key):
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    with pytest.raises(TokenRejected, match="algorithm not allowed"):
        hs_verifier.verify(token)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 5000])
def test_garbage_is_refused(rs_verifier, token):
    with pytest.raises(TokenRejected):
        rs_verifier.verify(token)
