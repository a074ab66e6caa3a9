"""The widget channel's configuration: a wrong setting stops the server with a message naming the variable."""

from __future__ import annotations

import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.channels.loopback_rest import is_local_request
from bot.channels.settings import ConfigError, WidgetSettings
from bot.channels.widget_assets import WIDGET_DIR, AssetError, compose


def pem(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    return {
        "KC_WIDGET_ISSUER": "https://intranet.example.de",
        "KC_WIDGET_AUDIENCE": "kc-assistant",
        "KC_WIDGET_PUBLIC_KEY_FILE": str(key_file),
        "KC_WIDGET_ORIGINS": "https://Intranet.example.de/, http://localhost:8080",
    }


def test_complete_rs256_settings(env):
    settings = WidgetSettings.from_env(env)
    assert settings.algorithm == "RS256"
    assert settings.origins == {"https://intranet.example.de", "http://localhost:8080"}
    assert settings.max_lifetime_seconds == 600


def test_hs256_needs_a_long_secret(env):
    env.update({"KC_WIDGET_ALGORITHM": "HS256", "KC_WIDGET_SECRET": "kurz"})
    with pytest.raises(ConfigError, match="KC_WIDGET_SECRET must be at least 32 bytes"):
        WidgetSettings.from_env(env)
    env["KC_WIDGET_SECRET"] = "s" * 32
    assert WidgetSettings.from_env(env).key == b"s" * 32


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"KC_WIDGET_ISSUER": ""}, "KC_WIDGET_ISSUER is not set"),
        ({"KC_WIDGET_ALGORITHM": "none"}, "KC_WIDGET_ALGORITHM='NONE'"),
        ({"KC_WIDGET_ORIGINS": "*"}, "is not an origin"),
        ({"KC_WIDGET_ORIGINS": "https://intranet.example.de/portal"}, "is not an origin"),
        ({"KC_WIDGET_ORIGINS": " , "}, "KC_WIDGET_ORIGINS is empty"),
        ({"KC_WIDGET_PUBLIC_KEY_FILE": "/nonexistent/key.pem"}, "cannot read"),
        ({"KC_WIDGET_MAX_TOKEN_SECONDS": "3600"}, "KC_WIDGET_MAX_TOKEN_SECONDS='3600'"),
    ],
)
def test_bad_settings_name_the_variable(env, change, message):
    env.update(change)
    with pytest.raises(ConfigError, match=message):
        WidgetSettings.from_env(env)


def test_public_key_must_be_rsa(env, tmp_path):
    key_file = tmp_path / "ec.pem"
    key_file.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    env["KC_WIDGET_PUBLIC_KEY_FILE"] = str(key_file)
    with pytest.raises(ConfigError, match="RSA public key"):
        WidgetSettings.from_env(env)


@pytest.mark.parametrize(
    ("peer", "headers", "local"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("192.168.10.20", {}, False),
        ("10.0.0.5", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, False),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, False),
        ("127.0.0.1", {"X-Real-IP": "203.0.113.9"}, False),
        ("", {}, False),
    ],
)
def test_rest_channel_serves_only_direct_local_clients(peer, headers, local):
    assert is_local_request(peer, headers) is local


def test_widget_script_is_composed_with_every_text_it_uses():
    script = compose().body.decode()
    assert "Meine Daten löschen" in script and "role: \"log\"" in script
    assert ".kc-launcher" in script  # the styles travel inside the script


def test_widget_text_missing_from_the_texts_file_stops_the_channel(tmp_path):
    copy = tmp_path / "widget"
    shutil.copytree(WIDGET_DIR, copy)
    texts = (copy / "texts.de.yml").read_text(encoding="utf-8")
    (copy / "texts.de.yml").write_text(texts.replace('send: "Senden"\n', ""), encoding="utf-8")
    with pytest.raises(AssetError, match="lacks the texts send"):
        compose(copy)
