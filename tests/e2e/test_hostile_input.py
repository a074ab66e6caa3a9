"""Hostile and malformed input against the real stack: every case gets a sensible German reply or a clean 4xx
with an English message for the operator, a refused request stores nothing, and the server keeps answering.

Most cases go through the loopback REST channel (what local tools use); the widget cases use the demo token
issuer of the test stack. The tracker database is read directly to prove what was (not) stored.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import urllib.error
import urllib.request
import uuid

import pytest
from widget_helpers import stored_events, stored_user_texts, widget_request

from german.language import GERMAN_ONLY, WORD, foreign_language

pytestmark = pytest.mark.e2e

ONLY_GERMAN = "nur Deutsch"
TYPED_COMMAND = "nehme ich nur über meine Knöpfe an"
EMPLOYEE_COUNT_PAYLOAD = '/inform_employee_count{"employee_count": "-5"}'


def rest(stack, body: bytes, content_type: str = "application/json", query: str = "") -> tuple[int, object]:
    """(status, JSON or text) of one raw request to the REST channel."""
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook{query}", data=body, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def say(stack, sender: str, message: object) -> tuple[int, object]:
    return rest(stack, json.dumps({"sender": sender, "message": message}).encode())


def bot_text(body: object) -> str:
    """The German texts of an answer (a list of bot messages) or of a refusal (its ``messages``)."""
    messages = body.get("messages", []) if isinstance(body, dict) else body
    return " ".join(m.get("text") or "" for m in messages or [])


def is_german(text: str) -> bool:
    return foreign_language(text) is None and any(w in GERMAN_ONLY for w in WORD.findall(text.lower()))


def new_sender() -> str:
    return f"hostile-{uuid.uuid4().hex[:12]}"


def assert_alive(stack) -> None:
    status, body = say(stack, new_sender(), "Hallo")
    assert status == 200 and "KommunalCampus" in bot_text(body), (status, body)


# --- refused before the dialogue: German reply, nothing stored ------------------------------------------

REFUSED_IN_GERMAN = [
    pytest.param("", 400, "Ihre Nachricht war leer", id="empty"),
    pytest.param("   \n\t  ", 400, "Ihre Nachricht war leer", id="whitespace-only"),
    pytest.param("\x00\x01\u202e\u2066", 400, "Ihre Nachricht war leer", id="only-control-characters"),
    pytest.param(("Verwaltung " * 2000)[:20_000], 413, "20000 Zeichen", id="20000-characters"),
    pytest.param("a" * 200_000, 413, "200000 Zeichen", id="200000-characters"),
    pytest.param(EMPLOYEE_COUNT_PAYLOAD, 400, TYPED_COMMAND, id="typed-intent-with-entity"),
    pytest.param("/delete_my_data", 400, TYPED_COMMAND, id="typed-delete-my-data"),
    pytest.param("/restart", 400, TYPED_COMMAND, id="typed-restart"),
]


@pytest.mark.parametrize(("message", "status", "german"), REFUSED_IN_GERMAN)
def test_refused_messages_get_a_german_reason_and_nothing_is_stored(stack, message, status, german):
    sender = new_sender()
    answer_status, body = say(stack, sender, message)
    assert answer_status == status, body
    assert german in bot_text(body), body
    assert isinstance(body, dict) and body["error"].isascii()  # the reason for the operator, in English
    assert stored_events(stack.tracker_db, sender) == []


def test_too_long_message_names_its_length_and_the_limit(stack):
    status, body = say(stack, new_sender(), "x" * 20_000)
    assert status == 413
    assert "20000 Zeichen" in bot_text(body) and "2000 Zeichen" in bot_text(body)


# --- malformed requests: clean 4xx for the operator, nothing stored ------------------------------------

JSON = "application/json"
MALFORMED = [
    pytest.param(b"{not json", JSON, 400, "not valid JSON", id="invalid-json"),
    pytest.param(b"\xff\xfe\x00", JSON, 400, "not valid JSON", id="invalid-utf8"),
    pytest.param(b'["Hallo"]', JSON, 400, "JSON object", id="json-array"),
    pytest.param(b'{"sender": "s-1", "message": 42}', JSON, 400, "'message'", id="number-message"),
    pytest.param(b'{"sender": "s-1", "message": null}', JSON, 400, "'message'", id="null-message"),
    pytest.param(b'{"sender": "s-1", "message": ["a"]}', JSON, 400, "'message'", id="list-message"),
    pytest.param(b'{"sender": "s-1"}', JSON, 400, "'message'", id="missing-message"),
    pytest.param(b'{"message": "Hallo"}', JSON, 400, "'sender'", id="missing-sender"),
    pytest.param(b'{"sender": 7, "message": "Hallo"}', JSON, 400, "'sender'", id="number-sender"),
    pytest.param(b'{"sender": "s-1", "message": "Hi"}', "text/plain", 415, "Content-Type", id="text-plain"),
    pytest.param(b"sender=s-1&message=Hallo", "application/x-www-form-urlencoded", 415, "Content-Type",
                 id="form-encoded"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "error"), MALFORMED)
def test_malformed_requests_get_a_clean_4xx_with_an_english_error(stack, body, content_type, status, error):
    answer_status, answer = rest(stack, body, content_type)
    assert answer_status == status, answer
    assert isinstance(answer, dict) and error in answer["error"]
    assert stored_events(stack.tracker_db, "s-1") == []


@pytest.mark.parametrize(
    "sender",
    [
        pytest.param("../../etc/passwd", id="path-traversal"),
        pytest.param("anna\r\nX-Injected: 1", id="newline"),
        pytest.param("s" * 10_000, id="10000-characters"),
        pytest.param("", id="empty"),
        pytest.param("anna bob", id="space"),
    ],
)
def test_sender_ids_that_are_not_ids_are_refused(stack, sender):
    status, body = say(stack, sender, "Hallo")
    assert status == 400 and "'sender'" in body["error"]
    assert stored_events(stack.tracker_db, sender) == []


def test_five_megabyte_body_is_refused_unread(stack):
    # The server answers 413 as soon as it sees the length, before the body, and closes the connection; a
    # client that sends the whole body first only sees the reset, so read the answer after the first chunk.
    sender = new_sender()
    body = json.dumps({"sender": sender, "message": "x" * 5_000_000}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", stack.config.ports["rasa"], timeout=30)
    try:
        connection.putrequest("POST", "/webhooks/rest/webhook")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body[:65_536])
        status = connection.getresponse().status
    finally:
        connection.close()
    assert status == 413
    assert stored_events(stack.tracker_db, sender) == []
    assert_alive(stack)


def test_streaming_is_refused(stack):
    body = json.dumps({"sender": new_sender(), "message": "Hallo"}).encode()
    status, body = rest(stack, body, query="?stream=true")
    assert status == 400 and "stream" in body["error"]


# --- odd but harmless text: answered in German, stored clean ------------------------------------------

ANSWERED = [
    pytest.param("🙂🙂🙂", id="emoji-only"),
    pytest.param("<script>alert('x')</script><img src=x onerror=alert(1)>", id="html-script"),
    pytest.param("Robert'); DROP TABLE events;--", id="sql-like"),
    pytest.param("{{7*7}} ${7*7} {name} {0} %s%s%s %n", id="template-and-format-strings"),
    pytest.param("42", id="bare-number"),
    pytest.param("Ich suche Kurse zu {role} und {{skill_gaps}}", id="placeholders-as-topic"),
]


@pytest.mark.parametrize("message", ANSWERED)
def test_odd_text_gets_a_german_answer_and_is_stored_as_sent(stack, message):
    sender = new_sender()
    status, body = say(stack, sender, message)
    assert status == 200, body
    text = bot_text(body)
    assert is_german(text), text
    if "7*7" in message:
        assert "49" not in text  # no template was evaluated
    assert stored_user_texts(stack.tracker_db, sender) == [message]


def test_sql_like_text_leaves_the_tracker_table_intact(stack):
    sender = new_sender()
    say(stack, sender, "Hallo")
    say(stack, new_sender(), "x'; DELETE FROM events WHERE '1'='1'; --")
    assert stored_user_texts(stack.tracker_db, sender) == ["Hallo"]


def test_control_and_direction_characters_are_removed_before_storing(stack):
    sender = new_sender()
    status, body = say(stack, sender, "Hallo\x00\x07 \u202eich suche Excel\u202c")
    assert status == 200 and bot_text(body)
    assert stored_user_texts(stack.tracker_db, sender) == ["Hallo ich suche Excel"]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("Здравствуйте! Какие курсы по делопроизводству у вас есть?", id="russian"),
        pytest.param("Good morning, I am looking for a training on public procurement law", id="english"),
        pytest.param("Merhaba, belediyede çalışıyorum ve Excel kursu arıyorum", id="turkish"),
        pytest.param("مرحبا، أعمل في البلدية وأبحث عن دورة تدريبية", id="arabic"),
    ],
)
def test_other_languages_get_a_german_answer_naming_the_language(stack, message):
    status, body = say(stack, new_sender(), message)
    assert status == 200
    assert ONLY_GERMAN in bot_text(body), body


def test_other_language_inside_the_profile_form_keeps_the_question(stack):
    sender = new_sender()
    say(stack, sender, "Ich suche eine Weiterbildung")
    status, body = say(stack, sender, "Sorry, I do not speak German, can you help me?")
    text = bot_text(body)
    assert ONLY_GERMAN in text and "Thema" in text  # the form asks its question again
    assert "Sorry" not in text  # the English sentence is not taken as a topic


# --- button payloads: only what the assistant offered --------------------------------------------------


def test_typed_commands_do_not_act_on_an_existing_conversation(stack):
    sender = new_sender()
    say(stack, sender, "Ich bin Kämmerin und suche eine Weiterbildung zu Haushaltsrecht")
    before = stored_events(stack.tracker_db, sender)
    for command in (EMPLOYEE_COUNT_PAYLOAD, "/delete_my_data", "  /delete_my_data  "):
        status, body = say(stack, sender, command)
        assert status == 400 and TYPED_COMMAND in bot_text(body)
    assert stored_events(stack.tracker_db, sender) == before  # nothing deleted, nothing added
    assert "Kämmerin" in json.dumps(before, ensure_ascii=False)


def test_offered_buttons_keep_working_over_rest(stack):
    sender = new_sender()
    status, body = say(stack, sender, "Hallo")
    payloads = [b["payload"] for m in body for b in m.get("buttons") or []]
    assert "/request_recommendations" in payloads
    status, body = say(stack, sender, "/request_recommendations")
    assert status == 200 and "Thema" in bot_text(body)
    status, body = say(stack, sender, "/ask_membership_cost")  # offered two messages ago, still shown
    assert status == 200 and "Beschäftigte" in bot_text(body)


def test_a_payload_offered_to_someone_else_is_refused(stack):
    anna, ben = new_sender(), new_sender()
    say(stack, anna, "Hallo")
    status, body = say(stack, ben, "/request_recommendations")
    assert status == 400 and TYPED_COMMAND in bot_text(body)
    assert stored_events(stack.tracker_db, ben) == []


# --- rate limit per sender on the REST channel ---------------------------------------------------------


def test_flooding_sender_gets_429_with_a_german_wait_and_nothing_is_stored(stack):
    sender = new_sender()
    for _ in range(60):  # KC_REST_RATE_LIMIT_SENDER default 60/60; refused messages count too
        say(stack, sender, " ")
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "Hallo"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 429
    assert int(refused.value.headers["Retry-After"]) >= 1
    body = json.loads(refused.value.read())
    assert "zu viele Nachrichten" in bot_text(body) and body["retry_after"] >= 1
    assert stored_events(stack.tracker_db, sender) == []
    assert_alive(stack)  # another sender is not affected


# --- the widget channel: typed text vs. buttons --------------------------------------------------------


def widget(stack, token: str, body: dict) -> tuple[int, object]:
    status, answer, _ = widget_request(
        stack.rasa_url, "webhook", body, token, origin=stack.widget_origin,
        headers={"X-Real-IP": f"198.51.100.{uuid.uuid4().int % 250 + 1}"},
    )
    return status, answer


def test_widget_typed_command_is_text_and_the_delete_control_still_works(stack):
    subject = f"pseudo-{uuid.uuid4().hex[:12]}"
    token = stack.issue_token(subject)
    status, body = widget(stack, token, {"message": "Ich bin im Bürgeramt und brauche Excel"})
    assert status == 200
    status, body = widget(stack, token, {"message": "/delete_my_data"})
    assert status == 400 and TYPED_COMMAND in bot_text(body)
    assert "Bürgeramt" in json.dumps(stored_events(stack.tracker_db, subject), ensure_ascii=False)
    status, body = widget(stack, token, {"payload": "/delete_my_data"})  # the toolbar control
    assert status == 200 and "gelöscht" in bot_text(body)
    assert "Bürgeramt" not in json.dumps(stored_events(stack.tracker_db, subject), ensure_ascii=False)


def test_widget_button_payloads_must_have_been_offered(stack):
    subject = f"pseudo-{uuid.uuid4().hex[:12]}"
    token = stack.issue_token(subject)
    status, body = widget(stack, token, {"payload": EMPLOYEE_COUNT_PAYLOAD})
    assert status == 400 and TYPED_COMMAND in bot_text(body)
    status, body = widget(stack, token, {"message": "Hallo"})
    offered = [b["payload"] for m in body["messages"] for b in m.get("buttons") or []]
    assert "/request_recommendations" in offered
    status, body = widget(stack, token, {"payload": "/request_recommendations"})
    assert status == 200 and "Thema" in bot_text(body)
    assert stored_user_texts(stack.tracker_db, subject) == ["Hallo", "/request_recommendations"]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param({"message": "a" * 200_000}, 413, "200000 Zeichen", id="200000-characters"),
        pytest.param({"message": "\u202e\x00"}, 400, "leer", id="only-control-characters"),
        pytest.param({"message": "Hallo", "payload": "/greet"}, 400, "either", id="message-and-payload"),
        pytest.param({"payload": 5}, 400, "either", id="number-payload"),
    ],
)
def test_widget_refusals(stack, body, status, expected):
    subject = f"pseudo-{uuid.uuid4().hex[:12]}"
    answer_status, answer = widget(stack, stack.issue_token(subject), body)
    assert answer_status == status, answer
    assert expected in (bot_text(answer) or answer["error"])
    assert stored_events(stack.tracker_db, subject) == []


# --- afterwards -------------------------------------------------------------------------------------------


def test_server_still_answers_and_the_tracker_table_is_intact(stack):
    assert_alive(stack)
    with sqlite3.connect(stack.tracker_db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0
