"""Membership cost calculator of KommunalCampus eG and its thin Rasa actions.

Plain functions (terms loading, German number parsing, tier lookup) carry the logic; the actions only read
the tracker and utter domain responses. All figures come from `bot/membership/terms.yml`; all German
sentences live in `bot/domain/membership.yml`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.parsing import last_reply
from german.numbers import (
    APPROX_BEFORE,
    LESS_THAN_BEFORE,
    MORE_THAN_BEFORE,
    NEGATIVE_BEFORE,
    NUMBER_IN_TEXT,
    cardinal,
    number_value,
)

TERMS_PATH = Path(__file__).resolve().parents[1] / "membership" / "terms.yml"
TERMS_ENV = "KC_MEMBERSHIP_TERMS"

# Counts above this are treated as a typo rather than a real administration.
PLAUSIBLE_MAX_EMPLOYEES = 1_000_000


# --------------------------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Tier:
    stage: int
    min: int
    max: int | None
    shares: int
    label: str

    def contains(self, count: int) -> bool:
        return count >= self.min and (self.max is None or count <= self.max)


@dataclass(frozen=True)
class UnknownTopic:
    id: str
    label: str
    keywords: tuple[str, ...]
    known: str = ""  # what the sources do say next to the unknown part (German, shown first)
    # Regular expressions on the lower-cased text, for questions no fixed phrase catches ("Ist unsere
    # Stadt da eigentlich Mitglied bei euch?" asks for the member list, "Wie werden wir Mitglied?" does not).
    patterns: tuple[re.Pattern[str], ...] = ()
    # Regular expressions that mark the text as about something else that shares a keyword ("die
    # Friedhofsgebühren neu kalkulieren, letzte Satzung ist von 2011" is a municipal bylaw, not the statute).
    unless: tuple[re.Pattern[str], ...] = ()

    def named_in(self, low: str) -> bool:
        """The lower-cased text asks about this topic."""
        if any(p.search(low) for p in self.unless):
            return False
        return any(k in low for k in self.keywords) or any(p.search(low) for p in self.patterns)


@dataclass(frozen=True)
class Terms:
    share_price_eur: int
    tiers: tuple[Tier, ...]
    unknown_topics: tuple[UnknownTopic, ...]


class TermsError(ValueError):
    """terms.yml is missing data or its tiers do not cover 1..infinity without gaps."""


def parse_terms(data: dict[str, Any]) -> Terms:
    """Validate the raw YAML so an administrator's typo fails loudly at start-up, not in a chat."""
    try:
        price = int(data["share_price_eur"])
        tiers = tuple(
            Tier(
                stage=int(t["stage"]),
                min=int(t["min"]),
                max=None if t.get("max") is None else int(t["max"]),
                shares=int(t["shares"]),
                label=str(t["label"]),
            )
            for t in data["tiers"]
        )
        topics = tuple(
            UnknownTopic(
                id=str(u["id"]),
                label=str(u["label"]),
                keywords=tuple(k.lower() for k in u["keywords"]),
                known=str(u.get("known") or ""),
                patterns=tuple(re.compile(str(p)) for p in u.get("patterns") or ()),
                unless=tuple(re.compile(str(p)) for p in u.get("unless") or ()),
            )
            for u in data.get("unknown_topics", [])
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise TermsError(f"terms.yml: missing or malformed field: {exc!r}") from exc
    if price <= 0:
        raise TermsError("terms.yml: share_price_eur must be positive")
    if not tiers or tiers[0].min != 1:
        raise TermsError("terms.yml: tiers must start at 1 employee")
    for prev, cur in zip(tiers, tiers[1:], strict=False):
        if prev.max is None or cur.min != prev.max + 1:
            raise TermsError(f"terms.yml: gap or overlap between tier {prev.stage} and tier {cur.stage}")
    if tiers[-1].max is not None:
        raise TermsError("terms.yml: the last tier must be open-ended (max: null)")
    return Terms(share_price_eur=price, tiers=tiers, unknown_topics=topics)


def load_terms(path: str | Path | None = None) -> Terms:
    """Load terms from `path`, env `KC_MEMBERSHIP_TERMS` or the repository default."""
    resolved = Path(path or os.environ.get(TERMS_ENV) or TERMS_PATH)
    return _load_terms_cached(str(resolved))


@lru_cache(maxsize=4)
def _load_terms_cached(path: str) -> Terms:
    with open(path, encoding="utf-8") as fh:
        return parse_terms(yaml.safe_load(fh))


def find_tier(terms: Terms, count: int) -> Tier:
    for tier in terms.tiers:
        if tier.contains(count):
            return tier
    raise ValueError(f"no tier for employee count {count}")


def format_de(number: int) -> str:
    """German thousands separator: 12500 -> '12.500'."""
    return f"{number:,}".replace(",", ".")


def quote(terms: Terms, count: int) -> dict[str, Any]:
    """Template variables for the cost answer (see utter_membership_cost_* in the domain)."""
    tier = find_tier(terms, count)
    return {
        "count": format_de(count),
        "stage": tier.stage,
        "range_label": tier.label,
        "shares": tier.shares,
        "price": format_de(terms.share_price_eur),
        "total": format_de(tier.shares * terms.share_price_eur),
    }


def about_something_else(terms: Terms, text: str) -> bool:
    """The text is about something that only shares words with the cooperative's unknown topics (a
    municipality's own bylaw or fees: the ``unless`` patterns of terms.yml)."""
    low = text.lower()
    return any(p.search(low) for topic in terms.unknown_topics for p in topic.unless)


def detect_unknown_topic(terms: Terms, text: str) -> UnknownTopic | None:
    low = text.lower()
    for topic in terms.unknown_topics:
        if topic.named_in(low):
            return topic
    return None


# ------------------------------------------------------------------------------------ number parsing


@dataclass(frozen=True)
class CountParse:
    """Result of reading an employee count. `problem` is one of
    None, 'missing', 'not_positive', 'not_integer', 'implausible'."""

    value: int | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.value is not None


_EMPLOYEE_WORDS = re.compile(
    r"besch(ä|ae)ftigt|mitarbeit|\bma\b|bedienstet|personal|angestellt|kolleg|leut|\bleid\b|\bleit\b|"
    r"l(?:ü|ue)(?:ü|ue)?d\b|k(ö|oe)pfe|stellen|"
    r"personen|menschen|mann\b|vz(ä|ae)"
)
# "Was kostet ein Geschäftsanteil?", "Preis pro Anteil", "Und ein einzelner Anteil?": the price of one share.
_SHARE_PRICE = re.compile(
    # "Was kostet bei euch eigentlich so ein Genossenschaftsanteil?"
    r"\b(?:ein(?:en|es)?|einzelne[rns]?|je|pro|der|einem|so\s+a|oa)\s+(?:einzelne[rns]?\s+)?"
    r"(?:gesch(?:ä|ae)fts|genossenschafts)?anteils?\b|"
    r"anteilspreis|preis\s+(?:eines|je|pro|f(?:ü|ue)r\s+einen)\s+(?:gesch(?:ä|ae)fts|genossenschafts)?anteil"
)
_MEMBERSHIP_COST = re.compile(
    r"(?:kost|teuer|preis|zahlen).{0,60}(?:mitglied|beitr(?:i|e)tt|anteil)|"
    r"(?:mitglied|beitr(?:i|e)tt|anteil).{0,60}(?:kost|teuer|preis)"
)
_NOT_A_COUNT_AFTER = re.compile(r"^\s*(€|euro\b|eur\b|%|prozent|anteil|gesch(ä|ae)ftsanteil|jahr)")
_NOT_A_COUNT_BEFORE = re.compile(r"\b(stufe|nr\.?|nummer|ziffer|seit)\s*$")
# "im Jahr 2020" names a year; "nächstes Jahr einundfünfzig" a count in a year to come.
_YEAR_BEFORE = re.compile(r"\b(jahr|jahre|jahres)\s*$")
FIRST_YEAR, LAST_YEAR = 1900, 2100
# "Stand Stellenplan 2024": the year of a source, unless a word for staff follows ("laut Stellenplan
# zweitausendeins Beschäftigte").
_SOURCE_YEAR_BEFORE = re.compile(r"\b(stand|stellenplans?|haushalt\w*|anno)\s*$")
# "Da kommen noch zwei Stellen dazu", "plus drei": a change of the count.
_CHANGE_AFTER = re.compile(
    r"\s*(?:\w+\s+)?(?:dazu|hinzu|mehr|weniger|zus(?:ä|ae)tzlich|weg|abbauen|abgebaut|wegfallen|streichen)\b"
)
_CHANGE_BEFORE = re.compile(r"\b(?:noch|plus|minus|weitere)\s*$")
# "2001 Leute, also gerade so über zweitausend": a bound that restates the count, not a second count compared.
_BOUND_BEFORE = re.compile(
    r"\b(?:über|ueber|unter|mehr\s+als|weniger\s+als|knapp|gut|fast|etwas\s+mehr\s+als|gerade\s+so)\s*$"
)

_WORD = re.compile(r"[a-zäöüß]+")
# Words that lead to the resulting head count after a change ("zwei Stellen weniger, also 499").
_RESULT_BEFORE = re.compile(
    r"(?:\balso|\bdann|\bsprich|\binsgesamt|\bzusammen|\bmacht|\bd\.\s?h\.|=)"
    r"(?:\s+(?:sind|w(?:ä|ae)ren|h(?:ä|ae)tten|haben|k(?:ä|ae)men|kommen|wir|es|bei|auf|genau|ca\.?|rund)\b)*\s*$"
)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    value: float
    near_keyword: bool


def _normalise(text: str) -> str:
    for space in ("\u00a0", "\u202f", "\u2009", "\u2007"):
        text = text.replace(space, " ")
    return re.sub(r"[ \t]+", " ", text.lower())


def _candidates(text: str) -> list[_Candidate]:
    spans: list[tuple[int, int, float]] = []
    for m in NUMBER_IN_TEXT.finditer(text):
        spans.append((m.start(), m.end(), number_value(m)))
    taken = list(spans)
    # Number words: join runs of adjacent number-word tokens ("zwei tausend fünfhundert").
    words = [w for w in _WORD.finditer(text) if not any(s <= w.start() < e for s, e, _ in taken)]
    i = 0
    while i < len(words):
        best: tuple[int, int] | None = None
        for j in range(i, min(i + 4, len(words))):
            if j > i and text[words[j - 1].end():words[j].start()].strip():
                break
            value = cardinal("".join(w.group() for w in words[i:j + 1]))
            if value is not None:
                best = (j, value)
        if best is None:
            i += 1
            continue
        j, value = best
        spans.append((words[i].start(), words[j].end(), float(value)))
        i = j + 1
    spans.sort()
    result = []
    for k, (start, end, amount) in enumerate(spans):
        next_start = spans[k + 1][0] if k + 1 < len(spans) else len(text)
        before, after = text[max(0, start - 30):start], text[end:min(end + 30, next_start)]
        if _NOT_A_COUNT_AFTER.search(after) or _NOT_A_COUNT_BEFORE.search(before):
            continue
        if _YEAR_BEFORE.search(before) and FIRST_YEAR <= amount <= LAST_YEAR:
            continue
        near = bool(_EMPLOYEE_WORDS.search(" ".join(after.split()[:2])))
        if not near and _SOURCE_YEAR_BEFORE.search(before):
            continue
        result.append(_Candidate(start, end, amount, near))
    return result


def parse_employee_count(text: str | None) -> CountParse:
    """Read an employee count from free German text ('ca. 1.850 Beschäftigte', 'zweitausend', '12 500')."""
    if not text or not text.strip():
        return CountParse(None, "missing")
    norm = _normalise(text)
    cands = _candidates(norm)
    if not cands:
        return CountParse(None, "missing")
    # "Da kommen noch zwei Stellen dazu": a change of the count, not the count (when another number is there)
    changes = [c for c in cands if _CHANGE_AFTER.match(norm[c.end:c.end + 30]) or _CHANGE_BEFORE.search(
        norm[max(0, c.start - 20):c.start])]
    if changes and len(changes) < len(cands):
        cands = [c for c in cands if c not in changes]
    keyed = [c for c in cands if c.near_keyword]
    # "wenn wir zwei Stellen abbauen, also 499?": the count the sentence arrives at, not the change; "also
    # gerade so über zweitausend" restates a bound, not the count
    result = [
        c
        for c in cands
        if (c is cands[-1] or c.near_keyword)
        and _RESULT_BEFORE.search(norm[max(0, c.start - 40):c.start])
        and not (len(cands) > 1 and _BOUND_BEFORE.search(norm[max(0, c.start - 30):c.start]))
    ]
    chosen = result[-1] if result else keyed[0] if keyed else cands[-1]
    before = APPROX_BEFORE.sub("", norm[:chosen.start]).rstrip() + " "
    value = chosen.value
    if NEGATIVE_BEFORE.search(norm[:chosen.start]) or NEGATIVE_BEFORE.search(before.rstrip()):
        return CountParse(None, "not_positive")
    if value != int(value):
        return CountParse(None, "not_integer")
    count = int(value)
    if MORE_THAN_BEFORE.search(before.rstrip()):
        count += 1
    elif LESS_THAN_BEFORE.search(before.rstrip()):
        count -= 1
    if count < 1:
        return CountParse(None, "not_positive")
    if count > PLAUSIBLE_MAX_EMPLOYEES:
        return CountParse(None, "implausible")
    return CountParse(count)


def asks_share_price(text: str | None) -> bool:
    """The question is about the price of one share ("Was kostet ein Geschäftsanteil?"), not about what
    membership costs a given administration (that needs the number of employees)."""
    return bool(text) and bool(_SHARE_PRICE.search(_normalise(str(text))))


def asks_membership_cost(text: str | None) -> bool:
    """The message asks what membership (joining, the shares) costs, not who pays the cooperative."""
    return bool(text) and bool(_MEMBERSHIP_COST.search(_normalise(str(text))))


# "Ab wann wären es sechs Anteile?", "Ab wie vielen Beschäftigten braucht man 3 Geschäftsanteile?": the number
# of shares is given and the head count is asked.
_SHARES_GIVEN = re.compile(r"\b(?P<number>\d+|[a-zäöüß]+)\s+(?:gesch(?:ä|ae)fts)?anteile?n?\b")
_ASKS_FOR_COUNT = re.compile(
    r"\bab\s+(?:wann|wie\s*viel\w*|welche[rm]?)|\bwie\s*viele\s+(?:besch(?:ä|ae)ftigt|mitarbeit|leute)|"
    r"\bwann\s+(?:sind|w(?:ä|ae)ren|braucht|brauchen|muss|m(?:ü|ue)ssen)|\bbei\s+wie\s*viel"
)
# Several head counts compared in one message ("Wir haben 250 Beschäftigte, die Nachbargemeinde hat 251"):
# every one of them at least this large, so that "2 Standorte mit 300 Beschäftigten" stays one count.
MIN_COMPARED_COUNT = 20
MAX_COMPARED_COUNTS = 3


def shares_asked(text: str | None) -> int | None:
    """The number of shares whose head-count range the message asks for, or None."""
    norm = _normalise(str(text or ""))
    if not _ASKS_FOR_COUNT.search(norm):
        return None
    for match in _SHARES_GIVEN.finditer(norm):
        word = match.group("number")
        value = int(word) if word.isdigit() else cardinal(word)
        if value is not None and value >= 1:
            return int(value)
    return None


def compared_counts(text: str | None) -> list[int]:
    """The distinct head counts of a message that compares several (in text order); [] for one or none."""
    counts: list[int] = []
    norm = _normalise(str(text or ""))
    for candidate in _candidates(norm):
        if counts and _BOUND_BEFORE.search(norm[max(0, candidate.start - 30):candidate.start]):
            continue
        if _CHANGE_AFTER.match(norm[candidate.end:candidate.end + 30]):
            continue  # "nächstes Jahr kommen 25 dazu": a change, not a second administration
        value = candidate.value
        if value != int(value) or not MIN_COMPARED_COUNT <= value <= PLAUSIBLE_MAX_EMPLOYEES:
            return []
        if int(value) not in counts:
            counts.append(int(value))
    return counts[:MAX_COMPARED_COUNTS] if len(counts) > 1 else []


def tier_for_shares(terms: Terms, shares: int) -> Tier | None:
    return next((tier for tier in terms.tiers if tier.shares == shares), None)


_COMPARATOR_BEFORE = re.compile(r"(?:über|ueber|mehr\s+als|unter|weniger\s+als|knapp)\s*$", re.IGNORECASE)


def _cut_from_the_count(value: str, text: str) -> bool:
    """The tagged count is only part of what the text says: a piece of a longer number word ("zweitausend" in
    "zweitausendeins") or the number after a comparison ("über zweitausend" is 2.001)."""
    value = value.strip()
    if not value:
        return False
    for match in re.finditer(re.escape(value), text, re.IGNORECASE):
        before, after = text[: match.start()], text[match.end():]
        if (before[-1:].isalpha() or after[:1].isalpha()) or _COMPARATOR_BEFORE.search(before):
            return True
    return False


def count_from_message(text: str | None, entity_values: list[str] | None = None) -> CountParse:
    """Prefer the `employee_count` entity; fall back to the whole message text."""
    first_problem: CountParse | None = None
    from_text = parse_employee_count(text)
    for value in entity_values or []:
        parsed = parse_employee_count(str(value))
        if parsed.ok and from_text.ok and _cut_from_the_count(str(value), text or ""):
            return from_text  # "zweitausendeins …, also genau einer über zweitausend": "zweitausend" tagged
        if parsed.ok:
            return parsed
        first_problem = first_problem or parsed
    if from_text.ok or first_problem is None:
        return from_text
    return first_problem if from_text.problem == "missing" else from_text


# ------------------------------------------------------------------------------------------- actions

SLOT = "employee_count"
FORM = "membership_form"
# While the form waits for a number, these intents mean "the user wants something else":
# the form rejects the turn and rules take over (unless the message contains a number).
ESCAPE_INTENTS = frozenset({
    "request_human", "membership_faq", "membership_unknown", "deny", "skip", "restart", "goodbye",
    "help", "delete_my_data", "request_recommendations", "bot_challenge",
})
PROBLEM_RESPONSES = {
    "missing": "utter_membership_count_invalid",
    "not_integer": "utter_membership_count_invalid",
    "not_positive": "utter_membership_count_not_positive",
    "implausible": "utter_membership_count_implausible",
}


def _latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _message_count(tracker: Tracker) -> CountParse:
    entities = [str(v) for v in tracker.get_latest_entity_values(SLOT)]
    return count_from_message(tracker.latest_message.get("text"), entities)


class ValidateMembershipForm(FormValidationAction):
    """Fills `employee_count` from the entity or the raw text and re-asks on nonsense; the price of one share,
    the head-count range of a number of shares and several compared counts need no further number (the form
    ends at once and action_membership_cost answers)."""

    def name(self) -> str:
        return "validate_membership_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        text = tracker.latest_message.get("text")
        if asks_share_price(text) and not _message_count(tracker).ok:
            return []
        if shares_asked(text) is not None or compared_counts(text):
            return []  # answered by action_membership_cost from the message alone
        return domain_slots

    async def extract_employee_count(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = _message_count(tracker)
        if parsed.ok:
            return {SLOT: parsed.value}
        if _latest_intent(tracker) in ESCAPE_INTENTS:
            return {}
        if tracker.get_slot("requested_slot") != SLOT:
            earlier = earlier_count(tracker.events)
            if earlier is not None:
                return {SLOT: earlier}  # the count this conversation gave before

        if tracker.get_slot("requested_slot") == SLOT:
            # We asked for the number: hand the raw answer to validation so it can explain the problem.
            return {SLOT: tracker.latest_message.get("text") or ""}
        return {}

    def validate_employee_count(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = parse_employee_count(str(value) if value is not None else None)
        if parsed.ok:
            return {SLOT: parsed.value}
        dispatcher.utter_message(response=PROBLEM_RESPONSES[parsed.problem or "missing"])
        return {SLOT: None}


# Unknown topics of terms.yml named in code: fees every year (answered with what is known beside it) and the
# statute (the cooperative's, whatever the classifier guessed).
ANNUAL_FEES = "annual_fees"
STATUTE = "statute"
MEMBERSHIP_INTENTS = frozenset({"membership_faq", "ask_membership_cost", "membership_unknown"})


def names_head_count(text: str | None) -> bool:
    """The message gives the number of employees: a number next to a word for staff ("30 Leut", "fuchzg
    Leid", "251 Lüüd") that reads as a valid count; votes, shares or years do not count."""
    text = str(text or "")
    return any(c.near_keyword for c in _candidates(_normalise(text))) and parse_employee_count(text).ok


def earlier_count(events: list[dict[str, Any]]) -> int | None:
    """The head count this conversation gave before the latest message ("Wir sind eine Gemeinde mit 230
    Beschäftigten …" -> "und wie viele Anteile wären das bei uns?"): the latest earlier user message that
    names one next to a word for staff; None if none did."""
    latest_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for event in reversed(events[:latest_user]):
        if event.get("event") == "bot" and _is_cost_answer(event):
            # the count of the latest calculation ("… sind wir 51. Was dann?" names no staff word)
            count = parse_employee_count(str((event.get("metadata") or {}).get("count") or ""))
            if count.ok:
                return count.value
        text = str(event.get("text") or "") if event.get("event") == "user" else ""
        if text and not text.startswith("/") and names_head_count(text):
            return parse_employee_count(text).value
    return None


def answered_cost_last_turn(events: list[dict[str, Any]]) -> bool:
    """The assistant's reply to the previous message was a share calculation (``action_membership_cost``, or a
    calculation by another action: "… sind wir 2001, zählen die mit?"): "Und wenn's 2001 sind?" right after it
    asks for another count, not about an unknown topic."""
    return any(
        (event.get("event") == "action" and event.get("name") == "action_membership_cost")
        or (event.get("event") == "bot" and _is_cost_answer(event))
        for event in last_reply(events)
    )


def answered_membership_last_turn(events: list[dict[str, Any]]) -> bool:
    """The assistant's reply to the previous message was about membership (a calculation, a FAQ answer or
    "Das weiß ich nicht"): a follow-up about money or leaving is about membership too."""
    return any(
        event.get("event") == "bot"
        and str((event.get("metadata") or {}).get("utter_action") or "").startswith("utter_membership")
        for event in last_reply(events)
    )


def _is_cost_answer(event: dict[str, Any]) -> bool:
    metadata = event.get("metadata") or {}
    return str(metadata.get("utter_action") or "").startswith("utter_membership_cost")


def _answer_cost(dispatcher: CollectingDispatcher, count: int) -> None:
    variables = quote(load_terms(), count)
    response = "utter_membership_cost_single" if variables["shares"] == 1 else "utter_membership_cost"
    dispatcher.utter_message(response=response, **variables)


def _answer_shares_asked(dispatcher: CollectingDispatcher, text: str) -> bool:
    """Answer "ab wann wären es sechs Anteile?" with that tier's head-count range; False if not asked."""
    shares = shares_asked(text)
    if shares is None:
        return False
    terms = load_terms()
    tier = tier_for_shares(terms, shares)
    if tier is None:
        highest = max(t.shares for t in terms.tiers)
        dispatcher.utter_message(response="utter_membership_no_such_tier", shares=shares, highest=highest)
        return True
    dispatcher.utter_message(
        response="utter_membership_tier_for_one_share" if shares == 1 else "utter_membership_tier_for_shares",
        shares=shares,
        stage=tier.stage,
        range_label=tier.label,
        total=format_de(shares * terms.share_price_eur),
    )
    return True


class ActionMembershipCost(Action):
    """Answers the share tier and amount for the employee count in the slot (or the latest message)."""

    def name(self) -> str:
        return "action_membership_cost"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        if _answer_shares_asked(dispatcher, text):
            return [SlotSet(SLOT, None)]
        compared = compared_counts(text)
        if compared:
            for each in compared:
                _answer_cost(dispatcher, each)
            return [SlotSet(SLOT, None)]
        raw = tracker.get_slot(SLOT)
        parsed = parse_employee_count(str(raw)) if raw is not None else _message_count(tracker)
        count = parsed.value if parsed.ok else None
        if count is None and asks_share_price(tracker.latest_message.get("text")):
            price = format_de(load_terms().share_price_eur)
            dispatcher.utter_message(response="utter_membership_share_price", price=price)
            return [SlotSet(SLOT, None)]
        if count is None:
            dispatcher.utter_message(response="utter_ask_employee_count")
            return [SlotSet(SLOT, None)]
        _answer_cost(dispatcher, count)
        return [SlotSet(SLOT, None)]


class ActionMembershipUnknown(Action):
    """'Das weiß ich leider nicht' for topics the sources do not cover (termination, statute, fees...); the
    rules follow it with the offer to hand over to the support team.

    Right after a share calculation, a message with another count and no unknown topic ("Und wenn's 2001
    sind?") is answered with that count's tier instead, and the handoff offer is skipped."""

    def name(self) -> str:
        return "action_membership_unknown"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        topic = detect_unknown_topic(load_terms(), text)
        if topic is None and answered_cost_last_turn(tracker.events):
            parsed = _message_count(tracker)
            if parsed.ok and parsed.value is not None:
                _answer_cost(dispatcher, parsed.value)
                return [SlotSet(SLOT, None), FollowupAction("action_listen")]
        if topic is None:
            dispatcher.utter_message(response="utter_membership_unknown")
        elif topic.known:
            dispatcher.utter_message(
                response="utter_membership_unknown_topic_known", known=topic.known, topic=topic.label
            )
        else:
            dispatcher.utter_message(response="utter_membership_unknown_topic", topic=topic.label)
        return []
