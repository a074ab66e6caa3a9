"""The last NLU step: clearly foreign messages become other_language, German ones never do."""

from __future__ import annotations

from unittest.mock import Mock

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.other_language import OtherLanguageClassifier


def classified(text: str, intent: str, confidence: float = 0.8) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 1 - confidence}]
    message = Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    [message] = OtherLanguageClassifier.create({}, Mock(), Mock(), Mock()).process([message])
    return message


def test_foreign_message_gets_other_language_whatever_the_classifier_said():
    message = classified("Hello, how much does the membership cost for our town?", "ask_membership_cost")
    assert message.get(INTENT) == {"name": "other_language", "confidence": 1.0}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == [
        "other_language", "ask_membership_cost", "greet"
    ]
    assert classified("Здравствуйте!", "nlu_fallback").get(INTENT)["name"] == "other_language"


def test_german_message_keeps_its_intent():
    message = classified("Was kostet die Mitgliedschaft?", "ask_membership_cost")
    assert message.get(INTENT) == {"name": "ask_membership_cost", "confidence": 0.8}


def test_other_language_for_a_text_that_is_not_clearly_foreign_asks_to_rephrase():
    message = classified("Excel online", "other_language")
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert "other_language" not in [r["name"] for r in message.get(INTENT_RANKING_KEY)]
