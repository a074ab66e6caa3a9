"""Common dialect spellings of German function words, written in standard German.

Chat messages come in Bairisch, Schwäbisch, Pfälzisch, Hessisch or Ruhrdeutsch ("Wos gibt's da für mi?",
"Gibt's do was dazu?", "i bin Azubi", "Wat gibt et …"). The words that frame a request or state a role are
function words, and the need reader (``bot.actions.needs``) knows them only in standard German; topic words
are left as they are. Only unambiguous spellings are listed: "mir" (Pfälzisch for "wir", standard "mir"),
"des" (also the standard genitive article) and a capital "I" (as in "SGB I") stay.
"""

from __future__ import annotations

import re

_STANDARD = {
    "i": "ich",
    "isch": "ich",
    "mi": "mich",
    "wos": "was",
    "woas": "was",
    "do": "da",
    "ned": "nicht",
    "net": "nicht",
    "nit": "nicht",
    "aach": "auch",
    "ebbes": "etwas",
    "ebbas": "etwas",
    "ebbs": "etwas",
    "oaner": "einer",
    "oana": "einer",
    "koa": "kein",
    "koan": "keinen",
    "hänn": "haben",
    "hen": "haben",
    "hab": "habe",
    "hob": "habe",
    "gibbt's": "gibt's",
    "gebbt's": "gibt's",
    "wat": "was",
    "et": "es",
    "dat": "das",
    "bräucht": "bräuchte",
    "un": "und",
    "ma": "man",
    "vun": "von",
    "liewer": "lieber",
    "ond": "und",
    "on": "und",
    "au": "auch",
    "mr": "man",
    "mol": "mal",
    "oba": "aber",
    "meh": "mehr",
    "hend": "haben",
    "send": "sind",
    "mei": "mein",
    "guad": "gut",
    "guat": "gut",
    "basst": "passt",
    "bassd": "passt",
    "fortbuidn": "fortbilden",
    "fortbuiden": "fortbilden",
    "fortbildn": "fortbilden",
    "weiterbuidn": "weiterbilden",
    "weiterbildn": "weiterbilden",
    "lerna": "lernen",
    "miass": "müssen",
    "miassn": "müssen",
    "miassat": "müssten",
    "muas": "muss",
    "macha": "machen",
    "wern": "werden",
    "werdn": "werden",
    "wolln": "wollen",
    "aufgnomma": "aufgenommen",
    "lernn": "lernen",
}
_ALTERNATIVES = "|".join(sorted(map(re.escape, _STANDARD), key=len, reverse=True))
_WORD = re.compile(r"(?<![\w'-])(" + _ALTERNATIVES + r")(?![\w'-])")
# At the start of a sentence too ("Gebbt's do was?", "Un was, wenn …"); not "I" (SGB I) and "Mi" (Mittwoch).
_CAPITALISED = {
    word[:1].upper() + word[1:]: standard[:1].upper() + standard[1:]
    for word, standard in _STANDARD.items()
    if word not in ("i", "mi")
}
_CAPITAL_WORD = re.compile(r"(?<![\w'-])(" + "|".join(_CAPITALISED) + r")(?![\w'-])")


def standard_function_words(text: str) -> str:
    """``text`` with dialect spellings of function words in standard German ("Wos gibt's da für mi?" ->
    "Was gibt's da für mich?"); everything else unchanged."""
    text = _WORD.sub(lambda m: _STANDARD[m.group(1)], text)
    return _CAPITAL_WORD.sub(lambda m: _CAPITALISED[m.group(1)], text)
