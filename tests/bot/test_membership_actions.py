"""Membership actions on hand-built trackers: form validation (two-step question), answer, unknown topics."""

from __future__ import annotations

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

from bot.actions.membership import ActionMembershipCost, ActionMembershipUnknown, ValidateMembershipForm

DOMAIN = load_domain("membership.yml")
ASKED = {"requested_slot": "employee_count"}


async def _validate(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateMembershipForm().run(dispatcher, tracker, DOMAIN)
    return slot_events(events), responses(dispatcher)


IN_FORM = {"slots": ASKED, "active_loop": "membership_form"}


@pytest.mark.parametrize(
    ("text", "intent", "context", "count"),
    [
        pytest.param("ca. 300", "inform_employee_count", IN_FORM, 300, id="answer to the question"),
        pytest.param(
            "also wir sind etwa 1.850 Beschäftigte",
            "inform_role",
            IN_FORM,
            1850,
            id="number read from the text when the NLU missed the entity",
        ),
        pytest.param(
            "Was kostet es bei zweitausend Leuten?",
            "ask_membership_cost",
            {"entities": [{"entity": "employee_count", "value": "zweitausend", "start": 20, "end": 31}]},
            2000,
            id="entity value",
        ),
    ],
)
@pytest.mark.asyncio
async def test_the_count_is_taken_without_asking_again(text, intent, context, count):
    slots, said = await _validate(make_tracker(text, intent, **context))
    assert slots["employee_count"] == count
    assert said == []


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("viele", "utter_membership_count_invalid"),
        ("keine Ahnung, so einige", "utter_membership_count_invalid"),
        ("0", "utter_membership_count_not_positive"),
        ("-12", "utter_membership_count_not_positive"),
    ],
)
@pytest.mark.asyncio
async def test_nonsense_answer_is_refused_and_asked_again(text, response):
    tracker = make_tracker(text, "inform_employee_count", slots=ASKED, active_loop="membership_form")
    slots, said = await _validate(tracker)
    assert slots["employee_count"] is None  # the form asks "Wie viele Beschäftigte ...?" again
    assert said == [response]


@pytest.mark.parametrize(
    ("text", "intent", "context"),
    [
        # the slot stays empty, so the form asks "Wie viele Beschäftigte ...?"
        pytest.param(
            "Was kostet die Mitgliedschaft?", "ask_membership_cost", {}, id="question without a number"
        ),
        # the form rejects it, the handoff rule takes over
        pytest.param(
            "Ich möchte mit einem Menschen sprechen", "request_human", IN_FORM, id="request for a human"
        ),
    ],
)
@pytest.mark.asyncio
async def test_no_count_is_taken_from_a_message_without_one(text, intent, context):
    slots, said = await _validate(make_tracker(text, intent, **context))
    assert "employee_count" not in slots
    assert said == []


def test_cost_answer_has_tier_shares_and_total():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("670", "inform_employee_count", slots={"employee_count": 670})
    events = ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_membership_cost"
    assert (message["count"], message["stage"], message["shares"], message["total"]) == ("670", 4, 4, "4.000")
    assert message["range_label"] == "501–1.000 Beschäftigte"
    assert slot_events(events) == {"employee_count": None}  # the next cost question asks again


def test_cost_answer_for_one_share_is_singular():
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(
        dispatcher, make_tracker("50", "inform_employee_count", slots={"employee_count": 50}), DOMAIN
    )
    assert responses(dispatcher) == ["utter_membership_cost_single"]


def test_cost_action_reads_the_latest_message_when_the_slot_is_empty():
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, make_tracker("Und bei 2001?", "inform_employee_count"), DOMAIN)
    assert dispatcher.messages[0]["stage"] == 6


def test_cost_action_asks_when_there_is_no_number():
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, make_tracker("Was kostet das?", "ask_membership_cost"), DOMAIN)
    assert responses(dispatcher) == ["utter_ask_employee_count"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Wie lange ist die Kündigungsfrist?", "zu Kündigung und Kündigungsfristen"),
        ("Wer ist schon Mitglied?", "zur aktuellen Mitgliederliste"),
    ],
)
def test_unknown_topic_is_named(text, label):
    dispatcher = CollectingDispatcher()
    ActionMembershipUnknown().run(dispatcher, make_tracker(text, "membership_unknown"), DOMAIN)
    assert responses(dispatcher) == ["utter_membership_unknown_topic"]
    assert dispatcher.messages[0]["topic"] == label


def test_unknown_without_recognised_topic_gets_the_generic_answer():
    dispatcher = CollectingDispatcher()
    ActionMembershipUnknown().run(
        dispatcher, make_tracker("Wie ist die Registernummer?", "membership_unknown"), DOMAIN
    )
    assert responses(dispatcher) == ["utter_membership_unknown"]


@pytest.mark.parametrize(
    "text",
    [
        "Was kostet ein Geschäftsanteil?",
        "Und was kostet ein einzelner Anteil?",
        "Preis pro Anteil?",
        # set 14 (EE-011): asked for the number of employees instead of saying 1.000 €
        "Was kostet bei euch eigentlich so ein Genossenschaftsanteil? Unser Kämmerer hat mal was erwähnt.",
    ],
)
@pytest.mark.asyncio
async def test_price_of_one_share_needs_no_employee_count(text):
    tracker = make_tracker(text, "ask_membership_cost")
    slots, said = await _validate(tracker)
    assert slots.get("requested_slot", "unset") is None  # the form ends at once: nothing to ask
    assert said == []
    dispatcher = CollectingDispatcher()
    events = ActionMembershipCost().run(dispatcher, make_tracker(text, "ask_membership_cost"), DOMAIN)
    assert responses(dispatcher) == ["utter_membership_share_price"]
    assert dispatcher.messages[0]["price"] == "1.000"
    assert slot_events(events) == {"employee_count": None}


@pytest.mark.asyncio
async def test_what_membership_costs_still_asks_for_the_number():
    tracker = make_tracker("Was kostet die Mitgliedschaft?", "ask_membership_cost")
    slots, _ = await _validate(tracker)
    assert "requested_slot" not in slots  # the form goes on and asks for the number
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_ask_employee_count"]


def _after_a_cost_answer() -> list[dict]:
    """History: "wir haben genau 50 Beschäftigte" answered by the calculator."""
    return [
        user_event("Mitgliedschaft: wir haben genau 50 Beschäftigte. Wie viele?", "ask_membership_cost"),
        {"event": "action", "name": "membership_form"},
        {"event": "action", "name": "action_membership_cost"},
        bot_event("Bei 50 Beschäftigten zeichnet Ihre Kommune 1 Geschäftsanteil (1.000 €)."),
        {"event": "action", "name": "action_listen"},
    ]


@pytest.mark.parametrize(
    ("text", "shares"),
    [
        ("Und wenn zum 1.1. eine Stelle dazukommt, also 51?", 2),
        ("Und wenn's 2001 sind? Wir kratzen da an der Grenze", 6),
    ],
)
def test_another_count_right_after_a_cost_answer_gets_its_tier_not_the_unknown_answer(text, shares):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, "membership_unknown", history=_after_a_cost_answer())
    events = ActionMembershipUnknown().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_membership_cost"]
    assert dispatcher.messages[0]["shares"] == shares
    # No "Soll ich Ihre Frage an das Support-Team weitergeben?" after a real answer.
    assert [e["name"] for e in events if e["event"] == "followup"] == ["action_listen"]


def test_unknown_topic_after_a_cost_answer_is_still_unknown():
    dispatcher = CollectingDispatcher()
    text = "Und wie lange ist die Kündigungsfrist bei 51?"
    tracker = make_tracker(text, "membership_unknown", history=_after_a_cost_answer())
    events = ActionMembershipUnknown().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_membership_unknown_topic"]
    assert not [e for e in events if e.get("event") == "followup"]


def test_a_number_without_a_cost_answer_before_it_is_no_employee_count():
    dispatcher = CollectingDispatcher()
    ActionMembershipUnknown().run(
        dispatcher, make_tracker("Sind schon über 100 Kommunen dabei?", "membership_unknown"), DOMAIN
    )
    assert responses(dispatcher) == ["utter_membership_unknown"]


@pytest.mark.parametrize(
    "text",
    [
        "Ist das ein jährlicher Betrag oder einmalig?",
        "Muss das jedes Jahr neu gezahlt werden?",
        # sets 14 (EC-003) and 13 (DD-009): in dialect, they got the bare "Das weiß ich nicht"
        "Un da kommt jeds Jahr nochmal was drauf oder wie? Irschendwo muss des Geld ja herkommn.",
        "Kommet do no Koschte für Personal oder Betrieb auf ons zu?",
    ],
)
def test_annual_fees_are_unknown_but_the_one_off_shares_are_said_first(text):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, "membership_unknown")
    ActionMembershipUnknown().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_membership_unknown_topic_known"]
    message = dispatcher.messages[0]
    assert "einmalige Einlage von 1.000 €" in message["known"]
    assert message["topic"] == "zu jährlichen Beiträgen oder laufenden Gebühren"
    template = DOMAIN["responses"]["utter_membership_unknown_topic_known"][0]["text"]
    assert "{known}" in template and "{topic}" in template


@pytest.mark.parametrize(
    ("text", "shares", "stage", "total"),
    [
        ("Und ab wann wären es sechs Anteile?", 6, 6, "6.000"),
        ("Ab wie vielen Mitarbeitern braucht man 3 Geschäftsanteile?", 3, 3, "3.000"),
    ],
)
@pytest.mark.asyncio
async def test_the_head_count_range_of_a_number_of_shares_needs_no_count(text, shares, stage, total):
    tracker = make_tracker(text, "ask_membership_cost")
    slots, said = await _validate(tracker)
    assert slots.get("requested_slot", "unset") is None and said == []
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_membership_tier_for_shares"
    assert (message["shares"], message["stage"], message["total"]) == (shares, stage, total)


def test_a_number_of_shares_no_tier_has_is_explained():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Ab wann sind es 8 Anteile?", "ask_membership_cost")
    ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_membership_no_such_tier"]
    assert dispatcher.messages[0]["highest"] == 6


@pytest.mark.asyncio
async def test_two_compared_head_counts_get_two_answers():
    text = "Wir haben 250 Beschäftigte, die Nachbargemeinde hat 251. Zahlen wir da unterschiedlich viel?"
    tracker = make_tracker(text, "ask_membership_cost")
    slots, said = await _validate(tracker)
    assert slots.get("requested_slot", "unset") is None and said == []
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    assert [(m["count"], m["shares"], m["total"]) for m in dispatcher.messages] == [
        ("250", 2, "2.000"),
        ("251", 3, "3.000"),
    ]


@pytest.mark.parametrize(
    ("text", "count", "shares"),
    [
        # a year and a bound that restate the count are no second count (both ended the form without answer)
        ("Wir haben exakt 500 Beschäftigte, Stand Stellenplan 2024.", "500", 3),
        ("wir sind zweitausendeins Leute, also gerade so über zweitausend 😅", "2.001", 6),
        ("Wir haben laut Stellenplan zweitausendeins Beschäftigte. Wie viel Eigenkapital?", "2.001", 6),
        # a change of the count next to it is no count
        ("Und wenn wir bis dahin 52 sind? Da kommen noch zwei Stellen dazu.", "52", 2),
        ("Wir haben 480 Leute, nächstes Jahr kommen 25 dazu", "480", 3),
    ],
)
def test_a_year_or_a_bound_next_to_the_head_count_is_no_second_count(text, count, shares):
    dispatcher = CollectingDispatcher()
    ActionMembershipCost().run(dispatcher, make_tracker(text, "inform_employee_count"), DOMAIN)
    assert [(m["count"], m["shares"]) for m in dispatcher.messages] == [(count, shares)]


def test_a_small_number_next_to_the_head_count_is_no_second_count():
    dispatcher = CollectingDispatcher()
    text = "Wir haben 2 Standorte mit 300 Beschäftigten, was kostet das?"
    tracker = make_tracker(text, "ask_membership_cost")
    ActionMembershipCost().run(dispatcher, tracker, DOMAIN)
    assert [(m["count"], m["shares"]) for m in dispatcher.messages] == [("300", 3)]


@pytest.mark.asyncio
async def test_a_follow_up_question_uses_the_head_count_given_earlier():
    earlier = user_event(
        "Wir sind eine Gemeinde mit 230 Beschäftigten. Wie läuft so ein Beitritt ab?", "membership_faq"
    )
    tracker = make_tracker(
        "und wie viele anteile wären das bei uns?", "ask_membership_cost", history=[earlier]
    )
    slots, said = await _validate(tracker)
    assert slots.get("employee_count") == 230 and said == []


@pytest.mark.asyncio
async def test_a_follow_up_question_uses_the_count_of_the_latest_calculation():
    # "… sind wir 51. Was dann?" names no word for staff, but it was calculated: that count, not the 50 before
    earlier = user_event("Wir sind genau 50 Leute. Wie viele Anteile?", "ask_membership_cost")
    calculated = {
        "event": "bot",
        "text": "Bei 51 Beschäftigten gilt Stufe 2 …",
        "metadata": {"utter_action": "utter_membership_cost", "count": "51"},
    }
    tracker = make_tracker(
        "und wie viele anteile wären das dann genau?", "ask_membership_cost", history=[earlier, calculated]
    )
    slots, said = await _validate(tracker)
    assert slots.get("employee_count") == 51 and said == []
