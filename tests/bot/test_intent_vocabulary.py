"""Membership intents only for messages that name something of their subject; other messages get the
best-ranked intent outside the group."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_vocabulary import IntentVocabularyGuard

GUARDED = ["membership_faq", "ask_membership_cost"]
EXAMPLES = [
    ("Wie tritt unsere Stadt der Genossenschaft bei?", "membership_faq"),
    ("Wann müssen die Geschäftsanteile eingezahlt werden?", "membership_faq"),
    ("Was kostet die Mitgliedschaft für unsere Kommune?", "ask_membership_cost"),
    ("Gibt es versteckte Kosten?", "membership_faq"),
    ("Ich suche eine Schulung zur Verwaltungsvollstreckung", "inform_skill_gap"),
]


@pytest.fixture(scope="module")
def guard() -> IntentVocabularyGuard:
    component = IntentVocabularyGuard.create({"intents": GUARDED}, MagicMock(), MagicMock(), MagicMock())
    data = TrainingData([Message(data={TEXT: text, INTENT: intent}) for text, intent in EXAMPLES])
    component.train(data)
    return component


def classified(guard: IntentVocabularyGuard, text: str, ranking: list[str]) -> Message:
    entries = [{"name": name, "confidence": 0.9 - 0.1 * i} for i, name in enumerate(ranking)]
    message = Message(data={TEXT: text, INTENT: entries[0], INTENT_RANKING_KEY: entries})
    [message] = guard.process([message])
    return message


def test_a_topic_without_a_membership_word_gets_the_next_intent(guard):
    ranking = ["membership_faq", "ask_membership_cost", "inform_skill_gap"]
    message = classified(guard, "stadtkasse vollstreckung", ranking)
    assert message.get(INTENT)["name"] == "inform_skill_gap"
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["inform_skill_gap"]


@pytest.mark.parametrize(
    "text",
    [
        "Welche Anteile muss eine Gemeinde zeichnen?",  # "Anteile" is a part of "Geschäftsanteile"
        "Wann muss eingezahlt werden?",
        "Und bei 2001?",  # no content word at all: the classifier decides
        "Mitgliedschaftskosten?",  # a compound of a known word
    ],
)
def test_membership_questions_keep_their_intent(guard, text):
    message = classified(guard, text, ["membership_faq", "inform_skill_gap"])
    assert message.get(INTENT)["name"] == "membership_faq"


def test_words_of_asking_are_no_membership_subject(guard):
    # "Gibt es …" opens membership questions and course requests alike; the subject decides.
    message = classified(guard, "Gibt es noch mehr zu den Elterngesprächen?", ["membership_faq", "more_like"])
    assert message.get(INTENT)["name"] == "more_like"
    message = classified(guard, "Gibt es versteckte Gebühren und Kosten?", ["membership_faq", "more_like"])
    assert message.get(INTENT)["name"] == "membership_faq"


def test_nothing_outside_the_group_means_fallback(guard):
    message = classified(guard, "Reichsbürger am Schalter", ["membership_faq"])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_other_intents_are_left_alone(guard):
    message = classified(guard, "Reichsbürger am Schalter", ["inform_skill_gap", "membership_faq"])
    assert message.get(INTENT)["name"] == "inform_skill_gap"


def test_a_guarded_intent_without_examples_stops_the_training():
    component = IntentVocabularyGuard.create({"intents": ["vote"]}, MagicMock(), MagicMock(), MagicMock())
    with pytest.raises(ValueError, match="no training examples"):
        component.train(TrainingData([Message(data={TEXT: "Hallo", INTENT: "greet"})]))
