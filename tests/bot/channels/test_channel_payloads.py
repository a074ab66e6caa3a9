"""Only the assistant's own buttons may send ``/intent`` payloads: what counts as offered to a sender."""

from __future__ import annotations

import asyncio

from bot.channels.payloads import LOOKBACK_BOT_MESSAGES, is_command, offered_payloads, offered_to

MORE = '/more_like{"ordinal": "1"}'


def bot(text: str = "", **data: object) -> dict:
    return {"event": "bot", "text": text, "data": data}


def user(text: str) -> dict:
    return {"event": "user", "text": text}


def test_buttons_quick_replies_and_offer_card_actions_are_offered():
    events = [
        user("Hallo"),
        bot("Wobei kann ich helfen?", buttons=[{"title": "Finden", "payload": "/request_recommendations"}]),
        bot("1. Excel", custom={"kc_offer": {"actions": [{"title": "Mehr dazu", "payload": MORE}]}}),
        bot("Wie lernen Sie?", quick_replies=[{"title": "Egal", "payload": " /skip "}]),
        bot("Link", buttons=[{"title": "Website", "payload": "https://example.org"}]),  # not a command
    ]
    assert offered_payloads(events) == {"/request_recommendations", MORE, "/skip"}


def test_buttons_before_a_restart_no_longer_count():
    events = [
        bot("Wie lernen Sie?", buttons=[{"title": "Online", "payload": '/refine{"format": "online"}'}]),
        user("/restart"),
        {"event": "restart"},
        bot("Gern, wir fangen von vorne an."),
    ]
    assert offered_payloads(events) == frozenset()


def test_only_the_latest_bot_messages_count():
    old = bot("alt", buttons=[{"title": "Alt", "payload": "/request_human"}])
    yes = [{"title": "Ja", "payload": "/affirm"}]
    recent = [bot(f"Nr. {n}", buttons=yes) for n in range(LOOKBACK_BOT_MESSAGES)]
    assert offered_payloads([old, *recent]) == {"/affirm"}
    assert "/request_human" in offered_payloads([old, *recent[1:]])


def test_what_rasa_reads_as_a_command():
    assert is_command("/delete_my_data")
    assert is_command("  /inform_employee_count{\"employee_count\": \"-5\"}")
    assert not is_command("Ich suche Kurse zu Haushalt/Finanzen")
    assert not is_command("")


class Event:
    def __init__(self, data: dict) -> None:
        self.data = data

    def as_dict(self) -> dict:
        return self.data


class Tracker:
    def __init__(self, events: list[dict]) -> None:
        self.events = [Event(e) for e in events]


class Store:
    """The one call the channels make on Rasa's tracker store."""

    def __init__(self, conversations: dict[str, list[dict]]) -> None:
        self.conversations = conversations

    async def retrieve(self, sender_id: str) -> Tracker | None:
        events = self.conversations.get(sender_id)
        return Tracker(events) if events is not None else None


def test_offered_to_reads_the_senders_own_conversation():
    store = Store({"anna": [bot("?", buttons=[{"title": "Ja", "payload": "/affirm"}])]})
    assert asyncio.run(offered_to(store, "anna")) == {"/affirm"}
    assert asyncio.run(offered_to(store, "ben")) == frozenset()  # new conversation: nothing offered
    assert asyncio.run(offered_to(None, "anna")) == frozenset()  # no tracker store (not ready)
