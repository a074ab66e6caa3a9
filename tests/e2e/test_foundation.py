"""The assistant's first German conversation over the REST channel, and what survives a restart."""

from __future__ import annotations

import json
import sqlite3
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _all_text(replies: list[str]) -> str:
    return " ".join(replies).lower()


def test_greeting_gets_a_german_welcome(stack, sender):
    replies = stack.texts(sender, "Hallo")
    assert replies, "the bot did not answer a greeting"
    text = _all_text(replies)
    assert "weiterbildung" in text or "kommunalcampus" in text
    assert " sie " in f" {text} " or "ihnen" in text  # Sie-Form


def test_help_explains_what_the_assistant_does(stack, sender):
    text = _all_text(stack.texts(sender, "Was können Sie?"))
    assert "weiterbildung" in text
    assert "mitgliedschaft" in text


def test_thanks_and_goodbye(stack, sender):
    stack.texts(sender, "Guten Morgen")
    thanks = _all_text(stack.texts(sender, "Danke schön!"))
    assert "gern" in thanks
    bye = _all_text(stack.texts(sender, "Tschüss"))
    assert any(word in bye for word in ("wiedersehen", "tschüss", "schönen tag", "bis bald"))


def test_out_of_scope_is_answered_honestly(stack, sender):
    text = _all_text(stack.texts(sender, "Wie wird das Wetter morgen in Mannheim?"))
    assert "weiterbildung" in text or "mitgliedschaft" in text, text


def test_gibberish_gets_a_request_to_rephrase(stack, sender):
    replies = stack.say(sender, "xqzv blorf knt prrrt")
    text = " ".join(r.get("text") or "" for r in replies).lower()
    assert "verstanden" in text or "formulieren" in text or "meinten sie" in text, text


def test_demo_host_page_embeds_the_widget_from_the_rasa_server(stack):
    with urllib.request.urlopen(stack.web_url, timeout=5) as response:
        page = response.read().decode()
    assert 'lang="de"' in page and "KommunalCampus-Assistent" in page
    assert f'src="{stack.rasa_url}/webhooks/widget/kc-widget.js"' in page
    with urllib.request.urlopen(f"{stack.rasa_url}/webhooks/widget/kc-widget.js", timeout=5) as response:
        assert b"attachShadow" in response.read()


def test_search_service_answers_health(stack):
    with urllib.request.urlopen(stack.search_url + "/health", timeout=5) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok"
    assert health["courses"] >= 300


def _stored_user_messages(db_path, sender: str) -> list[str]:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(row[0]).get("text") for row in rows]


def test_conversation_survives_a_rasa_restart(stack, sender):
    stack.texts(sender, "Hallo")
    stack.texts(sender, "Was können Sie?")
    before = _stored_user_messages(stack.tracker_db, sender)
    assert before == ["Hallo", "Was können Sie?"]

    stack.restart_rasa()

    assert stack.texts(sender, "Danke")
    after = _stored_user_messages(stack.tracker_db, sender)
    assert after == ["Hallo", "Was können Sie?", "Danke"]
