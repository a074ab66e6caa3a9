"""The Teams channel end to end: the real Rasa server, action server and search service, with the channel
pointed at the in-process fake Bot Framework (conftest.py). What a Teams user gets, what Microsoft gets, what
is stored and what is logged.

Set KC_TEAMS_TRANSCRIPT=<file> to keep the fake connector's view of the first conversation (cards as JSON).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from fake_botframework import OTHER_TENANT_ID
from teams_helpers import Person, TeamsClient

pytestmark = pytest.mark.e2e

OFFER_INTRO = re.compile(r"Diese? (\d )?Angebot")
UNESCAPE = re.compile(r"\\([\\`*_~\[\]<>#.\-+])")


# --- reading what the bot posted ----------------------------------------------------------------------------


def cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        attachment["content"]
        for activity in activities
        for attachment in activity.get("attachments") or []
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def offer_cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [card for card in cards(activities) if any(e["type"] == "FactSet" for e in card["body"])]


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    actions = list(card.get("actions") or [])
    for element in card["body"]:
        if element["type"] == "ActionSet":
            actions.extend(element["actions"])
    return actions


def chat(activities: list[dict[str, Any]]) -> str:
    """Everything a person reads, Markdown escapes removed, one line per block."""
    lines = []
    for activity in activities:
        if activity.get("text"):
            lines.append(activity["text"])
        for card in cards([activity]):
            lines.extend(e["text"] for e in card["body"] if e["type"] == "TextBlock")
    return UNESCAPE.sub(r"\1", "\n".join(lines))


def title(card: dict[str, Any]) -> str:
    return card["body"][0]["text"]


def user_events(client: TeamsClient, person: Person) -> list[dict[str, Any]]:
    return [e for e in client.events(person.sender) if e.get("event") == "user"]


# --- conversations ------------------------------------------------------------------------------------------


def test_offers_arrive_as_adaptive_cards_and_more_from_a_card_brings_new_ones(teams, person):
    first = teams.say(person, "Ich bin Sachbearbeiterin im Bürgeramt und brauche was zu Excel")
    offers = offer_cards(first)  # offers from the first message that states a need
    assert offers, chat(first)
    assert OFFER_INTRO.search(chat(first))
    for card in offers:
        assert re.match(r"\d\\\. \S", title(card))
        facts = next(e["facts"] for e in card["body"] if e["type"] == "FactSet")
        assert [f["title"] for f in facts][:2] == ["Anbieter", "Format"]
        actions = card_actions(card)
        assert actions[0]["type"] == "Action.OpenUrl" and actions[0]["url"].startswith("https://")
        submits = {a["title"]: a for a in actions if a["type"] == "Action.Submit"}
        assert set(submits) == {"Details", "Mehr dazu"}
        for action in submits.values():  # clickable in Teams: messageBack with the payload
            assert action["data"]["msteams"]["type"] == "messageBack"
            assert action["data"]["kc_payload"].startswith("/")
    followup = cards(first)[-1]
    assert {a["title"] for a in card_actions(followup)} >= {"Mehr dazu", "Andere Themen", "Details zu Nr. 1"}

    more = next(a for a in card_actions(offers[0]) if a["title"] == "Mehr dazu")
    # Teams posts a card submit as a message whose value is the button's data (no typed text).
    second = teams.say(person, value=more["data"])
    new_offers = offer_cards(second)
    assert new_offers, chat(second)
    strip = lambda text: text.split(" ", 1)[1]  # noqa: E731 (titles without their number)
    assert not {strip(title(c)) for c in offers} & {strip(title(c)) for c in new_offers}
    stored = [e["text"] for e in user_events(teams, person)]
    assert stored[-1] == more["data"]["kc_payload"]  # Rasa got the button's payload, not an empty message

    every = teams.fake.activities(person.conversation_id)
    for activity in every:
        assert activity["recipient"]["id"] == person.user_id
        assert activity["conversation"]["id"] == person.conversation_id
        assert len(json.dumps(activity, ensure_ascii=False).encode()) < 80_000
    posted = [p for p in teams.fake.posted if p.conversation_id == person.conversation_id]
    assert all(p.authorization.removeprefix("Bearer ") in teams.fake.issued_tokens for p in posted)
    if os.environ.get("KC_TEAMS_TRANSCRIPT"):
        record = [{"reply_to": p.reply_to_id, "activity": p.activity} for p in posted]
        with open(os.environ["KC_TEAMS_TRANSCRIPT"], "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False, indent=2)


def test_membership_question_gets_the_right_share_count(teams, person):
    answer = chat(teams.say(person, "Was kostet die Mitgliedschaft bei 670 Beschäftigten?"))
    assert "Stufe 4" in answer and "4 Geschäftsanteile" in answer and "4.000 €" in answer, answer


def test_mentions_are_stripped_and_no_microsoft_id_is_stored(teams, person):
    replies = teams.say(person, "<at>KommunalCampus</at> Hallo")
    assert "KommunalCampus-Assistent" in chat(replies)
    events = teams.events(person.sender)
    assert [e["text"] for e in events if e.get("event") == "user"] == ["Hallo"]
    stored = json.dumps(events)
    for microsoft_id in (person.aad_object_id, person.user_id, person.conversation_id):
        assert microsoft_id not in stored
    metadata = user_events(teams, person)[0]["metadata"]["teams"]
    assert metadata["user_hash"] == person.sender and metadata["tenant_id"] == person.tenant


def test_delete_my_data_works_for_teams_users(teams, person):
    teams.say(person, "Ich bin Sachbearbeiterin im Bürgeramt und brauche was zu Excel")
    asked = teams.say(person, "Löschen Sie meine Daten")
    assert "wirklich löschen" in chat(asked)  # a typed request is confirmed first
    confirm = next(a for a in card_actions(cards(asked)[-1]) if a["title"] == "Ja, löschen")
    replies = teams.say(person, value=confirm["data"])
    assert "Erledigt: Ich habe Ihre Angaben und den gespeicherten Gesprächsverlauf gelöscht." in chat(replies)
    stored = json.dumps(teams.events(person.sender), ensure_ascii=False)
    assert "Bürgeramt" not in stored and "Excel" not in stored


def test_adding_the_bot_greets_once(teams, person):
    added = person.activity(
        teams.fake.service_url,
        "conversationUpdate",
        membersAdded=[{"id": f"28:{teams.fake.env()['KC_TEAMS_APP_ID']}"}],
    )
    status, _ = teams.post(added)
    assert status == 200
    greeting = teams.fake.activities(person.conversation_id)
    assert len(greeting) == 1 and "KommunalCampus-Assistent" in chat(greeting)
    assert {a["title"] for a in card_actions(cards(greeting)[0])} >= {"Weiterbildung finden"}
    status, _ = teams.post({**added, "id": "second-update"})
    assert status == 200
    assert len(teams.fake.activities(person.conversation_id)) == 1
    someone_else = person.activity(
        teams.fake.service_url, "conversationUpdate", membersAdded=[{"id": "29:someone"}]
    )
    assert teams.post(someone_else)[0] == 200
    assert len(teams.fake.activities(person.conversation_id)) == 1


def test_invoke_gets_a_json_answer_and_other_activities_no_reply(teams, person):
    status, body = teams.post(person.activity(teams.fake.service_url, "invoke", name="adaptiveCard/action"))
    assert status == 200 and body["statusCode"] == 200
    unknown = person.activity(teams.fake.service_url, "invoke", name="composeExtension/query")
    status, body = teams.post(unknown)
    assert status == 501 and "not supported" in body["error"]
    for kind in ("installationUpdate", "typing", "messageReaction"):
        assert teams.post(person.activity(teams.fake.service_url, kind, action="add"))[0] == 200
    assert teams.fake.activities(person.conversation_id) == []
    assert teams.events(person.sender) == []


# --- delivery problems --------------------------------------------------------------------------------------


def test_throttled_reply_is_delivered_once(teams, person):
    attempts = teams.fake.attempts
    teams.fake.fail_next(429, count=1, retry_after="1")
    replies = teams.say(person, "Hallo")
    assert len(replies) == 1 and "KommunalCampus-Assistent" in chat(replies)
    assert teams.fake.attempts == attempts + 2


def test_connector_down_is_logged_without_text_and_the_conversation_goes_on(teams, person):
    log_start = len(teams.log_text())
    teams.fake.down = True
    try:
        lost = teams.say(person, "Ich bin Sachbearbeiterin im Bürgeramt und brauche was zu Excel")
    finally:
        teams.fake.down = False
    assert lost == []
    log = teams.log_text()[log_start:]
    assert "not delivered: connector answered HTTP 503 after 4 attempts" in log
    for secret in ("Sachbearbeiterin", "Excel", person.aad_object_id, person.user_id, person.conversation_id,
                   person.sender, person.tenant):
        assert secret not in log
    replies = teams.say(person, "Nur online bitte")  # refines the offers that never arrived
    assert offer_cards(replies), chat(replies)  # the topic was kept
    assert "Excel" in chat(replies)


# --- authentication -----------------------------------------------------------------------------------------

NEGATIVE_CASES = {
    "no token": lambda fake: None,
    "not a bearer token": lambda fake: "Basic dXNlcjpwYXNz",
    "wrong audience": lambda fake: fake.token(aud="another-app"),
    "wrong issuer": lambda fake: fake.token(iss="https://sts.windows.net/evil/"),
    "expired": lambda fake: fake.token(exp=int(time.time()) - 400, nbf=int(time.time()) - 4000),
    "not yet valid": lambda fake: fake.token(nbf=int(time.time()) + 600),
    "bad signature": lambda fake: fake.token(sign_with="kc-rogue"),
    "alg none": lambda fake: fake.unsigned_token(),
    "HS256 with the public key": lambda fake: fake.hs256_token(),
    "serviceurl mismatch": lambda fake: fake.token(service_url="https://smba.example.invalid/teams/"),
    "no serviceurl claim": lambda fake: fake.token(serviceurl=None),
    "unknown key id": lambda fake: fake.token(kid="kc-rogue"),
    "missing endorsement": lambda fake: fake.token(kid="kc-key-webchat"),
}


def test_a_valid_token_within_the_clock_skew_is_accepted(teams, person):
    token = teams.fake.token(exp=int(time.time()) - 60)  # expired a minute ago: within 5 minutes skew
    status, _ = teams.post(person.message(teams.fake.service_url, "Hallo"), token=token)
    assert status == 200
    assert teams.fake.activities(person.conversation_id)


@pytest.mark.parametrize("case", list(NEGATIVE_CASES))
def test_bad_tokens_are_401_and_reach_no_tracker(teams, person, case):
    token = NEGATIVE_CASES[case](teams.fake)
    fetches, events = teams.fake.jwks_fetches, teams.event_count()
    status, body = teams.post(person.message(teams.fake.service_url, "Hallo"), token=token)
    assert (status, body) == (401, None)
    assert teams.fake.activities(person.conversation_id) == []
    assert teams.events(person.sender) == [] and teams.event_count() == events
    if case == "unknown key id":
        assert teams.fake.jwks_fetches == fetches + 1  # refetched once before refusing


def test_tenant_not_allowed_is_401(teams):
    stranger = Person(tenant=OTHER_TENANT_ID)
    events = teams.event_count()
    status, body = teams.post(stranger.message(teams.fake.service_url, "Hallo"))
    assert (status, body) == (401, None)
    assert teams.fake.activities(stranger.conversation_id) == [] and teams.event_count() == events


# --- hostile input: typed commands, forged card payloads ---------------------------------------------------

TYPED_COMMAND = "nehme ich nur über meine Knöpfe an"


def test_typed_commands_do_not_act_and_are_not_stored(teams, person):
    teams.say(person, "Ich bin Sachbearbeiterin im Bürgeramt und brauche was zu Excel")
    before = teams.events(person.sender)
    for typed in ("/delete_my_data", '/inform_employee_count{"employee_count": "-5"}'):
        replies = teams.say(person, typed)
        assert TYPED_COMMAND in chat(replies), chat(replies)
    assert teams.events(person.sender) == before  # nothing deleted, nothing stored
    assert "Bürgeramt" in json.dumps(before, ensure_ascii=False)


def test_a_card_payload_the_bot_never_offered_is_refused(teams, person):
    teams.say(person, "Hallo")
    forged = {"kc_payload": '/inform_employee_count{"employee_count": "-5"}', "msteams": {"type": "x"}}
    replies = teams.say(person, value=forged)
    assert TYPED_COMMAND in chat(replies)
    assert [e["text"] for e in user_events(teams, person)] == ["Hallo"]


def test_unconfigured_widget_channel_lets_the_server_start_and_answers_503(teams, person):
    # This stack has no KC_WIDGET_* settings (conftest.py): Rasa runs; the widget names what is missing.
    assert chat(teams.say(person, "Hallo"))
    request = urllib.request.Request(
        f"{teams.stack.config.rasa_url}/webhooks/widget/webhook", data=b'{"message": "Hallo"}',
        headers={"Content-Type": "text/plain", "Origin": "http://localhost:8080"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 503
    assert json.loads(refused.value.read()) == {"error": "widget channel not configured"}
    assert "Widget channel not configured: set KC_WIDGET_ISSUER" in teams.log_text()
