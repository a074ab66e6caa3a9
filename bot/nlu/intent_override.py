"""Put another intent on top of a message's ranking: the one step every rule component after the classifiers
shares (``other_language``, ``unknown_vocabulary``, ``intent_vocabulary``, ``content_rules``,
``unknown_topic``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def intent_ranking(message: Message) -> list[dict[str, Any]]:
    """The message's intent ranking (best first), without malformed entries."""
    return [r for r in message.get(INTENT_RANKING_KEY) or [] if isinstance(r, dict)]


def override_intent(
    message: Message, name: str, confidence: float | None = None, drop: Collection[str] = ()
) -> None:
    """Make ``name`` the message's intent, first in its ranking; the rest of the ranking keeps its order
    without ``name`` and the intents in ``drop``. ``confidence`` defaults to that of the replaced intent."""
    if confidence is None:
        confidence = float((message.get(INTENT) or {}).get("confidence", 1.0))
    intent = {"name": name, "confidence": confidence}
    rest = [r for r in intent_ranking(message) if r.get("name") != name and r.get("name") not in drop]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *rest], add_to_output=True)
