"""German numbers: number words (cardinals, ordinals) and number notation ("1.000", "1.000,50", "2 Tsd.").

Own code rather than ``text2num`` (checked: text2num 3.1.0 reads "zweihundertfünfzig", "knapp dreitausend" and
"zwei tausend fünfhundert" well): it rejects the spellings people type in a chat without umlauts ("zwoelf",
"fuenfhundert"), it leaves digit notation alone ("rund 1.200") and small numbers in running text ("zwei
Tage"), it is a compiled extension for both runtimes, and this package is standard library only. The
grammar below is short: units, teens, tens, "und", "hundert", "tausend".
"""

from __future__ import annotations

import math
import re
from typing import Any

from german.folding import fold, umlaut_regex

# -- cardinals (folded spelling) ------------------------------------------------------------------
_UNITS = {"ein": 1, "eins": 1, "zwei": 2, "zwo": 2, "drei": 3, "vier": 4, "fuenf": 5, "sechs": 6,
          "sieben": 7, "acht": 8, "neun": 9}
_SMALL = {"null": 0, "eins": 1, "zehn": 10, "elf": 11, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14,
          "fuenfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}
_TENS = {"zwanzig": 20, "dreissig": 30, "vierzig": 40, "fuenfzig": 50, "sechzig": 60, "siebzig": 70,
         "achtzig": 80, "neunzig": 90}
# Dialect spellings of number parts ("fuchzg Leid", "zwoahundat", "zwoihundertfuffzig"), replaced first.
_DIALECT_PARTS = (
    ("fuchzg", "fuenfzig"), ("fuchzig", "fuenfzig"), ("fuffzig", "fuenfzig"), ("fuffzich", "fuenfzig"),
    ("zwanzg", "zwanzig"), ("dreissg", "dreissig"), ("vierzg", "vierzig"), ("sechzg", "sechzig"),
    ("siebzg", "siebzig"), ("achtzg", "achtzig"), ("neunzg", "neunzig"), ("hundat", "hundert"),
    ("hunnert", "hundert"),
    ("dausnd", "tausend"), ("dausend", "tausend"), ("zwoi", "zwei"), ("zwoa", "zwei"), ("oans", "eins"),
    ("oa", "ein"), ("fuffzg", "fuenfzig"),
)
# Standalone articles are not counts ("eine kleine Gemeinde").
ARTICLES = frozenset({"ein", "eine", "einen", "einem", "einer", "eines"})


def _below_100(s: str) -> int | None:
    if s in _SMALL:
        return _SMALL[s]
    if s in _TENS:
        return _TENS[s]
    if s in _UNITS and s != "ein":
        return _UNITS[s]
    if "und" in s:
        unit, tens = s.split("und", 1)
        if unit in _UNITS and tens in _TENS:
            return _UNITS[unit] + _TENS[tens]
    return None


def _below_1000(s: str) -> int | None:
    if "hundert" not in s:
        return _below_100(s)
    left, right = s.split("hundert", 1)
    # "zwölfhundert", "fünfzehnhundert": hundreds counted past ten, the usual way to say 1.100-1.999
    if left in ("", "ein"):
        hundreds: int | None = 1
    elif left == "null":
        hundreds = None
    else:
        hundreds = _UNITS.get(left) or _SMALL.get(left)
    right = right.removeprefix("und")
    # "fünfhundertein(s)", "fünfhundertundeinen Mitarbeiter": the unit after hundred, inflected or not
    rest = 0 if right == "" else 1 if right in ARTICLES else _below_100(right)
    if hundreds is None or rest is None:
        return None
    return hundreds * 100 + rest


def cardinal(word: str) -> int | None:
    """'dreihundertfünfzig' -> 350, 'zweitausend' -> 2000, 'tausend' -> 1000; None if not a number word.

    Articles ("ein", "eine") are no number here; see ``SMALL_NUMBER_WORDS`` for "einen Tag".
    """
    s = fold(word.strip())
    if not s or s in ARTICLES:
        return None
    for dialect, standard in _DIALECT_PARTS:
        s = s.replace(dialect, standard)
    if "tausend" in s:
        left, right = s.split("tausend", 1)
        right = right.removeprefix("und")
        rest = 0 if right == "" else _below_1000(right)
        thousands = _thousands(left)
        if thousands is None or rest is None:
            return None
        return int(thousands * 1000) + rest
    return _below_1000(s)


# "anderthalbtausend", "zweieinhalbtausend": a half more than the whole number before "einhalb".
_HALF = "einhalb"


def _thousands(left: str) -> float | None:
    """The number before "tausend": 1 for "" or "ein", 1.5 for "anderthalb", 2.5 for "zweieinhalb"."""
    if left in ("", "ein"):
        return 1
    if left in ("anderthalb", "eineinhalb"):
        return 1.5
    if left.endswith(_HALF) and len(left) > len(_HALF):
        whole = _below_1000(left.removesuffix(_HALF))
        return None if whole is None else whole + 0.5
    return _below_1000(left)


# -- small numbers in durations and costs ("einen halben Tag", "zwei Stunden", "fünfhundert Euro") -----------
_SMALL_NUMBER_SPELLINGS = (
    "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "zwölf",
    "zwanzig", "dreißig", "vierzig", "fünfzig", "hundert",
)


def _small_number_words() -> dict[str, float]:
    words: dict[str, float] = {article: 1.0 for article in ARTICLES - {"eines"}}
    for spelling in _SMALL_NUMBER_SPELLINGS:
        value = cardinal(spelling)
        assert value is not None, spelling
        words[spelling] = words[fold(spelling)] = float(value)
    words.update({"halben": 0.5, "halbe": 0.5, "halber": 0.5})
    return words


# Word -> value, as written (with umlauts) and folded; an article counts as one ("einen Tag").
SMALL_NUMBER_WORDS: dict[str, float] = _small_number_words()


# -- ordinals ("die zweite", "Nr. 3", "das letzte") ----------------------------------------------------------
LAST = -1
_ORDINAL_STEMS = {"erst": 1, "zweit": 2, "dritt": 3, "viert": 4, "fünft": 5}
# Dialect spellings ("des zwoite", "beim erstn", "des erschte", "die zwoate"); the endings below add "-n".
_DIALECT_ORDINAL_STEMS = {"erscht": 1, "zwoit": 2, "zwoat": 2, "zwot": 2}
_ORDINAL_CARDINALS = {"eins": 1, "ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5}


def _ordinal_words() -> dict[str, int]:
    words: dict[str, int] = {str(n): n for n in range(1, 6)}
    for word, n in _ORDINAL_CARDINALS.items():
        words[word] = words[fold(word)] = n
    for stem, n in {**_ORDINAL_STEMS, **_DIALECT_ORDINAL_STEMS, "letzt": LAST}.items():
        for ending in ("e", "en", "es", "er", "n"):
            words[stem + ending] = words[fold(stem + ending)] = n
    return words


# Lower-case word -> position 1..5, or ``LAST`` for "letzte".
ORDINAL_WORDS: dict[str, int] = _ordinal_words()


# Ordinal words proper ("zweite", "erstn"), not the cardinals ("zwei Tage") nor "letzte" ("letzte Woche").
_ORDINALS_ONLY = frozenset(
    word for word, n in ORDINAL_WORDS.items() if not word.isdigit() and word not in _ORDINAL_CARDINALS
    and fold(word) not in {fold(c) for c in _ORDINAL_CARDINALS} and n != LAST
)
# The same words as regular-expression alternatives (for patterns that need an article before them).
ORDINAL_STEMS_AND_ENDINGS = frozenset(re.escape(word) for word in _ORDINALS_ONLY)
_WORD = re.compile(r"[^\W\d_]+")
_NUMBERED = re.compile(r"\b(?:nr|nummer)\.?\s*(\d)\b", re.IGNORECASE)


def ordinal_in_text(text: str) -> str | None:
    """The first ordinal a sentence names ("Was koschtet denn des zwoite?" -> "zwoite", "Details zu Nr. 3" ->
    "3"), for a question about one offer whose ordinal the NLU did not tag; None if it names none."""
    numbered = _NUMBERED.search(text)
    if numbered:
        return numbered.group(1)
    return next((word for word in _WORD.findall(text.casefold()) if word in _ORDINALS_ONLY), None)


def ordinal(value: Any, count: int) -> int | None:
    """1-based position from an ordinal ("2", "zweite", "Nr. 3", "letzte"); None if not within 1..count."""
    if value is None:
        return None
    text = str(value).strip().casefold().rstrip(".")
    text = re.sub(r"^(nr|nummer|no)\.?\s*", "", text)
    position = ORDINAL_WORDS.get(text)
    if position is None:
        digits = re.search(r"\d+", text)
        position = int(digits.group(0)) if digits else None
    if position == LAST:
        position = count
    if position is None or not 1 <= position <= count:
        return None
    return position


# -- notation --------------------------------------------------------------------------------------------
_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d+)?|\d{1,3}(\.\d{3})+(,\d+)?)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
# A number in running text: "1.850", "1.200,50", "12 500", "1,5", "2 Tsd.", "3k"; not a piece of a longer
# number ("50" in "1.200,50"), but after an abbreviation ("ca.1.850", "max.200").
NUMBER_IN_TEXT = re.compile(
    r"(?<![\w,])(?<!\d\.)"
    r"(?P<num>\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d,])|\d{1,3}(?: \d{3})+(?![\d.,])|\d+(?:[.,]\d+)?)"
    r"(?P<mult>\s*(?:tausend|tsd\.?|k\b))?",
    re.IGNORECASE,
)


# Words right before a number (lower-case text ending there): "rund 1.200", "knapp dreitausend", "über 500",
# "weniger als 20", "minus 5".
APPROX_BEFORE = re.compile(
    umlaut_regex(r"\b(ca\.?|circa|zirka|etwa|rund|knapp|ungef{ae}hr|gut|fast)\s*$|~\s*$")
)
MORE_THAN_BEFORE = re.compile(umlaut_regex(r"({ue}ber|mehr als|>)\s*$"))
LESS_THAN_BEFORE = re.compile(r"(unter|weniger als|<)\s*$")
NEGATIVE_BEFORE = re.compile(r"(^|\s)(-|−|minus\s*)$")


def parse_number(value: Any) -> float:
    """A number; strings may use German notation ("12,5", "1.200", "1.200,50", "12 500"). Raises ValueError.

    "1.200" is German for 1200 (a dot followed by groups of three digits), "1.5" is 1.5.
    """
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    s = value.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER_RE.match(s):
        raise ValueError(f"unparseable number {value!r}")
    if "," in s:  # German: '.' groups thousands, ',' is the decimal mark
        s = s.replace(".", "").replace(",", ".")
    elif _GROUPED_RE.match(s):
        s = s.replace(".", "")
    return float(s)


def number_value(match: re.Match[str]) -> float:
    """The value of a ``NUMBER_IN_TEXT`` match ("2 Tsd." -> 2000)."""
    value = parse_number(match.group("num"))
    return value * 1000 if match.group("mult") else value
