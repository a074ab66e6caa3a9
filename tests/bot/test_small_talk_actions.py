"""action_small_talk: small talk gets a small-talk answer; after offers a stated wish narrows them."""

from __future__ import annotations

import pytest

from bot.actions.parsing import states_wish
from bot.actions.small_talk import ActionSmallTalk

OFFERS = {"last_results": [{"id": "kc-1", "title": "Excel Grundkurs"}], "skill_gaps": ["Excel"]}


def _selector(*ranked):
    return {"default": {"ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranked]}}


def _tracker(make_tracker, text, slots=None, selector=None, active_loop=None):
    tracker = make_tracker(
        slots=slots or {}, text=text, intent="chitchat", confidence=0.62, active_loop=active_loop
    )
    tracker.latest_message["response_selector"] = selector or _selector()
    return tracker


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("Isch des au koschtelos?", True),
        ("und des in Präsenz?", True),
        ("höchstens 4 Stunden bitte", True),
        ("für Anfänger?", True),
        ("ist mir egal", False),
        ("Wie geht es dir?", False),
    ],
)
def test_states_wish(text, wish):
    assert states_wish(text) is wish


@pytest.mark.asyncio
async def test_a_wish_after_offers_is_handed_on_as_a_refinement(make_tracker, dispatcher, domain):
    selector = _selector(("membership_faq/financing", 0.7), ("chitchat/how_are_you", 0.1))
    tracker = _tracker(make_tracker, "Isch des au koschtelos?", OFFERS, selector)
    events = await ActionSmallTalk().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []  # no FAQ answer about who finances the cooperative
    assert [e["event"] for e in events] == ["rewind", "action", "user"]
    assert events[-1]["parse_data"]["intent"]["name"] == "refine"
    assert events[-1]["text"] == "Isch des au koschtelos?"


@pytest.mark.asyncio
async def test_small_talk_gets_the_best_small_talk_answer_not_a_faq(make_tracker, dispatcher, domain):
    selector = _selector(("membership_faq/financing", 0.6), ("chitchat/who_made_you", 0.3))
    tracker = _tracker(make_tracker, "Wer hat dich eigentlich gebaut?", OFFERS, selector)
    events = await ActionSmallTalk().run(dispatcher, tracker, domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_chitchat/who_made_you"]


@pytest.mark.asyncio
async def test_a_wish_without_offers_shown_is_no_refinement(make_tracker, dispatcher, domain):
    tracker = _tracker(make_tracker, "Ist das kostenlos?", {}, _selector(("membership_faq/financing", 0.9)))
    events = await ActionSmallTalk().run(dispatcher, tracker, domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]
