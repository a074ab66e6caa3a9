"""Preference phrases inside a search query ("nur online", "lieber in Präsenz", "für Einsteiger", "kostenlos",
"unter 200 Euro", "kurz"), and the filler words left when a query held nothing but them.

"nur" / "ausschließlich" make a phrase HARD (an explicit exclusion); every other phrase is SOFT. Format words
come from ``german.vocabulary.FORMAT_WORDS``; the soft in-person phrase keeps a narrower list of endings
("Präsenzkurs", "Präsenzseminare") so that a topic like "Präsenzpflicht" stays a topic.
"""

from __future__ import annotations

import re
from typing import Any

from german.folding import word_regex
from german.vocabulary import FORMAT_WORDS, KNOWS_THE_BASICS

# "für Einsteiger", "für Fortgeschrittene"
_FOR = r"(?:f{ue}r\s+)?"
_ONLY = r"(?:nur|ausschlie{ss}lich|bitte\s+nur)\s+"
# The value of the match's first group, parsed as a number (an amount in euro).
NUMBER_GROUP = "group1"

# (pattern, kind, key, value); hard ones first so they win over the soft forms they contain.
PREFERENCE_PATTERNS: list[tuple[re.Pattern[str], str, str, Any]] = [
    (
        word_regex(_ONLY + r"(?:als\s+)?online(?:[-\s]?(?:kurse?|angebote?|format))?"),
        "hard",
        "format",
        "online",
    ),
    (
        word_regex(_ONLY + r"(?:in\s+|als\s+)?(?:" + FORMAT_WORDS["praesenz"] + ")"),
        "hard",
        "format",
        "praesenz",
    ),
    (
        word_regex(r"(?:lieber|am\s+liebsten|gerne?|bevorzugt|vorzugsweise|m{oe}glichst)\s+(?:als\s+)?online\w*"),
        "soft",
        "format",
        "online",
    ),
    (
        word_regex(
            r"(?:als\s+)?online[-\s]?(?:kurse?|format|angebote?|seminare?|schulung(?:en)?|training)|"
            + FORMAT_WORDS["online"]
        ),
        "soft",
        "format",
        "online",
    ),
    (
        word_regex(
            r"(?:lieber\s+|gerne?\s+|am\s+liebsten\s+|bevorzugt\s+)?(?:in\s+pr{ae}senz|vor\s+ort|"
            r"pr{ae}senz(?:kurs|veranstaltung|seminar|schulung|format)?(?:e|en|n)?)"
        ),
        "soft",
        "format",
        "praesenz",
    ),
    (word_regex(r"(?:als\s+)?(?:" + FORMAT_WORDS["blended"] + ")"), "soft", "format", "blended"),
    (
        word_regex(
            _FOR + r"(?:einsteiger(?:\*?innen)?|anf{ae}nger(?:\*?innen)?|neueinsteiger\w*|"
            r"ohne\s+vorkenntnisse|neu\s+im\s+thema)"
        ),
        "soft",
        "level",
        "einsteiger",
    ),
    (
        word_regex(
            _FOR
            + r"(?:fortgeschrittenen?(?:\*?innen)?|fortgeschritten|mit\s+vorkenntnissen)|"
            + KNOWS_THE_BASICS
        ),
        "soft",
        "level",
        "fortgeschritten",
    ),
    (word_regex(_FOR + r"(?:expert(?:en|innen|\*innen)|profis)"), "soft", "level", "experte"),
    (
        word_regex(
            r"(?:kostenlos\w*|kostenfrei\w*|gratis|umsonst|geb{ue}hrenfrei|ohne\s+kosten|kein(?:en)?\s+geld|"
            r"geld\s+(?:hab|habe|haben|hab'|hamm?)\s+(?:ich|i|wir|mir)\s+(?:keins|keines|kein|keen|nicht|net|nich)|"
            r"(?:kein|ohne)\s+budget)"
        ),
        "soft",
        "max_cost_eur",
        0.0,
    ),
    (
        word_regex(r"(?:unter|bis|max\.?|maximal|h{oe}chstens)\s+(\d+(?:[.,]\d+)?)\s*(?:€|euro|eur)"),
        "soft",
        "max_cost_eur",
        NUMBER_GROUP,
    ),
    (
        word_regex(r"(\d+(?:[.,]\d+)?)\s*(?:€|euro|eur)\s+(?:max\.?|maximal|h{oe}chstens)"),
        "soft",
        "max_cost_eur",
        NUMBER_GROUP,
    ),
    (
        word_regex(r"(?:eher\s+|m{oe}glichst\s+)?(?:kurz|kurze[nmrs]?|kompakt\w*|wenig\s+zeit)"),
        "soft",
        "short",
        True,
    ),
]
# What is left of "Ich suche einen Kurs, lieber online" once the preference phrases are gone: no topic.
FILLER = word_regex(
    r"(?:ich\s+)?(?:suche|m{oe}chte|h{ae}tte\s+gern|brauche)|bitte|kurs(?:e|angebot|angebote)?|"
    r"angebot(?:e)?|etwas|was|am|als|und|oder|f{ue}r|in|ein(?:en|e)?"
)
