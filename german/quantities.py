"""Costs and durations in German wishes: "kostenlos", "unter 200 Euro", "zweihundert Euro", "höchstens zwei
Tage", "einen halben Tag", "90 Minuten", and the relative wishes "günstiger" / "kürzer".

Functions take lower-case text and return absolute amounts; what a relative wish means (below the offers shown
so far) is decided by the caller, which knows those offers.
"""

from __future__ import annotations

import re

from german.folding import umlaut_regex
from german.numbers import NUMBER_IN_TEXT, SMALL_NUMBER_WORDS, number_value, parse_number

HOURS_PER_DAY = 8.0
HOURS_PER_WEEK = 40.0

_FREE = re.compile(
    r"kostenlos|kostenfrei|gratis|umsonst|nichts kost|kostet nichts|free\b|(?<![\d.,])0\s*(€|euro)"
)
_CHEAPER = re.compile(umlaut_regex(r"g{ue}nstig|billig|preiswert|weniger|spar"))
_SHORTER = re.compile(umlaut_regex(r"k{ue}rzer|kurz|kompakt|schnell|knapp"))
_QUANTITY = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?|" + "|".join(sorted(SMALL_NUMBER_WORDS, key=len, reverse=True)) + r")\s*"
    r"(?P<half>halbe[nr]?\s+)?(?P<unit>stunden?|std\.?|h\b|tage?n?s?|woche?n?|minuten?|min\b)?"
)
_HALF_DAY = re.compile(r"halbe[nr]?\s+tag|halbtag")
_DAY = re.compile(umlaut_regex(r"\btag\b|tagesseminar|eint{ae}gig"))


def is_free(text: str) -> bool:
    """ "kostenlos", "es darf nichts kosten", "0 Euro"."""
    return bool(_FREE.search(text))


def asks_cheaper(text: str) -> bool:
    """ "was Günstigeres", "billiger": a limit relative to the offers shown."""
    return bool(_CHEAPER.search(text))


def asks_shorter(text: str) -> bool:
    """ "was Kürzeres", "kompakter": a limit relative to the offers shown."""
    return bool(_SHORTER.search(text))


def amount_eur(text: str) -> float | None:
    """The first amount in a cost wish ("unter 1.200 Euro" -> 1200, "zweihundert Euro" -> 200), or None."""
    number = NUMBER_IN_TEXT.search(text)
    if number:
        return number_value(number)
    for word, amount in SMALL_NUMBER_WORDS.items():
        if re.search(rf"\b{word}\s*hundert\b", text):
            return float(amount * 100)
    return None


def _number(token: str) -> float | None:
    if token in SMALL_NUMBER_WORDS:
        return SMALL_NUMBER_WORDS[token]
    try:
        return parse_number(token)
    except ValueError:
        return None


def duration_hours(text: str) -> float | None:
    """Hours in a duration wish: "zwei Stunden" -> 2, "einen halben Tag" -> 4, "drei Tage" -> 24,
    "90 Minuten" -> 1.5, "eine Woche" -> 40; None if it names no duration."""
    match = None
    for candidate in _QUANTITY.finditer(text):
        if candidate.group("unit") or candidate.group("half"):
            match = candidate
            break
    if match is not None:
        number = _number(match.group("num")) or 1.0
        if match.group("half"):
            number *= 0.5
        unit = match.group("unit") or "tag"
        if unit.startswith("tag"):
            return number * HOURS_PER_DAY
        if unit.startswith("woch"):
            return number * HOURS_PER_WEEK
        if unit.startswith("min"):
            return round(number / 60.0, 2)
        return number
    if _HALF_DAY.search(text):
        return HOURS_PER_DAY / 2
    if _DAY.search(text):
        return HOURS_PER_DAY
    return None
