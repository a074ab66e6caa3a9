"""validate_profile_form / pause / resume actions on hand-built trackers (parsing: test_parsing.py)."""

from __future__ import annotations

import pytest

from bot.actions.parsing import ANY
from bot.actions.profile import (
    ActionClearSkillGaps,
    ActionPauseProfile,
    ActionResumeProfile,
    ValidateProfileForm,
)


def _slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.asyncio
async def test_form_validation_normalises_everything_said_at_once(make_tracker, dispatcher, domain):
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "...", "parse_data": {"intent": {"name": "inform_skill_gap"}}},
        {"event": "slot", "name": "role", "value": "Sachbearbeiterin im Bürgeramt"},
        {"event": "slot", "name": "skill_gaps", "value": ["Excel", "Datenschutz", "excel"]},
        {"event": "slot", "name": "format_pref", "value": "Online"},
    ]
    tracker = make_tracker(
        slots={
            "role": "Sachbearbeiterin im Bürgeramt",
            "skill_gaps": ["Excel", "Datenschutz", "excel"],
            "format_pref": "Online",
            "requested_slot": "role",
        },
        events=events,
        active_loop="profile_form",
    )
    result = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert result["role"] == "Sachbearbeiterin im Bürgeramt"
    assert result["skill_gaps"] == ["Excel", "Datenschutz"]
    assert result["format_pref"] == "online"
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_unclear_format_answer_is_rejected_with_a_message(make_tracker, dispatcher, domain):
    events = [
        {"event": "user", "text": "blau", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "slot", "name": "format_pref", "value": "blau"},
    ]
    tracker = make_tracker(
        slots={"format_pref": "blau", "requested_slot": "format_pref"},
        events=events,
        active_loop="profile_form",
    )
    result = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert result["format_pref"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_format_not_understood"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [("für Einsteiger", "level", "einsteiger"), ("kostenlos wäre super", "cost", "kostenlos")],
)
async def test_other_wish_instead_of_format_counts_as_no_format_wish(
    make_tracker, dispatcher, domain, text, entity, value
):
    # Level, cost and duration are filled by global entity mappings before the form runs, so the answer
    # is recognised from the message's entities.
    events = [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "refine"}}},
        {"event": "slot", "name": "format_pref", "value": text},
    ]
    tracker = make_tracker(
        slots={"format_pref": text, "requested_slot": "format_pref"},
        text=text,
        intent="refine",
        entities=[{"entity": entity, "value": value}],
        events=events,
        active_loop="profile_form",
    )
    tracker.latest_message = {**tracker.latest_message, "entities": [{"entity": entity, "value": value}]}
    result = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert result["format_pref"] == ANY
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_stray_format_word_while_asking_something_else_is_ignored_quietly(
    make_tracker, dispatcher, domain
):
    text = "Ich arbeite vor allem im Bürgeramt"
    events = [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "inform_role"}}},
        {"event": "slot", "name": "format_pref", "value": "vor"},
    ]
    tracker = make_tracker(
        slots={"format_pref": "vor", "requested_slot": "role"}, events=events, active_loop="profile_form"
    )
    result = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert result["format_pref"] is None
    assert dispatcher.messages == []


def _first_message(make_tracker, text, intent, entities, prefilled=None):
    """Tracker at form activation: the first message and the slots its entities filled, nothing asked yet."""
    prefilled = prefilled or {}
    parse_data = {"text": text, "intent": {"name": intent}, "entities": entities}
    events = [{"event": "user", "text": text, "parse_data": parse_data}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in prefilled.items()]
    tracker = make_tracker(
        slots=dict(prefilled), text=text, intent=intent, entities=entities, active_loop="profile_form"
    )
    tracker.events = events
    return tracker


def _role(text, role, confidence=0.9):
    start = text.index(role)
    return {
        "entity": "role",
        "value": role,
        "start": start,
        "end": start + len(role),
        "confidence_entity": confidence,
    }


@pytest.mark.asyncio
async def test_problem_told_next_to_the_role_is_the_skill_gap(make_tracker, dispatcher, domain):
    text = "Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft richtig laut"
    tracker = _first_message(
        make_tracker, text, "inform_role", [_role(text, "Ordnungsamt")], {"role": "Ordnungsamt"}
    )
    events = await ValidateProfileForm().run(dispatcher, tracker, domain)
    slots = _slot_events(events)
    assert slots["role"] == "Ordnungsamt"
    assert slots["skill_gaps"] == ["die Leute werden bei Kontrollen oft richtig laut"]
    assert [m["response"] for m in dispatcher.messages] == []


@pytest.mark.asyncio
async def test_untagged_topic_and_untagged_role_are_taken_from_the_sentence(make_tracker, dispatcher, domain):
    text = "Ich arbeite im Standesamt und brauche Hilfe bei Exel"
    tracker = _first_message(
        make_tracker, text, "inform_skill_gap", [_role(text, "Standesamt")], {"role": "Standesamt"}
    )
    assert _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))["skill_gaps"] == [
        "Exel"
    ]

    text = (
        "Wir müssen Anträge nach OZG digitalisieren, ich bin Projektleiter in der Stadtverwaltung. "
        "Was gibt es da?"
    )
    skill = {"entity": "skill", "value": "OZG", "start": 24, "end": 27}
    tracker = _first_message(make_tracker, text, "inform_skill_gap", [skill], {"skill_gaps": ["OZG"]})
    slots = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert slots["role"] == "Projektleiter in der Stadtverwaltung"
    assert slots["skill_gaps"] == ["OZG"]


@pytest.mark.asyncio
async def test_role_with_a_greeting_only_still_asks_for_the_topic(make_tracker, dispatcher, domain):
    text = "Guten Morgen liebes Team, ich bin Kämmerin"
    tracker = _first_message(
        make_tracker, text, "inform_role", [_role(text, "Kämmerin")], {"role": "Kämmerin"}
    )
    slots = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert slots["role"] == "Kämmerin"
    assert "skill_gaps" not in slots  # the form goes on to ask for the topic


@pytest.mark.asyncio
async def test_unsure_role_word_is_not_taken_as_role(make_tracker, dispatcher, domain):
    text = (
        "Ich bin Sachbearbeiter im Sozialamt. "
        "Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"
    )
    entities = [_role(text, "Sachbearbeiter im Sozialamt", 0.95), _role(text, "Papier", 0.37)]
    # the role slot took both role entities
    prefilled = {"role": ["Sachbearbeiter im Sozialamt", "Papier"]}
    tracker = _first_message(make_tracker, text, "inform_skill_gap", entities, prefilled)
    slots = _slot_events(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert slots["role"] == "Sachbearbeiter im Sozialamt"
    assert slots["skill_gaps"] == ["Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"]


@pytest.mark.asyncio
async def test_other_topics_keeps_new_topics_from_the_same_message(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={"skill_gaps": ["Excel"]},
        text="lieber was zu Vergaberecht",
        intent="request_other_topics",
        entities=[{"entity": "skill", "value": "Vergaberecht"}],
    )
    assert _slot_events(await ActionClearSkillGaps().run(dispatcher, tracker, domain)) == {
        "skill_gaps": ["Vergaberecht"]
    }
    tracker = make_tracker(
        slots={"skill_gaps": ["Excel"]}, text="Andere Themen", intent="request_other_topics"
    )
    assert _slot_events(await ActionClearSkillGaps().run(dispatcher, tracker, domain)) == {"skill_gaps": None}


@pytest.mark.asyncio
async def test_pause_and_resume_around_a_membership_question(make_tracker, dispatcher, domain):
    tracker = make_tracker(active_loop="profile_form", intent="ask_membership_cost")
    paused = await ActionPauseProfile().run(dispatcher, tracker, domain)
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in paused
    ]
    assert _slot_events(paused)["profile_interrupted"] is True
    resumed = await ActionResumeProfile().run(dispatcher, tracker, domain)
    assert _slot_events(resumed) == {"profile_interrupted": False}
    assert [m["response"] for m in dispatcher.messages] == ["utter_back_to_profile"]
