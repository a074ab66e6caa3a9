"""What the widget receives: one message per bot response (offer cards whole) and the stored history."""

from __future__ import annotations

import asyncio

from bot.channels.messages import conversation_history, widget_message
from bot.channels.widget import WidgetOutput

OFFER = {
    "number": 1,
    "id": "kc-a-001",
    "title": "Digital fit im Büroalltag",
    "provider": "Lernplattform VerwaltungDigital",
    "format": "online",
    "format_label": "online",
    "duration_label": "6 Std.",
    "level_label": "für Einsteiger*innen",
    "cost_label": "kostenlos",
    "why": "Passt zu Ihnen, weil es um Dateiablage geht.",
    "url": "https://kurse.example.org/digital-fit",
    "actions": [
        {"title": "Details", "payload": '/ask_details{"ordinal": "1"}'},
        {"title": "Mehr dazu", "payload": '/more_like{"ordinal": "1"}'},
    ],
}


def test_offer_response_becomes_one_message_with_the_card():
    out = WidgetOutput()
    response = {"text": "1. Digital fit im Büroalltag …", "custom": {"kc_offer": OFFER}}
    asyncio.run(out.send_response("u-1", response))
    assert out.messages == [{"text": "1. Digital fit im Büroalltag …", "offer": OFFER}]


def test_text_with_buttons_stays_one_message_and_paragraphs_are_not_split():
    out = WidgetOutput()
    buttons = [{"title": "Weiterbildung finden", "payload": "/request_recommendations"}]
    asyncio.run(out.send_response("u-1", {"text": "Hallo!\n\nWobei kann ich helfen?", "buttons": buttons}))
    assert out.messages == [{"text": "Hallo!\n\nWobei kann ich helfen?", "buttons": buttons}]


def test_unknown_custom_payload_is_dropped_with_a_warning(caplog):
    assert widget_message({"custom": {"carousel": [1, 2]}}) == {}
    assert "carousel" in caplog.text

GREET_BUTTON = {"title": "Weiterbildung finden", "payload": "/request_recommendations"}


def user(text: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {}}


def bot(text: str, **data: object) -> dict:
    return {"event": "bot", "text": text, "data": data}


def test_history_shows_button_titles_cards_and_skips_deleted_and_internal_events():
    events = [
        {"event": "action", "name": "action_session_start"},
        user(""),  # redacted by "delete my data"
        bot(""),
        user("/delete_my_data"),
        bot("Erledigt: Ich habe Ihre Angaben gelöscht."),
        user("Hallo"),
        bot("Hallo! Wobei kann ich helfen?", buttons=[GREET_BUTTON]),
        user("/request_recommendations"),
        bot("1. Digital fit …", custom={"kc_offer": OFFER}),
        user('/ask_details{"ordinal": "1"}'),
        {"event": "slot", "name": "role", "value": "Sachbearbeiterin"},
    ]
    history = conversation_history(events, limit=30)
    assert history == [
        {"role": "user", "command": "/delete_my_data"},
        {"role": "bot", "text": "Erledigt: Ich habe Ihre Angaben gelöscht."},
        {"role": "user", "text": "Hallo"},
        {"role": "bot", "text": "Hallo! Wobei kann ich helfen?",
         "buttons": [GREET_BUTTON]},
        {"role": "user", "text": "Weiterbildung finden"},
        {"role": "bot", "text": "1. Digital fit …", "offer": OFFER},
        {"role": "user", "text": "Details"},
    ]


def test_history_keeps_only_the_last_messages():
    events = [user(f"Nachricht {n}") for n in range(50)]
    history = conversation_history(events, limit=3)
    assert [m["text"] for m in history] == ["Nachricht 47", "Nachricht 48", "Nachricht 49"]
    assert conversation_history(events, limit=0) == []
