"""Learner profile: normalising role, skill gaps and preferences, and the ``profile_form`` validation.

The form asks only for what is missing (role, skill gaps, format). Anything the user says early or all at once
is picked up by the slot mappings in ``bot/domain/profile.yml``; this module turns the raw values into
canonical ones. ``SKIPPED`` marks a question the user chose not to answer, ``ANY`` a preference the user
does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

SKIPPED = "__skipped__"
ANY = "any"

FORMATS = ("online", "praesenz", "blended")
LEVELS = ("einsteiger", "fortgeschritten", "experte")

MAX_ROLE_CHARS = 80
MAX_SKILL_CHARS = 120
HOURS_PER_DAY = 8.0
HOURS_PER_WEEK = 40.0
DEFAULT_SHORT_HOURS = 8.0

# Surface forms -> canonical values, for free text the NLU did not map (answers to the form question,
# synonym misses). Checked in order; the first hit wins.
_FORMAT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("blended", re.compile(r"hybrid|blended|gemischt|kombiniert|teils")),
    (
        "online",
        re.compile(r"online|onlein|digital|virtuell|webinar|e-?learning|remote|video|zu hause|homeoffice"),
    ),
    ("praesenz", re.compile(r"pr(ä|ae|e)senz|vor ort|persönlich|persoenlich|inhouse|face to face|in echt")),
]
_LEVEL_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("einsteiger", re.compile(r"einst|anf(ä|ae)ng|grundlage|basis|neuling|leicht|einf(ü|ue)hr")),
    ("fortgeschritten", re.compile(r"fortgeschr|aufbau|vertief|mittel")),
    ("experte", re.compile(r"expert|profi|spezialist|vertieft")),
]
_NO_PREFERENCE = re.compile(
    r"\b(egal|keine?n?|nein|beliebig|gleich|alles|wurscht|wumpe|ohne|überspring|ueberspring"
    r"|weiß nicht|weiss nicht)\b"
)
_PREFERENCE_WORDS = {
    *FORMATS, *LEVELS, ANY, "präsenz", "hybrid", "webinar", "e-learning", "einsteiger", "einsteigerin",
    "einsteiger*innen", "anfänger", "anfängerin", "anfänger*innen", "fortgeschrittene", "experten",
    "expertin", "expert*innen", "profi", "profis", "kostenlos", "gratis",
}
_FREE = re.compile(
    r"kostenlos|kostenfrei|gratis|umsonst|nichts kost|kostet nichts|free\b|(?<![\d.,])0\s*(€|euro)"
)
_CHEAPER = re.compile(r"günstig|guenstig|billig|preiswert|weniger|spar")
_SHORTER = re.compile(r"kürzer|kuerzer|kurz|kompakt|schnell|knapp")

_NUMBER_WORDS = {
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "einem": 1,
    "einer": 1,
    "eins": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "fuenf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "zwölf": 12,
    "zwoelf": 12,
    "zwanzig": 20,
    "dreißig": 30,
    "dreissig": 30,
    "vierzig": 40,
    "fünfzig": 50,
    "hundert": 100,
    "halben": 0.5,
    "halbe": 0.5,
    "halber": 0.5,
}
_QUANTITY = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\s*"
    r"(?P<half>halbe[nr]?\s+)?(?P<unit>stunden?|std\.?|h\b|tage?n?s?|woche?n?|minuten?|min\b)?"
)
_ROLE_PREFIX = re.compile(
    r"^(ich\s+)?(bin|arbeite|mache|habe)?\s*(als|in\s+der|in\s+einer|in\s+einem|im|in|beim|bei\s+der|bei|"
    r"für\s+die|für\s+den|die|der|das|eine?)?\s+",
    re.IGNORECASE,
)
_SKILL_PREFIX = re.compile(
    r"^(ich\s+)?(brauche|möchte|moechte|will|suche|benötige|benoetige)?\s*(etwas|was|eine?\s+schulung|"
    r"eine?\s+weiterbildung|hilfe)?\s*(zu|zum|zur|in|im|bei|über|ueber)?\s+",
    re.IGNORECASE,
)
_SKILL_SPLIT = re.compile(r",|;|/|\bund\b|\bsowie\b|\bplus\b", re.IGNORECASE)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .!?,;:-\"'„“")


def _is_payload(text: str) -> bool:
    """Button payloads such as ``/skip`` must never end up as profile values."""
    return text.startswith("/")


def normalize_role(value: Any) -> str | None:
    """Canonical role text (``SKIPPED`` stays as is); ``None`` if unusable."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[-1] if value else None
        if value is None:
            return None
    text = _clean(str(value))
    if text == SKIPPED:
        return SKIPPED
    if not text or _is_payload(text):
        return None
    stripped = _clean(_ROLE_PREFIX.sub("", text, count=1))
    text = stripped or text
    if len(text) > MAX_ROLE_CHARS or not re.search(r"[a-zA-ZäöüÄÖÜß]", text):
        return None
    return text


def _is_preference_word(text: str) -> bool:
    """A single word that is a format or level wish ("Experten", "online"), mis-tagged as a topic."""
    return text.casefold() in _PREFERENCE_WORDS


def normalize_skills(value: Any) -> list[str] | None:
    """List of distinct skill phrases (several may come in one message); ``None`` if none is usable.

    Entity values arrive as a list already; free-text answers are split at commas and "und".
    """
    if value is None:
        return None
    if isinstance(value, str):
        if _clean(value) == SKIPPED:
            return [SKIPPED]
        if _is_payload(_clean(value)):
            return None
        raw_items: Iterable[Any] = _SKILL_SPLIT.split(_SKILL_PREFIX.sub("", _clean(value), count=1))
    else:
        raw_items = value
    skills: list[str] = []
    seen: set[str] = set()
    for item in raw_items:
        if item is None:
            continue
        text = _clean(str(item))
        if text == SKIPPED:
            return [SKIPPED]
        if not text or _is_payload(text) or len(text) > MAX_SKILL_CHARS or _is_preference_word(text):
            continue
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            skills.append(text)
    return skills or None


def _no_preference(text: str) -> bool:
    """Short answers like "egal" or "keine Vorgabe"; longer sentences with "kein" mean something else."""
    return len(text.split()) <= 4 and bool(_NO_PREFERENCE.search(text))


def _match_patterns(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    for canonical, pattern in patterns:
        if pattern.search(text):
            return canonical
    return None


def normalize_format(value: Any) -> str | None:
    """``online`` | ``praesenz`` | ``blended`` | ``ANY`` (no preference) | ``None`` (not understood)."""
    if value is None:
        return None
    text = _clean(str(value)).casefold()
    if text in FORMATS or text == ANY:
        return text
    if not text:
        return None
    found = _match_patterns(text, _FORMAT_PATTERNS)
    if found:
        return found
    if _no_preference(text):
        return ANY
    return None


def normalize_level(value: Any) -> str | None:
    """``einsteiger`` | ``fortgeschritten`` | ``experte`` | ``ANY`` | ``None`` (not understood)."""
    if value is None:
        return None
    text = _clean(str(value)).casefold()
    if text in LEVELS or text == ANY:
        return text
    if not text:
        return None
    found = _match_patterns(text, _LEVEL_PATTERNS)
    if found:
        return found
    if _no_preference(text):
        return ANY
    return None


def _to_number(token: str) -> float | None:
    token = token.casefold()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    try:
        return float(token.replace(",", "."))
    except ValueError:
        return None


def parse_duration_hours(value: Any, shown_durations: Iterable[float] = ()) -> float | str | None:
    """Upper duration limit in hours from text like "höchstens zwei Stunden", "einen halben Tag".

    Returns a number, ``ANY`` (no limit) or ``None`` (not understood). Relative wishes ("was Kürzeres")
    mean: no longer than the shortest offer shown so far (8 hours if nothing was shown yet).
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
    match = None
    for candidate in _QUANTITY.finditer(text):
        if candidate.group("unit") or candidate.group("half"):
            match = candidate
            break
    if match is not None:
        number = _to_number(match.group("num")) or 1.0
        if match.group("half"):
            number *= 0.5
        unit = (match.group("unit") or "tag").casefold()
        if unit.startswith("tag"):
            return number * HOURS_PER_DAY
        if unit.startswith("woch"):
            return number * HOURS_PER_WEEK
        if unit.startswith("min"):
            return round(number / 60.0, 2)
        return number
    if re.search(r"halbe[nr]?\s+tag|halbtag", text):
        return HOURS_PER_DAY / 2
    if re.search(r"\btag\b|tagesseminar|eintägig|eintaegig", text):
        return HOURS_PER_DAY
    if _SHORTER.search(text):
        durations = [float(d) for d in shown_durations if isinstance(d, int | float) and d > 0]
        return min(durations) if durations else DEFAULT_SHORT_HOURS
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
    if _FREE.search(text):
        return 0.0
    if text == ANY or _no_preference(text) and not re.search(r"\d", text):
        return ANY
    number = re.search(r"\d+(?:[.,]\d+)?", text.replace(".", "") if re.search(r"\d\.\d{3}", text) else text)
    if number:
        return float(number.group(0).replace(",", "."))
    for word, amount in _NUMBER_WORDS.items():
        if re.search(rf"\b{word}\s*hundert\b", text):
            return float(amount * 100)
    if _CHEAPER.search(text):
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


def has_role(role: Any) -> bool:
    return isinstance(role, str) and bool(role) and role != SKIPPED


def real_skills(skills: Any) -> list[str]:
    """Skill gaps without the skip marker."""
    if not isinstance(skills, list):
        return []
    return [s for s in skills if isinstance(s, str) and s and s != SKIPPED]


class ValidateProfileForm(FormValidationAction):
    """Normalises what the user said; an unusable answer re-asks the same question."""

    def name(self) -> str:
        return "validate_profile_form"

    def validate_role(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        role = normalize_role(slot_value)
        if role is None:
            dispatcher.utter_message(response="utter_role_not_understood")
        return {"role": role}

    def validate_skill_gaps(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        skills = normalize_skills(slot_value)
        if skills is None:
            dispatcher.utter_message(response="utter_skill_gaps_not_understood")
        return {"skill_gaps": skills}

    def validate_format_pref(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        fmt = normalize_format(slot_value)
        if fmt is None:
            # An answer about level, cost or duration instead of format still answers "any wishes?".
            other = tracker.slots_to_validate()
            if any(
                other.get(name) is not None for name in ("level_pref", "max_cost_eur", "max_duration_hours")
            ):
                return {"format_pref": ANY}
            dispatcher.utter_message(response="utter_format_not_understood")
        return {"format_pref": fmt}


class ActionClearSkillGaps(Action):
    """ "Andere Themen": forget the current topics unless the user named new ones in the same message."""

    def name(self) -> str:
        return "action_clear_skill_gaps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        new_skills = normalize_skills(list(tracker.get_latest_entity_values("skill")))
        return [SlotSet("skill_gaps", new_skills)]


class ActionPauseProfile(Action):
    """A membership cost question interrupts the profile form: stop it and remember to come back."""

    def name(self) -> str:
        return "action_pause_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("profile_interrupted", True)]


class ActionResumeProfile(Action):
    """Back from a membership digression: say so and clear the interruption flag (the form asks next)."""

    def name(self) -> str:
        return "action_resume_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_back_to_profile")
        return [SlotSet("profile_interrupted", False)]
