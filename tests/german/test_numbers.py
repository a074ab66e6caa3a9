"""German number words and notation."""

from __future__ import annotations

import math

import pytest

from german.numbers import (
    APPROX_BEFORE,
    LAST,
    LESS_THAN_BEFORE,
    MORE_THAN_BEFORE,
    NUMBER_IN_TEXT,
    ORDINAL_WORDS,
    SMALL_NUMBER_WORDS,
    cardinal,
    number_value,
    ordinal,
    ordinal_in_text,
    parse_number,
)


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("zweihundertfünfzig", 250),
        ("zweihundertundfünfzig", 250),
        ("dreitausend", 3000),
        ("tausend", 1000),
        ("eintausendzweihundert", 1200),
        ("zwölftausendfünfhundert", 12500),
        ("zwoelf", 12),
        ("fuenfhundert", 500),
        ("einundzwanzig", 21),
        ("dreißig", 30),
        ("zweieinhalbtausend", 2500),  # "gut zweieinhalbtausend Personen"
        ("anderthalbtausend", 1500),
        ("eineinhalbtausend", 1500),
        ("einhalbtausend", None),
        ("fünfhundertundeinen", 501),  # "genau fünfhundertundeinen Mitarbeiter" (set 12, CC-003)
        ("eine", None),  # an article is no count ("eine kleine Gemeinde")
        ("Gemeinde", None),
        ("", None),
    ],
)
def test_cardinals(word, value):
    assert cardinal(word) == value


def test_small_number_words_in_durations_and_costs():
    assert SMALL_NUMBER_WORDS["einen"] == 1.0  # "einen Tag"
    assert SMALL_NUMBER_WORDS["halben"] == 0.5
    assert SMALL_NUMBER_WORDS["fünf"] == SMALL_NUMBER_WORDS["fuenf"] == 5.0
    assert SMALL_NUMBER_WORDS["hundert"] == 100.0


@pytest.mark.parametrize(
    ("value", "count", "position"),
    [
        ("2", 5, 2),
        ("zweite", 5, 2),
        ("Nr. 3", 5, 3),
        ("fünften", 5, 5),
        ("fuenfte", 5, 5),
        ("letzte", 4, 4),
        ("6", 5, None),
        ("0", 5, None),
        ("irgendeins", 5, None),
        (None, 3, None),
    ],
)
def test_ordinals(value, count, position):
    assert ordinal(value, count) == position


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Was koschtet denn des zwoite?", "zwoite"),
        ("wos is beim erstn genau dabei?", "erstn"),
        ("Details zu Nr. 3", "3"),
        ("Wir brauchen das für zwei Tage", None),  # a cardinal is no position
        ("letzte Woche war ich krank", None),
    ],
)
def test_ordinal_named_in_a_sentence(text, found):
    assert ordinal_in_text(text) == found
    if found is not None:
        assert ordinal(found, 5) in (1, 2, 3)


def test_ordinal_words_cover_one_to_five_and_last():
    assert {ORDINAL_WORDS[w] for w in ("erste", "zweiten", "drittes", "vierter", "fünfte")} == {1, 2, 3, 4, 5}
    assert ORDINAL_WORDS["letztes"] == LAST


@pytest.mark.parametrize(
    ("text", "value"),
    [("12,5", 12.5), ("1.200", 1200.0), ("1.200,50", 1200.5), ("12 500", 12500.0), ("1.5", 1.5), (7, 7.0)],
)
def test_notation(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("bad", ["zwölf", "1,2,3", "", True, None, math.inf])
def test_bad_notation_is_refused(bad):
    with pytest.raises(ValueError):
        parse_number(bad)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("rund 1.850 beschäftigte", [1850.0]),
        ("12 500 leute", [12500.0]),
        ("2 tsd. beschäftigte", [2000.0]),
        ("1.200,50 euro", [1200.5]),
        ("ca.1.850 mitarbeitende", [1850.0]),
        ("zwischen 5 und 10", [5.0, 10.0]),
    ],
)
def test_numbers_in_running_text(text, values):
    assert [number_value(m) for m in NUMBER_IN_TEXT.finditer(text)] == values


@pytest.mark.parametrize(
    ("before", "approx", "more", "less"),
    [
        ("wir sind rund ", True, False, False),
        ("knapp ", True, False, False),
        ("ungefaehr ", True, False, False),
        ("über ", False, True, False),
        ("ueber ", False, True, False),
        ("weniger als ", False, False, True),
        ("wir sind ", False, False, False),
    ],
)
def test_words_before_a_number(before, approx, more, less):
    assert bool(APPROX_BEFORE.search(before)) is approx
    assert bool(MORE_THAN_BEFORE.search(before)) is more
    assert bool(LESS_THAN_BEFORE.search(before)) is less
