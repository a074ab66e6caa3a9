"""Shared fixtures for action tests: the real merged domain, hand-built rasa_sdk trackers, a dispatcher.

Run with the Rasa runtime: ``.venv/rasa/bin/python -m pytest tests/bot``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The bot's full domain (all files in bot/domain merged by Rasa), as the action server receives it."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain")).as_dict()


def user_message(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    confidence: float = 1.0,
    ranking: list[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    """Parse data of one user message as Rasa sends it to the action server."""
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        # Optional keys (start, end, confidence_entity) are passed through as the NLU sends them.
        "entities": [dict(e) for e in entities or []],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])],
    }


def user_event(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": time.time(),
        "text": text,
        "parse_data": user_message(text, intent, entities),
    }


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Factory: ``make_tracker(slots={...}, text=..., intent=..., entities=[...], events=[...])``.

    The latest message is appended as a user event unless ``events`` already contain one (then the events are
    kept as given, e.g. with slot candidates after the last user event for form validation).
    """

    def _make(
        slots: dict[str, Any] | None = None,
        text: str = "",
        intent: str = "greet",
        entities: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        active_loop: str | None = None,
        sender_id: str = "test-user",
        ranking: list[tuple[str, float]] | None = None,
        confidence: float = 1.0,
    ) -> Tracker:
        latest = user_message(text, intent, entities, confidence, ranking)
        history = list(events or [])
        if not any(event.get("event") == "user" for event in history):
            history.append({"event": "user", "timestamp": time.time(), "text": text, "parse_data": latest})
        return Tracker(
            sender_id=sender_id,
            slots=dict(slots or {}),
            latest_message=latest,
            events=history,
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return _make


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_user_event() -> Callable[..., dict[str, Any]]:
    return user_event
