"""Umlaut/ß folding: the variants callers need, and umlaut-tolerant word patterns."""

from __future__ import annotations

import unicodedata

from german.folding import UMLAUT_TABLE, fold, umlaut_regex, word_regex


def test_lower_case_folding_makes_spellings_equal():
    assert fold("Bürgeramt") == fold("Buergeramt") == fold("BÜRGERAMT") == "buergeramt"
    assert fold("Straße") == "strasse"


def test_case_preserving_folding_keeps_capitals():
    assert fold("Ärger über Öffnungszeiten", lower=False) == "Aerger ueber Oeffnungszeiten"


def test_decomposed_umlauts_fold_only_when_composed_first():
    decomposed = unicodedata.normalize("NFD", "Präsenz")
    assert fold(decomposed, compose=True) == "praesenz"
    # Without composition the combining mark stays: chat and index text are folded like this on purpose.
    assert fold(decomposed) != "praesenz"


def test_translation_table_matches_fold():
    text = "Öffentliche Ämter, Grüße"
    assert text.translate(UMLAUT_TABLE) == fold(text, lower=False)
    assert text.lower().translate(UMLAUT_TABLE) == fold(text)


def test_umlaut_regex_accepts_both_spellings():
    import re

    pattern = re.compile(umlaut_regex("pr{ae}senz|gr{oe}{ss}e"))
    assert pattern.fullmatch("präsenz") and pattern.fullmatch("praesenz")
    assert pattern.fullmatch("größe") and pattern.fullmatch("groesse")


def test_word_regex_bounds_every_alternative():
    pattern = word_regex("webinar|online")
    assert pattern.search("Ein Webinar bitte")
    assert not pattern.search("Webinarreihe planen")
    assert not pattern.search("Onlinezugangsgesetz")
    assert not pattern.search("Online-Zugang")  # "-" belongs to the word
