"""Membership actions on hand-built trackers: form validation (two-step question), answer, unknown topics."""

from __future__ import annotations

import pytest
from membership_support_helpers import load_domain, make_tracker, responses, slot_events
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.membership import ActionMembershipCost, ActionMembershipUnknown, ValidateMembershipForm

DOMAIN = load_domain("membership.yml")
ASKED = {"requested_slot": "employee_count"}


async def _validate(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateMembershipForm().run(dispatcher, tracker, DOMAIN)
    return slot_events(events), responses(dispatcher)


@pytest.mark.asyncio
async def test_answer_to_the_question_fills_the_count():
    tracker = make_tracker("ca. 300", "inform_employee_count", slots=ASKED, active_loop="membership_form")
    slots, said = await _validate(tracker)
    assert slots["employee_count"] == 300
    assert said == []


@pytest.mark.asyncio
async def test_number_is_read_from_the_text_when_nlu_missed_the_entity():
    tracker = make_tracker(
        "also wir sind etwa 1.850 Beschäftigte", "inform_role", slots=ASKED, active_loop="membership_form"
    )
    slots, _ = await _validate(tracker)
    assert slots["employee_count"] == 1850


@pytest.mark.asyncio
async def test_entity_value_is_used():
    entities = [{"entity": "employee_count", "value": "zweitausend", "start": 20, "end": 31}]
    tracker = make_tracker("Was kostet es bei zweitausend Leuten?", "ask_membership_cost", entities=entities)
    slots, _ = await _validate(tracker)
    assert slots["employee_count"] == 2000


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


@pytest.mark.asyncio
async def test_question_without_number_leaves_the_slot_empty_so_the_form_asks():
    tracker = make_tracker("Was kostet die Mitgliedschaft?", "ask_membership_cost")
    slots, said = await _validate(tracker)
    assert "employee_count" not in slots
    assert said == []


@pytest.mark.asyncio
async def test_request_for_a_human_is_not_taken_as_a_number():
    tracker = make_tracker(
        "Ich möchte mit einem Menschen sprechen", "request_human", slots=ASKED, active_loop="membership_form"
    )
    slots, said = await _validate(tracker)
    assert "employee_count" not in slots  # the form rejects, the handoff rule takes over
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
    "text", ["Was kostet ein Geschäftsanteil?", "Und was kostet ein einzelner Anteil?", "Preis pro Anteil?"]
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
