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
    *FORMATS,
    *LEVELS,
    ANY,
    "präsenz",
    "hybrid",
    "webinar",
    "e-learning",
    "einsteiger",
    "einsteigerin",
    "einsteiger*innen",
    "anfänger",
    "anfängerin",
    "anfänger*innen",
    "fortgeschrittene",
    "experten",
    "expertin",
    "expert*innen",
    "profi",
    "profis",
    "kostenlos",
    "gratis",
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
# Words the NLU sometimes tags as a role although they name no job.
_NOT_A_ROLE = {"team", "abteilung", "verwaltung", "stadt", "gemeinde", "kommune", "amt", "büro", "buero"}
# An entity boundary one word too far: "Kämmerei und", "Bauamt, aber".
_ROLE_SUFFIX = re.compile(r"\s+(und|oder|aber|sowie|bzw)\.?$", re.IGNORECASE)
_REQUEST_VERBS = r"brauche|suche|möchte|moechte|will|benötige|benoetige|hätte gern|haette gern"
_SKILL_PREFIX = re.compile(
    rf"^(ich\s+)?({_REQUEST_VERBS})?\s*(etwas|was|eine?\s+schulung|"
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


# Intents whose message may carry a problem description next to the role.
GAP_BEARING_INTENTS = {"inform_role", "inform_skill_gap", "request_recommendations"}
OTHER_WISHES = {"level", "cost", "duration"}
MIN_ENTITY_CONFIDENCE = 0.5
MIN_GAP_WORDS = 4
_SENTENCE_END = re.compile(r"[.!?;]+")
# Commas, dashes, and "und"/"aber" when a new clause starts ("… im Jugendamt und die Eltern sind …",
# "… im Standesamt und brauche Hilfe bei Excel").
_CLAUSE_SEPARATOR = re.compile(
    r",|\s[-–]\s|\s(?:und|aber)\s(?=(?:ich|wir|die|der|das|mir|mich|es|man|meine?|unsere?|oft|immer|"
    + _REQUEST_VERBS
    + r")\b)",
    re.IGNORECASE,
)
# A clause that asks for a topic: "brauche Hilfe bei Excel", "ich suche was zum Vergaberecht".
_REQUEST_CLAUSE = re.compile(rf"^(?:ich\s+)?(?:{_REQUEST_VERBS})\b", re.IGNORECASE)
_GENERIC_WISH = re.compile(
    r"((eine?n?|etwas|was|mal)\s+)*(weiterbildung|fortbildung|schulung|kurs|seminar|angebot|hilfe|was|etwas)"
    r"(\s+(dazu|hier|bitte))*",
    re.IGNORECASE,
)
_GREETING = re.compile(r"(hallo|hi|hey|moin|servus|guten|grüß|gruess|liebe|sehr geehrte)\b", re.IGNORECASE)
# "ich bin Projektleiter in der Stadtverwaltung", "ich arbeite als Hausmeisterin": a job title the NLU did not
# tag. German nouns are capitalised; "ich bin neu hier" is no role.
_ROLE_STATEMENT = re.compile(
    r"\b(?:ich\s+bin|ich\s+arbeite\s+als|bin)\s+(?:als\s+)?(?:ein|eine)?\s*"
    r"(?P<role>[A-ZÄÖÜ][\w*/-]+(?:\s+(?:in\s+der|in\s+einer|im|beim|bei\s+der|für\s+die|für\s+den|für)"
    r"\s+[A-ZÄÖÜ][\w-]+)?)"
)


def _entity_confidence(entity: dict[str, Any]) -> float:
    """DIET's confidence; entities from lookup tables or regexes carry none and count as sure."""
    return float(entity.get("confidence_entity", 1.0))


def without_unsure_entities(tracker: Tracker, entity_name: str, value: Any) -> Any:
    """The slot value without the entity values of the latest message the NLU was unsure about.

    DIET sometimes tags a stray word ("super" in "kostenlos wäre super" as a cost, "Papier" as a role);
    from_entity mappings take such words as they come. A value that only came from an unsure entity is
    replaced by the surest value of the same entity, or dropped if there is none.
    """
    entities = (tracker.latest_message or {}).get("entities") or []
    found = [e for e in entities if e.get("entity") == entity_name]
    sure = [e for e in found if _entity_confidence(e) >= MIN_ENTITY_CONFIDENCE]
    unsure = {str(e.get("value")) for e in found} - {str(e.get("value")) for e in sure}
    if not unsure or value is None:
        return value
    if isinstance(value, list):
        kept = [v for v in value if str(v) not in unsure]
        return kept or None
    if str(value) not in unsure:
        return value
    return max(sure, key=_entity_confidence).get("value") if sure else None


def entities_in_latest_message(tracker: Tracker) -> set[str]:
    return {str(e.get("entity")) for e in (tracker.latest_message or {}).get("entities") or []}


def role_spans(entities: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """Character spans of the role entities the NLU is reasonably sure about."""
    spans = []
    for entity in entities:
        if entity.get("entity") != "role" or entity.get("start") is None or entity.get("end") is None:
            continue
        if _entity_confidence(entity) < MIN_ENTITY_CONFIDENCE:
            continue
        spans.append((int(entity["start"]), int(entity["end"])))
    return spans


def _clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a text, each split further at commas and dashes."""
    spans = []
    for sentence in _split_spans(text, _SENTENCE_END, 0, len(text)):
        spans.extend(_split_spans(text, _CLAUSE_SEPARATOR, *sentence))
    return spans


def _split_spans(text: str, separator: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    spans, position = [], start
    for match in separator.finditer(text, start, end):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _tells_something(clause: str) -> bool:
    """Greetings and filler questions ("Hallo zusammen", "Was gibt es da?") are not part of a problem;
    a clause that is has a noun after its first word ("die Leute werden bei Kontrollen laut")."""
    words = clause.split()
    if not words or _GREETING.match(clause):
        return False
    return any(word[:1].isupper() for word in words[1:])


def role_statement(text: str) -> tuple[str, tuple[int, int]] | None:
    """A job title stated with "ich bin …" / "ich arbeite als …", and its span."""
    match = _ROLE_STATEMENT.search(text)
    if match is None:
        return None
    return match.group("role"), match.span("role")


def gaps_besides_role(text: str, roles: list[tuple[int, int]]) -> list[str]:
    """What a message says besides the role, from the clauses that do not contain the role.

    A clause asking for something ("brauche Hilfe bei Excel") gives that topic; the other clauses together
    are a described problem if they have four words or more ("Hallo" or "guten Morgen" are not). Only for
    messages that name a role. Long descriptions are cut at a word boundary to fit a skill slot.
    """
    if not roles:
        return []
    kept = [
        _clean(text[a:b])
        for a, b in _clauses(text)
        if not any(a < role_end and role_start < b for role_start, role_end in roles)
    ]
    gaps = []
    told = []
    for clause in filter(None, kept):
        if _REQUEST_CLAUSE.match(clause):
            topic = _clean(_SKILL_PREFIX.sub("", clause + " ", count=1))
            if topic and not _GENERIC_WISH.fullmatch(topic):
                gaps.append(topic[:MAX_SKILL_CHARS])
        elif _tells_something(clause):
            told.append(clause)
    description = _clean(", ".join(told))
    if len(description.split()) >= MIN_GAP_WORDS:
        if len(description) > MAX_SKILL_CHARS:
            description = description[: MAX_SKILL_CHARS + 1].rsplit(" ", 1)[0]
        gaps.append(description)
    return gaps


def has_role(role: Any) -> bool:
    return isinstance(role, str) and bool(role) and role != SKIPPED


def real_skills(skills: Any) -> list[str]:
    """Skill gaps without the skip marker."""
    if not isinstance(skills, list):
        return []
    return [s for s in skills if isinstance(s, str) and s and s != SKIPPED]


def _profile_message(tracker: Tracker) -> dict[str, Any] | None:
    """The latest user message if it is about the user's profile (may carry role and gap in free text)."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") not in GAP_BEARING_INTENTS:
        return None
    return message


class ValidateProfileForm(FormValidationAction):
    """Normalises what the user said; an unusable answer re-asks the same question."""

    def name(self) -> str:
        return "validate_profile_form"

    def validate_role(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        role = normalize_role(without_unsure_entities(tracker, "role", slot_value))
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
        if fmt is not None:
            return {"format_pref": fmt}
        if tracker.get_slot("requested_slot") != "format_pref":
            # A word tagged as a format in a message about something else ("vor", "super"): not an answer
            # to a question that was not asked. The form asks for the format when it is its turn.
            return {"format_pref": None}
        if entities_in_latest_message(tracker) & OTHER_WISHES:
            # An answer about level, cost or duration instead of format still answers "any wishes?".
            return {"format_pref": ANY}
        dispatcher.utter_message(response="utter_format_not_understood")
        return {"format_pref": None}

    def extract_role(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A job title the NLU did not tag ("ich bin Projektleiter in der Stadtverwaltung")."""
        if tracker.get_slot("role") is not None or tracker.get_slot("requested_slot") == "role":
            return {}
        message = _profile_message(tracker)
        if message is None or role_spans(message.get("entities") or []):
            return {}
        stated = role_statement(str(message.get("text") or ""))
        return {"role": stated[0]} if stated else {}

    def extract_skill_gaps(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """What the user said next to the role is the skill gap, so the form does not ask for it again:
        a problem told in plain words ("Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft laut")
        or a topic the NLU did not tag ("… und brauche Hilfe bei Exel")."""
        if tracker.get_slot("skill_gaps") is not None or tracker.get_slot("requested_slot") == "skill_gaps":
            return {}
        message = _profile_message(tracker)
        if message is None:
            return {}
        entities = message.get("entities") or []
        if any(entity.get("entity") == "skill" for entity in entities):
            return {}
        text = str(message.get("text") or "")
        spans = role_spans(entities)
        stated = role_statement(text)
        if stated and not spans:
            spans = [stated[1]]
        gaps = gaps_besides_role(text, spans)
        return {"skill_gaps": gaps} if gaps else {}


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
