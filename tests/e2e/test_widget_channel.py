"""The widget channel over HTTP against the real Rasa server: who may talk, as whom, and what is stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from widget_helpers import stored_events, stored_user_texts, widget_request

pytestmark = pytest.mark.e2e


def new_subject() -> str:
    return f"pseudo-{uuid.uuid4().hex[:12]}"


def client(number: int | None = None) -> dict[str, str]:
    """A client address of its own (documentation range), so tests do not share the per-address limit."""
    return {"X-Real-IP": f"203.0.113.{number or uuid.uuid4().int % 250 + 1}"}


def say(stack, token: str | None, body: object, headers: dict | None = None, origin: str | None = None):
    return widget_request(
        stack.rasa_url, "webhook", body, token,
        origin=stack.widget_origin if origin is None else origin, headers=headers or client(),
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_widget_script_is_served_as_one_javascript_file(stack):
    with urllib.request.urlopen(f"{stack.rasa_url}/webhooks/widget/kc-widget.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        script = response.read().decode()
    assert "attachShadow" in script and "Meine Daten löschen" in script


def test_message_with_a_valid_token_is_answered_and_stored_under_the_tokens_subject(stack):
    subject = new_subject()
    status, body, headers = say(stack, stack.issue_token(subject), {"message": "Hallo"})
    assert status == 200, body
    assert headers.get("Access-Control-Allow-Origin") == stack.widget_origin
    texts = " ".join(m.get("text", "") for m in body["messages"]).lower()
    assert "weiterbildung" in texts
    assert stored_user_texts(stack.tracker_db, subject) == ["Hallo"]
    users = [e for e in stored_events(stack.tracker_db, subject) if e["event"] == "user"]
    assert {e.get("input_channel") for e in users} == {"widget"}


def forged_tokens(stack, subject: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": "kc-dev-token-issuer", "aud": "kc-assistant", "sub": subject}
    claims.update(iat=now, exp=now + 300)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = stack.config.var_dir.joinpath("run", "widget-dev-public-key.pem").read_bytes()
    head_hs = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    confusion = f"{head_hs}.{body}." + b64(
        hmac.new(public_pem, f"{head_hs}.{body}".encode(), hashlib.sha256).digest()
    )
    return {
        "expired": stack.issue_token(subject, now=now - 900),
        "wrong signature": jwt.encode(claims, stranger, algorithm="RS256"),
        "wrong audience": stack.issue_token(subject, aud="another-app"),
        "wrong issuer": stack.issue_token(subject, iss="https://evil.example"),
        "too long-lived": stack.issue_token(subject, lifetime=3600),
        "alg none": f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{body}.",
        "HS/RS confusion": confusion,
    }


@pytest.mark.parametrize(
    "kind",
    ["no token", "expired", "wrong signature", "wrong audience", "wrong issuer", "too long-lived", "alg none",
     "HS/RS confusion"],
)
def test_refused_tokens_get_401_and_nothing_is_stored(stack, kind):
    subject = new_subject()
    token = None if kind == "no token" else forged_tokens(stack, subject)[kind]
    for path in ("webhook", "history"):
        status, body, _ = widget_request(
            stack.rasa_url, path, {"message": "Hallo"}, token, origin=stack.widget_origin, headers=client()
        )
        assert status == 401, (kind, path, body)
        assert "messages" not in body and "greeting" not in body
    assert stored_events(stack.tracker_db, subject) == []
    if kind == "expired":
        assert body["expired"] is True


def test_token_of_one_person_for_another_persons_conversation_is_refused(stack):
    anna, ben = new_subject(), new_subject()
    stack.say(anna, "Hallo")  # Anna has a conversation (over the local REST channel)
    before = stored_events(stack.tracker_db, anna)
    for key in ("sender", "sender_id"):
        request = {"message": "Löschen Sie meine Daten", key: anna}
        status, body, _ = say(stack, stack.issue_token(ben), request)
        assert status == 403 and body == {"error": "sender does not match the token"}
    assert stored_events(stack.tracker_db, anna) == before
    assert stored_events(stack.tracker_db, ben) == []


def test_metadata_and_channel_from_the_client_are_ignored(stack):
    anna = new_subject()
    body = {"message": "Guten Tag", "sender": anna, "input_channel": "rest", "metadata": {"role": "admin"}}
    status, _, _ = say(stack, stack.issue_token(anna), body)
    assert status == 200
    users = [e for e in stored_events(stack.tracker_db, anna) if e["event"] == "user"]
    assert [e["text"] for e in users] == ["Guten Tag"]
    assert all(e["input_channel"] == "widget" for e in users)
    assert all("role" not in (e.get("metadata") or {}) for e in users)


def test_history_shows_only_the_token_owners_conversation(stack):
    anna, ben = new_subject(), new_subject()
    say(stack, stack.issue_token(anna), {"message": "Ich bin Kämmerin in Musterstadt"})
    status, annas, _ = widget_request(
        stack.rasa_url, "history", {}, stack.issue_token(anna), origin=stack.widget_origin, headers=client()
    )
    assert status == 200
    assert {"role": "user", "text": "Ich bin Kämmerin in Musterstadt"} in annas["messages"]
    assert annas["greeting"] and "KommunalCampus" in annas["greeting"][0]["text"]
    status, refused, _ = widget_request(
        stack.rasa_url, "history", {"sender": anna}, stack.issue_token(ben), origin=stack.widget_origin,
        headers=client(),
    )
    assert status == 403 and "messages" not in refused
    status, bens, _ = widget_request(
        stack.rasa_url, "history", {}, stack.issue_token(ben), origin=stack.widget_origin, headers=client()
    )
    assert status == 200
    assert bens["messages"] == []
    assert "Kämmerin" not in json.dumps(bens, ensure_ascii=False)
    assert stored_events(stack.tracker_db, ben) == []  # reading the history writes nothing


@pytest.mark.parametrize("origin", ["https://evil.example", "null", ""])
def test_requests_from_other_or_no_origins_are_refused(stack, origin):
    subject = new_subject()
    status, body, headers = widget_request(
        stack.rasa_url, "webhook", {"message": "Hallo"}, stack.issue_token(subject), origin=origin,
        headers=client(),
    )
    assert status == 403 and body == {"error": "origin not allowed"}
    assert "Access-Control-Allow-Origin" not in headers
    assert stored_events(stack.tracker_db, subject) == []


def test_too_long_messages_and_floods_get_german_explanations_and_are_not_stored(stack):
    subject = new_subject()
    token = stack.issue_token(subject)
    status, body, _ = say(stack, token, {"message": "x" * 2001})
    assert status == 413
    assert "2001 Zeichen" in body["messages"][0]["text"] and "2000" in body["messages"][0]["text"]
    for _ in range(19):  # the sender limit (20 per minute) counts refused messages too
        say(stack, token, {"message": "x" * 2001})
    status, body, _ = say(stack, token, {"message": "Hallo"})
    assert status == 429
    assert "zu viele Nachrichten" in body["messages"][0]["text"]
    assert body["retry_after"] >= 1
    assert stored_events(stack.tracker_db, subject) == []


def test_one_client_address_may_send_120_requests_a_minute(stack):
    address = client(251)
    statuses = [say(stack, None, {"message": "Hallo"}, headers=address)[0] for _ in range(121)]
    assert statuses[:120] == [401] * 120  # no token: refused, but counted
    assert statuses[120] == 429


def test_rest_channel_refuses_requests_that_came_through_a_proxy(stack, sender):
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "Hallo"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    assert stored_events(stack.tracker_db, sender) == []
    assert stack.texts(sender, "Hallo")  # the same request directly from this machine is answered


def test_demo_token_issuer_keeps_one_person_per_browser_and_signs_out(stack):
    def token_request(cookie: str | None = None, host: str | None = None) -> tuple[int, dict, str | None]:
        headers = {"Cookie": cookie} if cookie else {}
        if host:
            headers["Host"] = host
        request = urllib.request.Request(f"{stack.web_url}dev-token", data=b"", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), response.headers.get("Set-Cookie")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read()), None

    status, first, cookie = token_request()
    assert status == 200 and cookie
    person = cookie.split(";")[0]
    status, second, again = token_request(person)
    assert status == 200 and again is None
    claims = [jwt.decode(t["token"], options={"verify_signature": False}) for t in (first, second)]
    assert claims[0]["sub"] == claims[1]["sub"] and claims[0]["exp"] - claims[0]["iat"] <= 600
    assert token_request("kc_demo_user=signed-out")[0] == 401
    assert token_request(host="evil.example:80")[0] == 403
