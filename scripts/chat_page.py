"""The demo host page and the local development token issuer (``make run`` without an intranet).

The demo host page plays a municipality's intranet: ``web/index.html`` and ``web/seite-2.html`` embed the
widget with the same ``<script>`` tag an intranet admin pastes (README, "Intranet-Widget"). Its token URL is
``POST /dev-token`` on this server, the *development token issuer*: it signs short-lived RS256 tokens for a
pseudonymous demo person kept in a cookie (``POST /dev-login`` = a new person, ``POST /dev-logout`` = signed
out, so the token URL answers 401 like an intranet whose session ended). The private key exists only in
this process's memory; the Rasa server gets the public half. It listens on 127.0.0.1 only, answers only
requests addressed to localhost/127.0.0.1 (no DNS rebinding), and runs only while the demo runs: never
when ``KC_WIDGET_ISSUER`` configures a real issuer.

Standard library at import time (scripts/stack.py imports this module and `make stop` runs that with any
Python 3); PyJWT and cryptography are imported when the issuer is created, in the dialogue runtime.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
PAGES = {"/": "index.html", "/index.html": "index.html", "/seite-2.html": "seite-2.html"}
DEV_ISSUER = "kc-dev-token-issuer"
DEV_AUDIENCE = "kc-assistant"
DEV_TOKEN_SECONDS = 300
COOKIE = "kc_demo_user"
SIGNED_OUT = "signed-out"
PERSON = re.compile(r"^[0-9a-f]{32}$")
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class DevTokenIssuer:
    """Signs the demo's tokens with a fresh RSA key; development only."""

    def __init__(self, issuer: str = DEV_ISSUER, audience: str = DEV_AUDIENCE) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.issuer = issuer
        self.audience = audience
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_key_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def issue(
        self, subject: str, lifetime: int = DEV_TOKEN_SECONDS, now: float | None = None, **claims: object
    ) -> str:
        """A signed token for ``subject``; ``claims`` override the standard ones (tests forge bad tokens)."""
        import jwt

        issued = int(time.time() if now is None else now)
        payload = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": issued,
                   "exp": issued + lifetime, **claims}
        return jwt.encode(payload, self._key, algorithm="RS256")

    def widget_env(self, public_key_file: Path, origins: list[str]) -> dict[str, str]:
        """The Rasa server's KC_WIDGET_* settings that accept this issuer's tokens."""
        return {
            "KC_WIDGET_ISSUER": self.issuer,
            "KC_WIDGET_AUDIENCE": self.audience,
            "KC_WIDGET_ALGORITHM": "RS256",
            "KC_WIDGET_PUBLIC_KEY_FILE": str(public_key_file),
            "KC_WIDGET_ORIGINS": ",".join(origins),
        }


class DemoHostHandler(BaseHTTPRequestHandler):
    """Serves the demo host pages and the development token issuer."""

    bot_url = ""
    issuer: DevTokenIssuer | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if not self._local_host():
            return
        path = self.path.split("?", 1)[0]
        if path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/demo.css":
            self._send(200, (WEB_DIR / "demo.css").read_bytes(), "text/css; charset=utf-8")
        elif path in PAGES:
            page = (WEB_DIR / PAGES[path]).read_text(encoding="utf-8")
            body = page.replace("{{BOT_URL}}", html.escape(self.bot_url, quote=True)).encode()
            self._send(200, body, "text/html; charset=utf-8")
        else:
            self._send_json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        if not self._local_host():
            return
        if self.path == "/dev-token":
            self._token()
        elif self.path in ("/dev-login", "/dev-logout"):
            person = uuid.uuid4().hex if self.path == "/dev-login" else SIGNED_OUT
            self.send_response(303)
            self.send_header("Location", "/")
            self.send_header("Set-Cookie", _cookie(person))
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send_json(404, {"error": "not found"})

    def _token(self) -> None:
        origin = self.headers.get("Origin")
        if origin and origin.rstrip("/") != f"http://{self.headers.get('Host')}":
            self._send_json(403, {"error": "the development token issuer serves only its own pages"})
            return
        person = _cookie_value(self.headers.get("Cookie") or "")
        if person == SIGNED_OUT:
            self._send_json(401, {"error": "signed out (demo)"})
            return
        new_cookie = None
        if person is None:
            person = uuid.uuid4().hex
            new_cookie = _cookie(person)
        if self.issuer is None:
            self._send_json(503, {"error": "no development token issuer configured"})
            return
        token = self.issuer.issue(f"demo-{person}")
        self._send_json(200, {"token": token, "expires_in": DEV_TOKEN_SECONDS}, new_cookie)

    def _local_host(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host in LOCAL_HOSTS:
            return True
        self._send_json(403, {"error": "the demo host page answers only to localhost and 127.0.0.1"})
        return False

    def _send_json(self, status: int, body: object, cookie: str | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8", cookie)

    def _send(self, status: int, body: bytes, content_type: str, cookie: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet: request lines would end up in the terminal of `make run`."""


def _cookie(value: str) -> str:
    return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict"


def _cookie_value(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and (value == SIGNED_OUT or PERSON.match(value)):
            return value
    return None


def start_demo_host(host: str, port: int, bot_url: str, issuer: DevTokenIssuer) -> ThreadingHTTPServer:
    """Serve the demo host page in a daemon thread; the caller stops it with shutdown() and server_close()."""
    handler = type("Handler", (DemoHostHandler,), {"bot_url": bot_url, "issuer": issuer})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
