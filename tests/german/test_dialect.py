"""Dialect spellings of function words become standard German; topic words and ambiguous words stay."""

from __future__ import annotations

import pytest

from german.dialect import standard_function_words


@pytest.mark.parametrize(
    ("text", "standard"),
    [
        ("Wos gibt's da für mi?", "Was gibt's da für mich?"),
        ("Gibt's do was dazu?", "Gibt's da was dazu?"),
        ("i bin Azubi und des is ned einfach", "ich bin Azubi und des is nicht einfach"),
        ("SGB I und die Leitung des Jugendamts", "SGB I und die Leitung des Jugendamts"),
        ("Do-it-yourself und Dokumente", "Do-it-yourself und Dokumente"),
        ("Wat gibt et für Bauhof-Leute?", "Was gibt es für Bauhof-Leute?"),
        ("Gebbt's do was? Un wie fiehrt ma so e Team?", "Gibt's da was? Und wie fiehrt man so e Team?"),
        ("ebbes zur Baumkontrolle, on au wie mr d'Leit", "etwas zur Baumkontrolle, und auch wie man d'Leit"),
        ("Teams on-demand", "Teams on-demand"),
        ("mir send blutige afänger, mir hend koi Ahnung", "mir sind blutige afänger, mir haben koi Ahnung"),
        # set 12: "Guad." (CF-005) was searched as a need, "fortbuidn" (CA-005) kept the sentence a need
        ("Guad. Basst scho", "Gut. Passt scho"),
        ("mei chef sagt i soll mi fortbuidn", "mein chef sagt ich soll mich fortbilden"),
    ],
)
def test_dialect_function_words(text, standard):
    assert standard_function_words(text) == standard
