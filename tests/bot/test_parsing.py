"""Parsing what users say into profile values (bot/actions/parsing.py): plain inputs, no Rasa tracker."""

from __future__ import annotations

import pytest

from bot.actions.parsing import (
    ANY,
    SKIPPED,
    normalize_format,
    normalize_level,
    normalize_role,
    parse_cost_eur,
    parse_duration_hours,
    parse_ordinal,
    without_unsure,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sachbearbeiterin im Bürgeramt", "Sachbearbeiterin im Bürgeramt"),
        ("Ich bin Sachbearbeiterin im Bürgeramt", "Sachbearbeiterin im Bürgeramt"),
        ("ich arbeite in der Kämmerei", "Kämmerei"),
        ("Kämmerei und", "Kämmerei"),
        (["Ordnungsamt", "Teamleitung"], "Teamleitung"),
        (["Kita-Leitung", "Team"], "Kita-Leitung"),
        (SKIPPED, SKIPPED),
        ("/skip", None),
        ("4711", None),
        ("x" * 200, None),
    ],
)
def test_role(raw, expected):
    assert normalize_role(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fmt", "level"),
    [
        ("online", "online", None),
        ("Lieber vor Ort", "praesenz", None),
        ("Kein Präsenzkurs bitte, nur online", "online", None),
        ("hybrid", "blended", None),
        ("egal", ANY, ANY),
        ("Einsteiger", None, "einsteiger"),
        ("für Profis", None, "experte"),
        ("Aufbaukurs", None, "fortgeschritten"),
    ],
)
def test_format_and_level(raw, fmt, level):
    assert normalize_format(raw) == fmt
    assert normalize_level(raw) == level


@pytest.mark.parametrize(
    ("raw", "hours"),
    [
        ("Höchstens zwei Stunden", 2.0),
        ("nicht länger als einen Tag", 8.0),
        ("einen halben Tag", 4.0),
        ("Maximal drei Tage", 24.0),
        ("1,5 Stunden", 1.5),
        ("90 Minuten", 1.5),
        ("was Kürzeres", 6.0),  # the shortest offer shown
        ("geht das auch kompakter", 6.0),
        ("lieber was Kurzes", 8.0),  # a short offer as such: one day at most
        ("kurz und knackig", 8.0),
        ("egal", ANY),
        ("bald", None),
    ],
)
def test_duration(raw, hours):
    assert parse_duration_hours(raw, shown_durations=[12, 6, 8]) == hours


@pytest.mark.parametrize(
    ("raw", "eur"),
    [
        ("kostenlos", 0.0),
        ("Es darf nichts kosten", 0.0),
        ("unter 200 Euro", 200.0),
        ("Maximal 300 €", 300.0),
        ("1.200 Euro", 1200.0),
        ("was Günstigeres", 119.0),  # below the cheapest offer shown
        ("so mittel", None),
    ],
)
def test_cost(raw, eur):
    assert parse_cost_eur(raw, shown_costs=[300, 120]) == eur


def test_cheaper_without_shown_offers_is_not_guessed():
    assert parse_cost_eur("günstiger") is None



@pytest.mark.parametrize(
    ("value", "count", "expected"),
    [
        ("2", 5, 2),
        ("zweite", 5, 2),
        ("Nr. 3", 5, 3),
        ("letzte", 4, 4),
        ("6", 5, None),
        ("0", 5, None),
        (None, 3, None),
    ],
)
def test_ordinal_parsing(value, count, expected):
    assert parse_ordinal(value, count) == expected


def test_unsure_entity_values_are_dropped_or_replaced_by_the_surest():
    entities = [
        {"entity": "cost", "value": "kostenlos", "confidence_entity": 0.93},
        {"entity": "cost", "value": "super", "confidence_entity": 0.31},
        {"entity": "role", "value": "Kämmerei"},  # from a lookup table: no confidence, counts as sure
    ]
    assert without_unsure(entities, "cost", "super") == "kostenlos"
    assert without_unsure(entities, "cost", ["super", "kostenlos"]) == ["kostenlos"]
    assert without_unsure(entities[1:], "cost", "super") is None
    assert without_unsure(entities, "role", "Kämmerei") == "Kämmerei"


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("Hybride Kurse", "blended"),
        ("teils online, teils vor Ort", "blended"),
        ("digital", "online"),
        ("persönlich", "praesenz"),
    ],
)
def test_format_answers_name_the_same_formats_as_the_catalog(raw, fmt):
    assert normalize_format(raw) == fmt
