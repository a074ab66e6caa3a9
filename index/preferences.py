"""Soft and hard preferences from the query text ("nur online", "für Einsteiger", "unter 200 Euro") and the
ranking bonus for courses that fit the soft ones.

Decisions: "nur online", "ausschließlich online", "nur in Präsenz", "nur vor Ort" are HARD filters on
``format`` ("nur" is an explicit exclusion); explicit ``filters`` from the caller take precedence over them.
Everything else ("lieber online", "in Präsenz", "für Einsteiger", "kostenlos", "kurz", "unter 200 Euro", ...)
is SOFT: matching courses get a bonus, conflicting ones a penalty, nobody is excluded. All recognised phrases
are stripped from the text used for retrieval. The phrases themselves are German vocabulary
(``german.phrases``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from german.folding import fold
from german.numbers import parse_number
from german.phrases import FILLER, NUMBER_GROUP, PREFERENCE_PATTERNS
from german.vocabulary import LEVELS, describes_other_noun

SOFT_BONUS = 0.2
SHORT_HOURS = 8.0


@dataclass
class ParsedQuery:
    text: str  # retrieval text (preference phrases stripped)
    soft: dict[str, Any] = field(default_factory=dict)
    hard: dict[str, list[Any]] = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)


def parse_preferences(query: str) -> ParsedQuery:
    """Recognise German preference phrases; returns the cleaned retrieval text and the preferences."""
    parsed = ParsedQuery(text=query)
    text = query
    for pattern, kind, key, value in PREFERENCE_PATTERNS:
        kept: list[re.Match[str]] = []
        for m in list(pattern.finditer(text)):
            if key == "format" and describes_other_noun(fold(m.group(0).split()[-1]), fold(text[m.end() :])):
                continue  # "hybride Besprechungen" is the topic, not a wish
            kept.append(m)
            parsed.phrases.append(m.group(0))
            val = parse_number(m.group(1)) if value == NUMBER_GROUP else value
            if kind == "hard":
                parsed.hard.setdefault(key, [])
                if val not in parsed.hard[key]:
                    parsed.hard[key].append(val)
            elif key == "max_cost_eur":
                parsed.soft[key] = min(parsed.soft.get(key, math.inf), val)
            elif key not in parsed.hard:
                parsed.soft.setdefault(key, val)
        for m in reversed(kept):
            text = text[: m.start()] + " " + text[m.end() :]
    stripped = re.sub(r"\s+", " ", text).strip(" ,.;:!?-")
    if parsed.phrases:
        # Only stopword-like leftovers ("Ich suche einen Kurs ...")? Then there is no topic.
        topic = FILLER.sub(" ", stripped).strip(" ,.;:!?-")
        stripped = stripped if topic else ""
    parsed.text = stripped
    return parsed


def preference_bonus(course: dict[str, Any], soft: dict[str, Any]) -> float:
    """Soft preferences: + for a match, - for a conflict, 0 when the course does not say.

    A blended course is part online and part in person: a third of the bonus for either wish.
    """
    bonus = 0.0
    fmt = soft.get("format")
    if fmt and course.get("format"):
        if course["format"] == fmt:
            bonus += SOFT_BONUS
        elif course["format"] == "blended":
            bonus += SOFT_BONUS / 3
        else:
            bonus -= SOFT_BONUS
    level = soft.get("level")
    if level and course.get("level"):
        dist = abs(LEVELS.index(course["level"]) - LEVELS.index(level))
        bonus += SOFT_BONUS if dist == 0 else -SOFT_BONUS * dist
    if "max_cost_eur" in soft and course.get("cost_eur") is not None:
        bonus += SOFT_BONUS if course["cost_eur"] <= soft["max_cost_eur"] else -SOFT_BONUS
    if soft.get("short") and course.get("duration_hours") is not None:
        bonus += (
            SOFT_BONUS
            if course["duration_hours"] <= SHORT_HOURS
            else -SOFT_BONUS * min(1.0, (course["duration_hours"] - SHORT_HOURS) / 24)
        )
    return bonus


def with_preferences(
    fused: dict[int, float], soft: dict[str, Any], facets: Callable[[int], dict[str, Any]]
) -> dict[int, float]:
    """Fused scores plus the soft-preference bonus (the ranking users see before MMR)."""
    if not soft:
        return fused
    return {p: s + preference_bonus(facets(p), soft) for p, s in fused.items()}
