"""Tracker fixtures for the membership and handoff action tests (rasa_sdk trackers built by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DIR = ROOT / "bot" / "domain"


def load_domain(*names: str) -> dict[str, Any]:
    """Merged forms/responses/slots of the given domain files (enough for FormValidationAction)."""
    merged: dict[str, Any] = {"forms": {}, "responses": {}, "slots": {}}
    for name in names:
        data = yaml.safe_load((DOMAIN_DIR / name).read_text(encoding="utf-8"))
        for key in merged:
            merged[key].update(data.get(key) or {})
    return merged


def user_event(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities or []}
    return {"event": "user", "text": text, "parse_data": parse}


def bot_event(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def make_tracker(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    history: list[dict[str, Any]] | None = None,
    sender_id: str = "test-sender",
) -> Tracker:
    """A tracker whose latest event is the given user message."""
    latest = user_event(text, intent, entities)
    all_slots = {
        "requested_slot": None,
        "employee_count": None,
        "handoff_consent": None,
        "handoff_question": None,
        "handoff_contact": None,
    }
    all_slots.update(slots or {})
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest["parse_data"],
        events=[*(history or []), latest],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """{slot: value} of the SlotSet events an action returned (last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: Any) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]
