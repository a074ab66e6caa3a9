"""Which messages get the "I only speak German" answer: clearly foreign ones, never German ones."""

from __future__ import annotations

import pytest

from german.language import foreign_language


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("Здравствуйте, какие курсы вы предлагаете?", "cyrillic"),
        ("Добрий день, мені потрібен курс", "cyrillic"),
        ("مرحبا، أبحث عن دورة تدريبية في الإدارة", "arabic"),
        ("Hello, which courses do you offer for project management?", "en"),
        ("I am looking for a course about public procurement", "en"),
        ("Merhaba, Excel kursu arıyorum", "tr"),
        ("Hangi kursları sunuyorsunuz?", "tr"),
        ("Bonjour, je cherche une formation sur Excel", "fr"),
        ("Dzień dobry, jakie kursy pan oferuje?", "pl"),
        ("Ik zoek een cursus over Excel", "nl"),
    ],
)
def test_foreign_messages_are_recognised(text, guess):
    assert foreign_language(text) == guess


@pytest.mark.parametrize(
    "text",
    [
        "Ich brauche ein Training für Microsoft Teams und Power BI",
        "Hallo, ich suche Kurse zu Excel",
        "ich suche excel kurse fuer anfaenger",  # no umlauts, no capitals
        "Projektmanagement online",  # no function words at all: left to the NLU
        "Excel for beginners",  # one English function word is not enough
        "Hello",
        "Thanks!",
        "42",
        "🙂🙂🙂",
        "xqzv blorf knt prrrt",
        "Wir haben 120 Beschäftigte, was kostet die Mitgliedschaft?",
        "Was kostet das in English?",  # "in", "was" count as German
        "gibts des a fia anfanga? mia ham do no gor nix gmacht",  # Bairisch ("des", "a", "do", "no")
        "",
    ],
)
def test_german_short_and_unclear_messages_are_left_alone(text):
    assert foreign_language(text) is None
