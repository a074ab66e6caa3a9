"""German text preparation for BM25."""

from __future__ import annotations

import pytest

from index.textprep import Analyzer, build_vocabulary, fold, get_nlp


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_umlaut_folding_makes_spellings_equal(analyzer):
    assert analyzer.terms("Bürgeramt") == analyzer.terms("Buergeramt") == analyzer.terms("BÜRGERAMT".title())
    assert fold("Straße Größe") == "strasse groesse"


def test_stopwords_are_removed_and_lemmas_used(analyzer):
    terms = analyzer.terms("Die Kommunen und ihre Mitarbeitenden")
    assert "die" not in terms and "und" not in terms
    assert analyzer.terms("Kommunen") == analyzer.terms("Kommune")


@pytest.mark.parametrize(
    "text,term",
    [("OZG", "ozg"), ("XÖV", "xoev"), ("DSGVO", "dsgvo"), ("TVöD", "tvoed"), ("Doppik", "doppik")],
)
def test_acronyms_and_domain_terms_are_kept(analyzer, text, term):
    assert analyzer.terms(f"Einführung in {text}")[-1] == term


def test_hyphenated_words_give_whole_form_and_parts(analyzer):
    terms = analyzer.terms("Online-Zugangsgesetz")
    assert "onlinezugangsgesetz" in terms
    assert analyzer.terms("online")[0] in terms and analyzer.terms("Zugangsgesetz")[0] in terms


def test_compound_splitting_uses_the_catalog_vocabulary():
    plain = Analyzer()
    docs = ["Datenschutz in der Kommune", "Verordnung und Grundverordnung", "Verwaltung modern"]
    vocab = build_vocabulary(plain.base_terms(d) for d in docs)
    analyzer = Analyzer(vocab)
    terms = analyzer.terms("Datenschutzgrundverordnung")
    assert terms[0] == "datenschutzgrundverordnung"
    assert {"datenschutz", "grundverordnung"} <= set(terms)
    assert "verwaltung" in analyzer.terms("Kommunalverwaltung")
    # without vocabulary nothing is split
    assert plain.terms("Datenschutzgrundverordnung") == ["datenschutzgrundverordnung"]


def test_spacy_is_loaded_once():
    assert get_nlp() is get_nlp()
    assert Analyzer().nlp is Analyzer().nlp
