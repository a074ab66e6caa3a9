"""What a Teams user sees: offers as Adaptive Cards with clickable buttons, text in Teams Markdown, size cap.

Fast tests without the stack; the offers come from the real domain labels and follow the offer-card schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.channels.teams_activity import message_text, strip_mentions, submitted_payload
from bot.channels.teams_cards import MAX_ACTIVITY_BYTES, activity_size, fit_size, render, to_markdown

ROOT = Path(__file__).resolve().parents[2]
OFFER_SCHEMA = json.loads((ROOT / "bot/schemas/offer_card.schema.json").read_text())


def domain_custom(name: str) -> dict:
    for path in sorted((ROOT / "bot/domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text()) or {}).get("responses") or {}
        if name in responses:
            return responses[name][0]["custom"]
    raise AssertionError(f"{name} missing from the domain")


LABELS = domain_custom("utter_card_labels")
OFFER_BUTTONS = domain_custom("utter_offer_labels")["buttons"]


def offer(**changes) -> dict:
    card = {
        "number": 2,
        "id": "kc-017",
        "title": "Excel für die Verwaltung",
        "provider": "Studieninstitut Rhein",
        "format": "online",
        "format_label": "online",
        "duration_label": "8 Std.",
        "level_label": "für Einsteiger*innen",
        "cost_label": "kostenlos",
        "why": "Passt zu Ihnen, weil es um Excel geht.",
        "url": "https://kurse.example/kc-017",
        "actions": [
            {"title": OFFER_BUTTONS["card_details"]["title"], "payload": '/ask_details{"ordinal": "2"}'},
            {"title": OFFER_BUTTONS["card_more"]["title"], "payload": '/more_like{"ordinal": "2"}'},
        ],
    }
    card.update(changes)
    jsonschema.validate(card, OFFER_SCHEMA)
    return card


def card_of(body: dict) -> dict:
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def all_actions(card: dict) -> list[dict]:
    actions = list(card.get("actions") or [])
    for element in card["body"]:
        if element["type"] == "ActionSet":
            actions.extend(element["actions"])
    return actions


def test_offer_becomes_one_card_with_facts_link_and_clickable_buttons():
    message = {"text": "2. Excel für die Verwaltung\n…", "custom": {"kc_offer": offer()}}
    body = render(message, LABELS)
    assert "text" not in body  # the plain text is the fallback of other channels, not a second message
    card = card_of(body)
    texts = [element.get("text") for element in card["body"] if element["type"] == "TextBlock"]
    assert texts[0] == "2\\. Excel für die Verwaltung"
    assert "Passt zu Ihnen, weil es um Excel geht." in texts
    facts = next(element["facts"] for element in card["body"] if element["type"] == "FactSet")
    assert {"title": LABELS["facts"]["provider"], "value": "Studieninstitut Rhein"} in facts
    assert {
        "title": LABELS["facts"]["level"],
        "value": "für Einsteiger*innen",
    } in facts  # facts are plain text
    assert {"title": LABELS["facts"]["cost"], "value": "kostenlos"} in facts
    link, details, more = all_actions(card)
    assert link == {
        "type": "Action.OpenUrl",
        "title": LABELS["open_offer"],
        "url": "https://kurse.example/kc-017",
    }
    for button, payload in ((details, '/ask_details{"ordinal": "2"}'), (more, '/more_like{"ordinal": "2"}')):
        assert button["type"] == "Action.Submit"
        assert button["data"]["kc_payload"] == payload
        assert button["data"]["msteams"] == {
            "type": "messageBack",
            "displayText": button["title"],
            "text": payload,
        }
    assert more["title"] == "Mehr dazu"


def test_offer_without_link_has_no_link_button():
    card = card_of(render({"custom": {"kc_offer": offer(url=None)}}, LABELS))
    assert [action["type"] for action in all_actions(card)] == ["Action.Submit", "Action.Submit"]


def test_quick_replies_become_card_actions_in_rows_teams_can_show():
    buttons = [
        {"title": f"Details zu Nr. {n}", "payload": f'/ask_details{{"ordinal": "{n}"}}'} for n in range(1, 6)
    ]
    buttons = [
        {"title": "Mehr dazu", "payload": "/more_like"},
        {"title": "Nur online", "payload": "/x"},
    ] + buttons
    card = card_of(render({"text": "Möchten Sie mehr erfahren?", "buttons": buttons}, LABELS))
    assert card["body"][0]["text"] == "Möchten Sie mehr erfahren?"
    rows = [element["actions"] for element in card["body"] if element["type"] == "ActionSet"]
    assert [len(row) for row in rows] == [6, 1]
    assert [action["data"]["kc_payload"] for row in rows for action in row] == [b["payload"] for b in buttons]


def test_plain_text_is_markdown_that_shows_exactly_what_we_wrote():
    body = render({"text": "1. Angebot für Expert*innen\n_Hinweis_ [a](b)"}, LABELS)
    assert body["textFormat"] == "markdown"
    assert body["text"] == "1\\. Angebot für Expert\\*innen\n\n\\_Hinweis\\_ \\[a\\](b)"
    assert to_markdown("- Liste\n# Titel\n> Zitat") == "\\- Liste\n\n\\# Titel\n\n\\> Zitat"


def test_custom_payload_without_offer_is_not_sent_as_json(caplog):
    assert render({"custom": {"something": "else"}}, LABELS) is None
    assert "custom payload without kc_offer" in caplog.text


def test_every_reply_stays_below_80_kb():
    huge = {"type": "message", **render({"text": "Sehr lang. " * 20_000}, LABELS)}
    assert activity_size(huge) > MAX_ACTIVITY_BYTES
    fitted = fit_size(huge)
    assert activity_size(fitted) < MAX_ACTIVITY_BYTES
    assert fitted["text"].startswith("Sehr lang.") and fitted["text"].endswith("…")
    card = {"type": "message", **render({"custom": {"kc_offer": offer(why="Warum? " * 30_000)}}, LABELS)}
    fitted = fit_size(card)
    assert activity_size(fitted) < MAX_ACTIVITY_BYTES
    actions = all_actions(card_of(fitted))
    assert actions[-1]["data"]["kc_payload"] == '/more_like{"ordinal": "2"}'  # payloads are never cut


def test_mentions_are_stripped_and_card_submits_map_back_to_the_payload():
    assert strip_mentions("<at>KommunalCampus</at> Ich suche  Excel-Kurse") == "Ich suche Excel-Kurse"
    assert strip_mentions('Hallo <at id="0">Kommunal Campus</at>!') == "Hallo !"
    submit = {"kc_payload": "/more_like", "msteams": {"type": "messageBack"}}
    assert message_text({"type": "message", "value": submit}) == "/more_like"
    assert message_text({"type": "message", "text": "Mehr dazu", "value": submit}) == "/more_like"
    assert submitted_payload({"msteams": {"value": json.dumps({"kc_payload": "/greet"})}}) == "/greet"
    assert submitted_payload({"other": 1}) is None
    assert message_text({"type": "message", "text": "<at>Bot</at>"}) == ""


@pytest.mark.parametrize("text", ["", "   "])
def test_nothing_to_show_sends_nothing(text):
    assert render({"text": text}, LABELS) is None
