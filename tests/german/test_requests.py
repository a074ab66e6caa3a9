"""How people wrap a need: role words, function words, request frames (german/requests.py)."""

from __future__ import annotations

import pytest

from german.requests import ROLE_STATEMENT, TOPIC_FRAME, is_function_word, is_request_word, is_role_word


@pytest.mark.parametrize(
    "word",
    [
        "Bürgeramt",
        "buergeramt",
        "Vergabestelle",
        "Sachbearbeiterin",
        "Teamleitung",
        "Amtsleiterin",
        "Azubi",
        "IT-Admins",
        "Kämmerei",
        "Ausländerbehörde",
        "Jobcenter",
        "Gleichstellungsbeauftragte",
    ],
)
def test_role_words(word):
    assert is_role_word(word)


@pytest.mark.parametrize(
    "word", ["Excel", "Datenschutz", "Vergaberecht", "Deeskalation", "Onlinezugangsgesetz"]
)
def test_topics_are_no_role_words(word):
    assert not is_role_word(word)


def test_word_classes():
    assert is_function_word("ich") and is_function_word("über") and is_function_word("ueber")
    assert is_request_word("Schulungen") and is_request_word("bräuchte") and is_request_word("braeuchte")
    assert not is_request_word("Excel") and not is_function_word("Excel")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Gibt es Schulungen zu den Neuerungen beim FEG", "Neuerungen beim FEG"),
        ("Welche Kurse gibt es zum Onlinezugangsgesetz", "Onlinezugangsgesetz"),
        ("vielleicht was mit Outlook und Word", "Outlook und Word"),
        ("Mich interessieren Fortbildungen zum Gewerberecht", "Gewerberecht"),
    ],
)
def test_topic_frames(text, topic):
    assert TOPIC_FRAME.search(text).group("topic") == topic


@pytest.mark.parametrize(
    "text",
    [
        "ich arbeite im Sozialamt",
        "Bin seit Jahren in der Vergabestelle",
        "Als Teamleiterin",
        "Wir im Umweltamt",
        "i schaff aufm Bauhof",
    ],
)
def test_role_statements(text):
    assert ROLE_STATEMENT.match(text)
