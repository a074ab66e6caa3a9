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
    r"kos\w{1,5}los|kostenfrei|gratis|umsonst|umsonscht|nichts kost|kostet nichts|free\b|"
    r"(?<![\d.,])0\s*(€|euro)"
)
_CHEAPER = re.compile(umlaut_regex(r"g{ue}nstig|billig|preiswert|weniger|spar"))
_SHORTER = re.compile(umlaut_regex(r"k{ue}rzer|kurz|kompakt|schnell|knapp"))
_SHORTER_COMPARATIVE = re.compile(umlaut_regex(r"k{ue}rzer|kompakter|schneller|knapper|weniger\s+lang"))
_QUANTITY = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?|" + "|".join(sorted(SMALL_NUMBER_WORDS, key=len, reverse=True)) + r")\s*"
    r"(?P<half>halbe[nr]?\s+)?(?P<unit>st(?:u|o)nd(?:en?|a|n)?|std\.?|h\b|(?:arbeits)?tage?n?s?|woche?n?|minuten?|min\b)?"
)
_HALF_DAY = re.compile(r"halbe[nr]?\s+tag|halbtag")
_DAY = re.compile(umlaut_regex(r"\btag\b|tagesseminar|eint{ae}gig"))


def is_free(text: str) -> bool:
    """ "kostenlos" (also "kostelos", "koschtelos"), "es darf nichts kosten", "0 Euro"."""
    return bool(_FREE.search(text))


def asks_cheaper(text: str) -> bool:
    """ "was Günstigeres", "billiger": a limit relative to the offers shown."""
    return bool(_CHEAPER.search(text))


def asks_shorter(text: str) -> bool:
    """ "was Kürzeres", "kompakter", "was Kurzes": a wish for short offers."""
    return bool(_SHORTER.search(text))


def shorter_than_shown(text: str) -> bool:
    """ "was Kürzeres", "kompakter": the comparative, a limit relative to the offers shown ("was Kurzes" asks
    for a short offer as such)."""
    return bool(_SHORTER_COMPARATIVE.search(text))


def amount_eur(text: str) -> float | None:
    """The first amount in a cost wish ("unter 1.200 Euro" -> 1200, "zweihundert Euro" -> 200), or None."""
    number = NUMBER_IN_TEXT.search(text)
    if number:
        return number_value(number)
    for word, amount in SMALL_NUMBER_WORDS.items():
        if re.search(rf"\b{word}\s*hundert\b", text):
            return float(amount * 100)
    if re.search(r"\b(?:ein)?hundert\b", text):  # "mehr wie hundert Euro"
        return 100.0
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
        if unit.startswith(("tag", "arbeitstag")):
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


# "Ich zieh dabei meistens den Kürzeren": an idiom (to lose out), no wish for a short course.
DRAWS_THE_SHORT_STRAW = re.compile(umlaut_regex(r"\bden\s+k{ue}rzeren\b"), re.IGNORECASE)

# -- cost and duration limits asked for in a chat message -------------------------------------------------
# "max. 400 Euro", "höchstens 300 €", "bis 50 Euro", "nicht mehr als 200 Euro", "Budget max 300 Euro",
# "300 Euro höchstens".
_COST_LIMIT = re.compile(
    umlaut_regex(
        r"(?:unter|bis(?:\s+zu)?|max\.?|maximal|h{oe}chstens|n(?:icht|ich|et|ed|it)\s+meh?r?\s+(?:als|wie)|weniger\s+als|"
        r"(?:nix|nichts|nicht|net|ned)\s+(?:{ue}ber|teurer\s+als)|"
        r"budget(?:\s+von)?)"
        r"\s*(?:max\.?\s*)?\d+(?:[.,]\d+)?\s*(?:€|(?:euro|eur)\b)|"
        # "so 300 Euro höchstens", "200 € max.": the limit word after the amount.
        r"\d+(?:[.,]\d+)?\s*(?:€|euro|eur)\s+(?:max\.?|maximal|h{oe}chstens)(?!\w)|"
        # "die 300 Euro pro Teilnehmenden nicht überschreiten"
        r"\d+(?:[.,]\d+)?\s*(?:€|euro|eur)\s+(?:pro\s+\w+\s+)?nicht\s+(?:{ue}berschreiten|{ue}bersteigen)"
    )
)
_FREE_WORD = re.compile(
    umlaut_regex(r"\b(?:kos\w{1,5}los\w*|kostenfrei\w*|gratis|umsonst|umsonscht|nichts\s+kost\w*|"
                 r"kostet\s+nichts)")
)
# A free-of-charge word is a wish when said as one ("kostenlos wäre gut", "nur kostenlose", "kostenlos?").
_FREE_CUE = re.compile(umlaut_regex(r"^\s*(?:\?|w{ae}re?|bitte|wenn|,|\.|!|$)|^\s*\w+\s+(?:w{ae}re?|bitte)"))
_FREE_CUE_BEFORE = re.compile(
    umlaut_regex(r"(?:nur|am\s+liebsten|m{oe}glichst|gerne?|lieber|und|auch|au|aach)\s*$")
)
# "nicht mehr als 20 Stunden", "höchstens zwei Tage", "einen halben Tag": a duration limit.
_DURATION_LIMIT = re.compile(
    umlaut_regex(
        r"(?:h{oe}chstens|maximal|max\.?|nicht\s+(?:mehr|l{ae}nger)\s+als|bis\s+zu|unter|weniger\s+als)\s+"
        r"(?:\w+\s+){0,2}?(?:\d+(?:[.,]\d+)?|\w+)\s+(?:halbe[nr]?\s+)?(?:st(?:u|o)nd(?:en?|a|n)?|std\.?|(?:arbeits)?tage?n?|wochen?|minuten?)|"
        # "so 2-3 Stunden", "zwei bis drei Stunden max": a range or a limit word after the unit.
        r"(?:\d+|\w+)\s*(?:-|–|bis)\s*(?:\d+|\w+)\s*(?:st(?:u|o)nd(?:en?|a|n)?|std\.?|(?:arbeits)?tage?n?|minuten?)\b|"
        r"(?:\d+(?:[.,]\d+)?|\w+)\s*(?:st(?:u|o)nd(?:en?|a|n)?|std\.?|(?:arbeits)?tage?n?|minuten?)\s+(?:max\.?|maximal|h{oe}chstens)"
    )
)


def cost_limit(text: str) -> str | None:
    """An amount with a limit word ("max. 400 Euro", "höchstens 200 Euro"), or None."""
    low = text.lower()
    limit = _COST_LIMIT.search(low)
    if limit:
        return limit.group(0)
    denied = _COST_LIMIT_DENIED.search(low)  # "mehr als 200 Euro … nicht genehmigen"
    return f"höchstens {denied.group('amount')}" if denied else None


def cost_wish(text: str, cue_needed: bool = False) -> str | None:
    """The cost limit a chat message asks for, in its own words ("max. 400 Euro", "kostenlos"), or None.

    An amount with a limit word counts anywhere; "kostenlos" inside a message about a topic only when said
    as a wish ("kostenlos wäre gut", "und kostenlos?"), not in "kostenlose Beratung für Bürger".
    """
    limit = cost_limit(text)
    if limit:
        return limit
    low = text.lower()
    for free in _FREE_WORD.finditer(low):
        cued = _FREE_CUE.search(low[free.end():]) or _FREE_CUE_BEFORE.search(low[: free.start()])
        if not cue_needed or cued:
            return free.group(0)
    return None


# "Mehr als 8 Stunden kann ich dafür nicht freimachen", "länger ois drei Stund hob i ned Zeit", "nix, was
# länger als 4 Std. geht": the limit said the other way round.
_DENIAL = r"(?:nicht|nich|net|ned|nit|kaum|keine?|koa|nix|nichts)"
_DURATION_UNIT = (
    r"(?:\d+(?:[.,]\d+)?|\w+)\s+(?:halbe[nr]?\s+)?(?:st(?:u|o)nd(?:en?|a|n)?|std\.?|(?:arbeits)?tage?n?|wochen?|minuten?)"
)
_DURATION_LIMIT_DENIED = re.compile(
    umlaut_regex(
        rf"(?:mehr|l{{ae}}nger)\s+(?:als|ois|wie)\s+(?P<amount>{_DURATION_UNIT})(?=[^.!?]{{0,50}}\b{_DENIAL}\b)|"
        rf"\b{_DENIAL}\s*,?\s+(?:was|das)?\s*(?:mehr|l{{ae}}nger)\s+(?:als|ois|wie)\s+(?P<amount2>{_DURATION_UNIT})"
    )
)
# "mehr als 200 Euro pro Kurs wird man mir nicht genehmigen": a cost limit said the other way round.
_COST_LIMIT_DENIED = re.compile(
    rf"(?:mehr|teurer)\s+(?:als|wie|wia)\s+(?P<amount>(?:\d+(?:[.,]\d+)?|[a-zäöüß]*hundert)\s*(?:€|(?:euro|eur)\b))"
    rf"(?=[^.!?]{{0,60}}\b{_DENIAL}\b)"
)


def duration_wish(text: str) -> str | None:
    """The duration limit a chat message asks for ("nicht mehr als 20 Stunden"), or None; "mehr als 8
    Stunden kann ich nicht" comes back as "höchstens 8 stunden"."""
    low = text.lower()
    limit = _DURATION_LIMIT.search(low)
    if limit:
        return limit.group(0)
    denied = _DURATION_LIMIT_DENIED.search(low)
    if denied is None:
        return None
    return f"höchstens {denied.group('amount') or denied.group('amount2')}"
