"""A FAQ prediction for a question the sources cannot answer becomes membership_unknown (statute, termination,
member list); other FAQ questions keep their answer."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.unknown_topic import UnknownTopicGuard


def classified(text: str, intent: str = "membership_faq", config: dict | None = None) -> Message:
    ranking = [{"name": intent, "confidence": 0.7}, {"name": "membership_unknown", "confidence": 0.2}]
    message = Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    guard = UnknownTopicGuard.create(config or UnknownTopicGuard.get_default_config(), Mock(), Mock(), Mock())
    [message] = guard.process([message])
    return message


@pytest.mark.parametrize(
    "text",
    [
        "Für unsere Prüfung des Beitritts bräuchte ich die Satzung der KommunalCampus eG. Wo finde ich die?",
        "Wie können wir wieder austreten, wenn es sich nicht bewährt?",
        "Welche Kommunen sind denn schon Mitglied?",
        # whether one municipality is a member: the member list, which the sources do not have
        "Kurze Zwischenfrage noch: Ist unsere Stadt da eigentlich Mitglied bei euch? Wir sind die Stadt X.",
        "btw ist eigentlich der Kreis nebenan auch schon mitglied bei euch? wer ist da alles dabei?",
        # fees every year: the sources do not say whether the statute has any
        "Kommen dann noch jährliche Mitgliedsbeiträge dazu? Das muss ich in den Haushalt einplanen.",
        "Fallen darüber hinaus jedes Jahr noch weitere Beiträge an?",
    ],
)
def test_faq_prediction_for_an_uncovered_topic_becomes_unknown(text):
    message = classified(text)
    assert message.get(INTENT) == {"name": "membership_unknown", "confidence": 0.7}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["membership_unknown", "membership_faq"]


@pytest.mark.parametrize(
    "text",
    [
        "Wer trägt die laufenden Kosten der Genossenschaft?",  # answered by the FAQ (financing)
        "Wann müssen die Anteile eingezahlt werden?",
        "Wie viele Stimmen hat jede Kommune?",
        # joining or member prices, not whether someone is a member
        "Müssen wir eigentlich Mitglied sein, um die Kurse buchen zu können? Und wie wird man Mitglied?",
        "Kann ein Zweckverband auch Mitglied werden?",
        "Ist das für Mitglieder kostenlos?",
        "kurze zwischenfrage: wir sind ja mitglied, sind die kurse dann alle kostenlos?",
        # paying the shares once, which the FAQ answers
        "Ist das jedes Jahr fällig oder nur einmal?",
        "muss man die anteile jedes jahr neu zahlen?",
    ],
)
def test_covered_faq_questions_keep_their_answer(text):
    assert classified(text).get(INTENT)["name"] == "membership_faq"


def test_other_intents_are_left_alone():
    assert classified("Ich will aus dem Kurs austreten", intent="request_human").get(INTENT)["name"] == (
        "request_human"
    )


def test_a_topic_missing_from_the_terms_file_stops_the_start():
    with pytest.raises(ValueError, match="not in bot/membership/terms.yml"):
        classified("Satzung?", config={"topics": ["statute", "pension_rules"]})
