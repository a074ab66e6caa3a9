"""Handoff form and storing of support requests on hand-built trackers."""

from __future__ import annotations

import re

import pytest
from membership_support_helpers import (
    bot_event,
    load_domain,
    make_tracker,
    responses,
    slot_events,
    user_event,
)
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.handoff import (
    ActionStoreSupportRequest,
    ValidateHandoffForm,
    delete_support_data,
    find_question,
    last_turns,
    parse_contact,
)
from bot.support.store import SupportStore

DOMAIN = load_domain("handoff.yml")
HISTORY = [
    user_event("Hallo", "greet"),
    bot_event("Hallo! Ich bin der KommunalCampus-Assistent."),
    user_event("Was kostet die Mitgliedschaft bei 670 Beschäftigten?", "ask_membership_cost"),
    bot_event("Bei 670 Beschäftigten gilt Stufe 4 ..."),
    user_event("Wie lange ist die Kündigungsfrist?", "membership_unknown"),
    bot_event("Das weiß ich leider nicht."),
    bot_event("Soll ich Ihre Frage an das Support-Team weitergeben?"),
    user_event("ja", "affirm"),
    {"event": "active_loop", "name": "handoff_form"},
    bot_event("Dafür speichere ich Ihre Frage ... Sind Sie damit einverstanden?"),
]


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "support.db"
    monkeypatch.setenv("KC_SUPPORT_DB", str(path))
    return path


def test_question_is_the_latest_substantive_message():
    assert find_question(HISTORY) == "Wie lange ist die Kündigungsfrist?"


def test_bare_request_for_a_human_is_not_a_question():
    assert find_question([user_event("Mensch bitte", "request_human")]) is None


def test_last_turns_stop_at_the_handoff_and_keep_six():
    turns = last_turns(HISTORY + [user_event("ja", "affirm")])
    assert len(turns) == 6
    assert turns[-1] == {"role": "user", "text": "ja"}
    assert all("einverstanden" not in t["text"] for t in turns)


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("erika.muster@landau.de", "inform_role", "erika.muster@landau.de"),
        ("Sie erreichen mich unter 06341 13-1234", "inform_role", "06341 13-1234"),
        ("überspringen", "skip", "-"),
        ("nein danke", "deny", "-"),
        ("morgen vielleicht", "inform_role", None),
    ],
)
def test_contact_parsing(text, intent, expected):
    assert parse_contact(intent, text) == expected


REQUIRED = ["handoff_consent", "handoff_question", "handoff_contact"]


async def _run_validation(tracker):
    """Slots set by the validation action, plus `asked`: the slot the form will request next."""
    dispatcher = CollectingDispatcher()
    events = await ValidateHandoffForm().run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    if "requested_slot" in slots:  # the action decided (custom required slots)
        slots["asked"] = slots["requested_slot"]
    else:  # Rasa requests the first empty required slot of the domain
        merged = {**tracker.slots, **slots}
        slots["asked"] = next((name for name in REQUIRED if merged.get(name) is None), None)
    return slots, responses(dispatcher)


IN_FORM = {"active_loop": "handoff_form"}
ASKING_CONSENT = {"requested_slot": "handoff_consent", "handoff_question": "Kündigungsfrist?"}
ASKING_CONTACT = {**ASKING_CONSENT, "requested_slot": "handoff_contact", "handoff_consent": True}


@pytest.mark.parametrize(
    ("text", "intent", "context", "expected", "said"),
    [
        pytest.param(
            "ja",
            "affirm",
            {"history": HISTORY[:7]},
            {"handoff_question": "Wie lange ist die Kündigungsfrist?", "asked": "handoff_consent"},
            None,
            id="activation takes the question from the conversation",
        ),
        pytest.param(
            "ja, einverstanden",
            "affirm",
            {**IN_FORM, "slots": ASKING_CONSENT},
            {"handoff_consent": True, "asked": "handoff_contact"},
            None,
            id="consent, then the contact is asked",
        ),
        pytest.param(
            "nein",
            "deny",
            {**IN_FORM, "slots": ASKING_CONSENT},
            {"handoff_consent": False, "asked": None},
            None,
            id="no consent ends the form without asking more",
        ),
        pytest.param(
            "hm, wofür?",
            "out_of_scope",
            {**IN_FORM, "slots": ASKING_CONSENT},
            {"asked": "handoff_consent"},
            ["utter_handoff_consent_unclear"],
            id="unclear consent is asked again",
        ),
        pytest.param(
            "Und noch etwas: Bitte löschen Sie anschließend meine Daten aus diesem Chat.",
            "delete_my_data",
            {**IN_FORM, "slots": ASKING_CONSENT},
            {"asked": "handoff_consent"},
            [],
            id="a deletion request is no answer to the consent question (a rule starts the deletion)",
        ),
        pytest.param(
            "Löschen Sie bitte alles, was Sie über mich gespeichert haben",
            "delete_my_data",
            {**IN_FORM, "slots": ASKING_CONTACT},
            {"asked": "handoff_contact"},
            [],
            id="a deletion request is no contact (a rule starts the deletion)",
        ),
        pytest.param(
            "ja",
            "affirm",
            {
                **IN_FORM,
                "slots": {"requested_slot": "handoff_consent"},
                "history": [user_event("Mensch bitte", "request_human")],
            },
            {"asked": "handoff_question"},
            None,
            id="the question is asked when none is known",
        ),
    ],
)
@pytest.mark.asyncio
async def test_form_takes_and_asks_what_it_needs(text, intent, context, expected, said):
    slots, uttered = await _run_validation(make_tracker(text, intent, **context))
    assert {name: slots[name] for name in expected} == expected
    if intent == "delete_my_data":
        assert "handoff_consent" not in slots and "handoff_contact" not in slots
    if said is not None:
        assert uttered == said


def test_store_with_consent_gives_a_reference_number(db):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "überspringen",
        "skip",
        history=HISTORY,
        sender_id="conv-1",
        slots={
            "handoff_consent": True,
            "handoff_question": "Wie lange ist die Kündigungsfrist?",
            "handoff_contact": "-",
        },
    )
    events = ActionStoreSupportRequest().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_handoff_stored"
    assert re.fullmatch(r"KC-\d{4}-\d{6}", message["reference"])
    stored = SupportStore(db).get(message["reference"])
    assert stored.question == "Wie lange ist die Kündigungsfrist?"
    assert stored.contact is None
    assert stored.status == "open"
    assert {"role": "user", "text": "Wie lange ist die Kündigungsfrist?"} in stored.transcript
    assert slot_events(events) == {"handoff_consent": None, "handoff_question": None, "handoff_contact": None}
    assert delete_support_data("conv-1") == 1
    assert SupportStore(db).get(message["reference"]) is None


def test_store_with_contact_mentions_it(db):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "a@b.de",
        "inform_role",
        history=HISTORY,
        slots={"handoff_consent": True, "handoff_question": "Frage", "handoff_contact": "a@b.de"},
    )
    ActionStoreSupportRequest().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_handoff_stored_with_contact"]
    assert SupportStore(db).list()[0].contact == "a@b.de"


def test_nothing_is_stored_without_consent(db):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "nein",
        "deny",
        history=HISTORY,
        slots={"handoff_consent": False, "handoff_question": "Wie lange ist die Kündigungsfrist?"},
    )
    ActionStoreSupportRequest().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_handoff_not_stored"]
    assert SupportStore(db).list(include_closed=True) == []


def test_broken_store_still_answers(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("KC_SUPPORT_DB", str(blocker / "support.db"))
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ja", "affirm", slots={"handoff_consent": True, "handoff_question": "Frage"})
    ActionStoreSupportRequest().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_handoff_store_failed"]
