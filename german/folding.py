"""Umlaut and ß folding: "Bürgeramt", "Buergeramt" and "BÜRGERAMT" compare equal after folding.

The copies this module replaced differed in two ways; both are explicit parameters now:

- ``lower``: matching (terms, vocabularies, catalog values) folds to lower case; the NLU's spelling
  variants keep the case a person typed ("Ärger" -> "Aerger", not "aerger").
- ``compose``: NFC composition first, for text from files of unknown origin (catalog cells from a CSV
  export may spell "ä" as "a" + combining diaeresis). Query and chat text is folded without it, exactly as
  the index was built and the NLU model trained (switching it on there changes index terms and NLU
  features, so it would need an index rebuild and retraining).
"""

from __future__ import annotations

import re
import unicodedata

# str.translate table (case kept: "Ä" -> "Ae"); callers that lower-case first get the lower-case folding.
UMLAUT_TABLE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
# Placeholders in vocabulary patterns: "{ae}" matches "ä" or "ae" (see umlaut_regex).
_PLACEHOLDERS = {"ae": "(?:ä|ae)", "oe": "(?:ö|oe)", "ue": "(?:ü|ue)", "ss": "(?:ß|ss)"}


def fold(text: str, *, lower: bool = True, compose: bool = False) -> str:
    """Umlauts and ß spelled out (ä -> ae, ß -> ss); lower-cased unless ``lower`` is False."""
    if compose:
        text = unicodedata.normalize("NFC", text)
    if lower:
        text = text.lower()
    return text.translate(UMLAUT_TABLE)


def umlaut_regex(pattern: str) -> str:
    """Expand placeholders {ae} {oe} {ue} {ss} to match both spellings ("pr{ae}senz" -> "pr(?:ä|ae)senz")."""
    for key, alternatives in _PLACEHOLDERS.items():
        pattern = pattern.replace("{" + key + "}", alternatives)
    return pattern


def word_regex(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern (placeholders expanded) matching whole words only ("-" is part of a word).

    Every alternative of ``pattern`` is bounded (the pattern is grouped first).
    """
    return re.compile(r"(?<![\w-])(?:" + umlaut_regex(pattern) + r")(?![\w-])", re.IGNORECASE)
