"""Every button in the domain reaches the user with a valid ``/intent{...}`` payload and without error lines.

Rasa fills ``{slot}`` placeholders in button payloads, so ``{"format": "online"}`` written with single braces
made rasa.core.nlg.interpolator log an ERROR (with the template) for every question; double braces come out
as single ones. Rendered here with Rasa's own response generator and the domain's slots, as in a conversation.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import structlog
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "bot" / "domain")
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
# Values an action passes for a response's own placeholders (e.g. the retry button of "search unavailable").
ACTION_VALUES = {"retry_payload": '/more_like{"ordinal": "2"}'}

WITH_BUTTONS = sorted(
    name
    for name, variants in DOMAIN.responses.items()
    if any(variant.get("buttons") or variant.get("quick_replies") for variant in variants)
)


def rendered_buttons(name: str) -> tuple[list[dict], list[dict]]:
    """(buttons as the user gets them, structlog events logged while rendering)."""
    variables = {
        key: ACTION_VALUES.get(key, "x")
        for variant in DOMAIN.responses[name]
        for key in PLACEHOLDER.findall(json.dumps(variant, ensure_ascii=False))
        if key not in DOMAIN.slots
    }
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    tracker = DialogueStateTracker("payload-test", DOMAIN.slots)
    with structlog.testing.capture_logs() as logged:
        response = asyncio.run(nlg.generate(name, tracker, "rest", **variables))
    assert response is not None
    return (response.get("buttons") or []) + (response.get("quick_replies") or []), logged


def test_there_are_buttons_to_check():
    # utter_search_unavailable: its retry button carries a payload with entities, filled in by the action.
    assert "utter_search_unavailable" in WITH_BUTTONS and "utter_greet" in WITH_BUTTONS


@pytest.mark.parametrize("name", WITH_BUTTONS)
def test_button_payloads_are_valid_intents_and_render_without_errors(name):
    buttons, logged = rendered_buttons(name)
    assert [event for event in logged if event.get("log_level") == "error"] == []
    for button in buttons:
        payload = button["payload"]
        if not payload.startswith("/"):
            continue
        parsed = YAMLStoryReader.unpack_regex_message(Message({TEXT: payload}), DOMAIN)
        assert parsed.get(INTENT), f"{name}: {payload!r} is not an intent of the domain"
        if "{" in payload:
            entities = json.loads(payload[payload.index("{") :])
            assert {e["entity"]: e["value"] for e in parsed.get(ENTITIES)} == entities, payload
