"""How people wrap a need: role words, function words, request frames (german/requests.py)."""

from __future__ import annotations

import pytest

from german.requests import (
    ROLE_STATEMENT,
    TOPIC_FRAME,
    asks_for_yearly_money,
    is_function_word,
    is_request_word,
    is_role_word,
)


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


@pytest.mark.parametrize(
    ("text", "yearly"),
    [
        ("Kommen dann noch jährliche Mitgliedsbeiträge dazu?", True),
        # set 9 AB-008: Swabian "jedes Johr" got the share calculation again
        ("ond was kostet des dann jedes Johr?", True),
        ("was zahlen wir dann jedes jahr?", True),
        # how the shares are paid is the FAQ, in any spelling
        ("un muess mr des jedes Johr zahle oder nur eimol?", False),
        ("muss man die Anteile jedes Jahr zahlen?", False),
        ("Ist das jährlich oder einmalig?", False),
    ],
)
def test_yearly_fees_asked_in_any_spelling(text, yearly):
    assert asks_for_yearly_money(text) is yearly
