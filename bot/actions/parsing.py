"""Turning what a user said into profile values: role, format, level, cost and duration limits, offer
numbers, entity confidence. Plain inputs (text, entity dicts, slot values), no Rasa. (The needs a message
states are taken by ``bot.actions.needs``.)

The form (``bot.actions.profile``) and the recommendations (``bot.actions.recommendations``) both use it.
``SKIPPED`` marks a question the user chose not to answer, ``ANY`` a preference the user does not have.
German words and numbers come from the ``german`` package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from german import numbers, quantities
from german.quantities import cost_wish, duration_wish
from german.vocabulary import (
    ANY,
    FORMATS,
    LEVELS,
    format_in_answer,
    format_wish,
    level_in_answer,
    without_topic_basics,
)
from german.vocabulary import no_preference as _no_preference

SKIPPED = "__skipped__"

MAX_ROLE_CHARS = 80
DEFAULT_SHORT_HOURS = 8.0
MIN_ENTITY_CONFIDENCE = 0.5

_ROLE_PREFIX = re.compile(
    r"^(ich\s+)?(bin|arbeite|mache|habe)?\s*(als|in\s+der|in\s+einer|in\s+einem|im|in|beim|bei\s+der|bei|"
    r"für\s+die|für\s+den|die|der|das|eine?)?\s+",
    re.IGNORECASE,
)
# Words the NLU sometimes tags as a role although they name no job.
_NOT_A_ROLE = {"team", "abteilung", "verwaltung", "stadt", "gemeinde", "kommune", "amt", "büro", "buero"}
# An entity boundary one word too far: "Kämmerei und", "Bauamt, aber".
_ROLE_SUFFIX = re.compile(r"\s+(und|oder|aber|sowie|bzw)\.?$", re.IGNORECASE)
# "ich bin Projektleiter in der Stadtverwaltung", "ich arbeite als Hausmeisterin": a job title the NLU did not
# tag. German nouns are capitalised; "ich bin neu hier" is no role.
_ROLE_STATEMENT = re.compile(
    r"\b(?:ich\s+bin|ich\s+arbeite\s+als|bin)\s+(?:als\s+)?(?:ein|eine)?\s*"
    r"(?P<role>[A-ZÄÖÜ][\w*/-]+(?:\s+(?:in\s+der|in\s+einer|im|beim|bei\s+der|für\s+die|für\s+den|für)"
    r"\s+[A-ZÄÖÜ][\w-]+)?)"
)


# Entities that carry a wish about the offers (not their topic).
WISH_ENTITIES = frozenset({"format", "level", "cost", "duration"})


def states_wish(text: str, entities: Iterable[dict[str, Any]] = (), with_any: bool = False) -> bool:
    """The message asks for a format, level, cost or duration limit ("kostenlos?", "lieber online"), in words
    or as an entity the NLU is sure about; with ``with_any`` also "das Format ist mir egal"."""
    fmt = format_wish(text)
    if cost_wish(text) or duration_wish(text) or level_in_answer(without_topic_basics(text).lower()):
        return True
    if fmt is not None and (with_any or fmt != ANY):
        return True
    return any(
        e.get("entity") in WISH_ENTITIES and entity_confidence(e) >= MIN_ENTITY_CONFIDENCE for e in entities
    )


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .!?,;:-\"'„“")


def _is_payload(text: str) -> bool:
    """Button payloads such as ``/skip`` must never end up as profile values."""
    return text.startswith("/")


# -- role and skill gaps ------------------------------------------------------------------------------
def normalize_role(value: Any) -> str | None:
    """Canonical role text (``SKIPPED`` stays as is); ``None`` if unusable."""
    if value is None:
        return None
    if isinstance(value, list):
        # Several role entities ("Kita-Leitung, … Konflikte im Team"): the last one that names a job.
        named = [v for v in value if v is not None and _clean(str(v)).casefold() not in _NOT_A_ROLE]
        value = (named or value or [None])[-1]
        if value is None:
            return None
    text = _clean(str(value))
    if text == SKIPPED:
        return SKIPPED
    if not text or _is_payload(text):
        return None
    stripped = _clean(_ROLE_SUFFIX.sub("", _ROLE_PREFIX.sub("", text, count=1)))
    text = stripped or text
    if len(text) > MAX_ROLE_CHARS or not re.search(r"[a-zA-ZäöüÄÖÜß]", text):
        return None
    return text


def has_role(role: Any) -> bool:
    return isinstance(role, str) and bool(role) and role != SKIPPED


def real_skills(skills: Any) -> list[str]:
    """Skill gaps without the skip marker."""
    if not isinstance(skills, list):
        return []
    return [s for s in skills if isinstance(s, str) and s and s != SKIPPED]


# -- preferences ---------------------------------------------------------------------------------------
def _canonical(value: Any, canonical: tuple[str, ...], named: Any) -> str | None:
    """A canonical value, ``ANY`` (no preference) or ``None`` (not understood) from an answer."""
    if value is None:
        return None
    text = _clean(str(value)).casefold()
    if text in canonical or text == ANY:
        return text
    if not text:
        return None
    found = named(text)
    if found:
        return str(found)
    if _no_preference(text):
        return ANY
    return None


def normalize_format(value: Any) -> str | None:
    """``online`` | ``praesenz`` | ``blended`` | ``ANY`` (no preference) | ``None`` (not understood)."""
    return _canonical(value, FORMATS, format_in_answer)


def normalize_level(value: Any) -> str | None:
    """``einsteiger`` | ``fortgeschritten`` | ``experte`` | ``ANY`` | ``None`` (not understood)."""
    return _canonical(value, LEVELS, level_in_answer)


def parse_duration_hours(value: Any, shown_durations: Iterable[float] = ()) -> float | str | None:
    """Upper duration limit in hours from text like "höchstens zwei Stunden", "einen halben Tag".

    Returns a number, ``ANY`` (no limit) or ``None`` (not understood). Relative wishes ("was Kürzeres")
    mean: no longer than the shortest offer shown so far (8 hours if nothing was shown yet); a short offer as
    such ("was Kurzes", "kompakt") means at most 8 hours, one day.
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    text = _clean(str(value)).casefold()
    if not text:
        return None
    if text == ANY or _no_preference(text) and not re.search(r"\d", text):
        return ANY
    hours = quantities.duration_hours(text)
    if hours is not None:
        return hours
    if quantities.asks_shorter(text):
        durations = [float(d) for d in shown_durations if isinstance(d, int | float) and d > 0]
        if quantities.shorter_than_shown(text) and durations:
            return min(durations)
        return DEFAULT_SHORT_HOURS
    return None


def parse_cost_eur(value: Any, shown_costs: Iterable[float] = ()) -> float | str | None:
    """Upper cost limit in euro from text like "unter 200 Euro" or "kostenlos".

    Returns a number, ``ANY`` (no limit) or ``None`` (not understood). "Günstiger" means: below the
    cheapest offer shown so far, or free of charge if that was free already.
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    text = _clean(str(value)).casefold()
    if not text:
        return None
    if quantities.is_free(text):
        return 0.0
    if text == ANY or _no_preference(text) and not re.search(r"\d", text):
        return ANY
    amount = quantities.amount_eur(text)
    if amount is not None:
        return amount
    if quantities.asks_cheaper(text):
        costs = [float(c) for c in shown_costs if isinstance(c, int | float) and c >= 0]
        if not costs:
            return None
        cheapest = min(costs)
        return max(0.0, cheapest - 1.0) if cheapest > 0 else 0.0
    return None


def shown_values(last_results: Any, key: str) -> list[float]:
    """Numeric ``key`` values of the offers shown last (for relative wishes such as "kürzer")."""
    if not isinstance(last_results, list):
        return []
    values = []
    for item in last_results:
        if isinstance(item, dict) and isinstance(item.get(key), int | float):
            values.append(float(item[key]))
    return values


def parse_ordinal(value: Any, count: int) -> int | None:
    """1-based position from an ordinal ("2", "zweite", "letzte"); ``None`` if invalid for ``count``."""
    return numbers.ordinal(value, count)


# -- entities -------------------------------------------------------------------------------------------
def entity_confidence(entity: dict[str, Any]) -> float:
    """DIET's confidence; entities from lookup tables or regexes carry none and count as sure."""
    return float(entity.get("confidence_entity", 1.0))


def without_unsure(entities: Iterable[dict[str, Any]], entity_name: str, value: Any) -> Any:
    """``value`` without the values of ``entity_name`` entities the NLU was unsure about.

    DIET sometimes tags a stray word ("super" in "kostenlos wäre super" as a cost, "Papier" as a role);
    from_entity mappings take such words as they come. A value that only came from an unsure entity is
    replaced by the surest value of the same entity, or dropped if there is none.
    """
    found = [e for e in entities if e.get("entity") == entity_name]
    sure = [e for e in found if entity_confidence(e) >= MIN_ENTITY_CONFIDENCE]
    unsure = {str(e.get("value")) for e in found} - {str(e.get("value")) for e in sure}
    if not unsure or value is None:
        return value
    if isinstance(value, list):
        kept = [v for v in value if str(v) not in unsure]
        return kept or None
    if str(value) not in unsure:
        return value
    return max(sure, key=entity_confidence).get("value") if sure else None


def role_spans(entities: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """Character spans of the role entities the NLU is reasonably sure about."""
    spans = []
    for entity in entities:
        if entity.get("entity") != "role" or entity.get("start") is None or entity.get("end") is None:
            continue
        if entity_confidence(entity) < MIN_ENTITY_CONFIDENCE:
            continue
        spans.append((int(entity["start"]), int(entity["end"])))
    return spans


# -- a job title stated in a sentence ------------------------------------------------------------------
def role_statement(text: str) -> tuple[str, tuple[int, int]] | None:
    """A job title stated with "ich bin …" / "ich arbeite als …", and its span."""
    match = _ROLE_STATEMENT.search(text)
    if match is None:
        return None
    return match.group("role"), match.span("role")


def last_reply(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the assistant's reply to the previous user message (between it and the latest one)."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return []
    start = users[-2] + 1 if len(users) > 1 else 0
    return events[start : users[-1]]
