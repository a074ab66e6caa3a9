"""Which conversation a request belongs to, and which worker answers it (bot/router/keys.py, choice.py)."""

from __future__ import annotations

import base64
import json

from bot.router.choice import choose, ranked
from bot.router.keys import conversation_key, token_subject


def _unsigned_token(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_rest_key_is_the_sender_of_the_body():
    body = json.dumps({"sender": "person-7", "message": "Hallo"}).encode()
    assert conversation_key("/webhooks/rest/webhook", body) == "person-7"


def test_widget_key_is_the_tokens_subject_for_messages_and_history():
    token = _unsigned_token({"sub": "widget-person", "aud": "x"})
    body = json.dumps({"token": token, "message": "Hi"}).encode()
    assert conversation_key("/webhooks/widget/webhook", body) == "widget-person"
    assert conversation_key("/webhooks/widget/history", body) == "widget-person"


def test_the_same_sender_id_through_rest_and_widget_has_the_same_key():
    rest = json.dumps({"sender": "same-id", "message": "x"}).encode()
    widget = json.dumps({"token": _unsigned_token({"sub": "same-id"}), "message": "x"}).encode()
    via_rest = conversation_key("/webhooks/rest/webhook", rest)
    assert via_rest == conversation_key("/webhooks/widget/webhook", widget) == "same-id"


def test_teams_key_is_the_person_the_channel_keeps_one_tracker_for():
    activity = {
        "type": "message", "conversation": {"id": "a:1"}, "from": {"id": "29:x", "aadObjectId": "AAD-1"},
        "channelData": {"tenant": {"id": "TENANT"}},
    }
    key = conversation_key("/webhooks/teams/webhook", json.dumps(activity).encode())
    other_chat = dict(activity, conversation={"id": "a:2"})
    assert key == conversation_key("/webhooks/teams/webhook", json.dumps(other_chat).encode())
    assert key != conversation_key(
        "/webhooks/teams/webhook", json.dumps(dict(activity, **{"from": {"aadObjectId": "AAD-2"}})).encode()
    )
    without_person = {"type": "conversationUpdate", "conversation": {"id": "a:3"}}
    assert conversation_key("/webhooks/teams/webhook", json.dumps(without_person).encode()) is not None


def test_requests_without_a_conversation_have_no_key():
    assert conversation_key("/webhooks/rest/", b"") is None
    assert conversation_key("/model/parse", json.dumps({"sender": "x"}).encode()) is None
    assert conversation_key("/webhooks/rest/webhook", b"{not json") is None
    assert conversation_key("/webhooks/rest/webhook", json.dumps({"sender": 5}).encode()) is None
    assert conversation_key("/webhooks/rest/webhook", json.dumps(["sender"]).encode()) is None
    assert conversation_key("/webhooks/widget/webhook", json.dumps({"token": "a.b"}).encode()) is None
    assert token_subject("x." + "!" * 10 + ".y") is None
    assert token_subject(_unsigned_token({"sub": 42})) is None


def test_each_conversation_has_one_worker_and_both_workers_get_a_share():
    keys = [f"person-{n}" for n in range(1000)]
    chosen = [choose(key, ["1", "2"]) for key in keys]
    assert chosen == [choose(key, ["2", "1"]) for key in keys]  # order of the live list does not matter
    assert 350 <= chosen.count("1") <= 650


def test_a_conversation_moves_only_while_its_worker_is_down_and_comes_back():
    keys = [f"person-{n}" for n in range(300)]
    before = {key: choose(key, ["1", "2", "3"]) for key in keys}
    while_down = {key: choose(key, ["1", "3"]) for key in keys}
    for key in keys:
        if before[key] != "2":
            assert while_down[key] == before[key]  # the others never move
        else:
            # its failover is the next in its ranking
            assert while_down[key] == ranked(key, ["1", "2", "3"])[1]
    assert {key: choose(key, ["1", "2", "3"]) for key in keys} == before
    assert choose("person-1", []) is None
