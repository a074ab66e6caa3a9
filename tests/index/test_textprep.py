"""German text preparation for BM25."""

from __future__ import annotations

import pytest

from index.textprep import Analyzer, build_vocabulary, fold, get_nlp, nominalisation, related_terms


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


def test_an_unknown_first_part_is_split_further_so_a_query_on_it_finds_the_longer_compound():
    # "Verkehrssicherungspflicht" in an offer must hold the term a query on "Verkehrssicherung" looks for
    plain = Analyzer()
    docs = ["Der Verkehr in der Stadt", "Pflicht und Kür"]
    analyzer = Analyzer(build_vocabulary(plain.base_terms(d) for d in docs))
    offer_terms = set(analyzer.terms("Verkehrssicherungspflicht"))
    assert {"verkehrssicherung", "verkehr", "pflicht"} <= offer_terms
    assert analyzer.terms("Verkehrssicherung")[0] in offer_terms


def test_spacy_is_loaded_once():
    assert get_nlp() is get_nlp()
    assert Analyzer().nlp is Analyzer().nlp


# -- query spelling ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def speller(analyzer):
    from index.textprep import QuerySpeller, surface_forms

    catalog = [
        "Datenschutz am Arbeitsplatz für alle Beschäftigten",
        "Bürgergeld nach SGB II: Leistungsberechnung im Jobcenter",
        "Bauleitplanung in der Praxis und Grundlagen der Bauleitplanung",
        "Widerspruchsverfahren sicher bearbeiten",
        "die ersten Schritte im OZG",
        "Excel Grundkurs für die Verwaltung",
    ]
    return QuerySpeller(surface_forms(catalog), analyzer)


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("datenschuts fuer alle", "Datenschutz für alle"),  # typo fixed, umlaut restored
        ("buergergeld", "Bürgergeld"),
        ("bauleitplanug grundlagen", "Bauleitplanung Grundlagen"),
        ("widerspruchsverfaren bearbeiten", "Widerspruchsverfahren bearbeiten"),  # two edits in a long word
        ("Hilfe bei Exel", "Hilfe bei Excel"),  # four letters are enough for one edit
    ],
)
def test_query_words_get_the_catalog_spelling(speller, typed, expected):
    assert speller.normalize(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "taugliche Vorlagen",  # a German word form that is not in the catalog stays as typed
        "OZG, DSGVO!",  # acronyms and punctuation are kept
        "ersteln",  # nearest catalog word within one edit is the stopword "ersten": no correction
        "Zoo",  # short unknown words are left alone
    ],
)
def test_speller_leaves_known_words_and_unclear_cases_alone(speller, typed):
    assert speller.normalize(typed) == typed


@pytest.mark.parametrize(
    ("verb", "noun"),
    [
        ("ausschreiben", "ausschreibung"),
        ("verhandeln", "verhandlung"),
        ("verbessern", "verbesserung"),
        ("digitalisieren", "digitalisierung"),
    ],
)
def test_a_verb_in_the_infinitive_leads_to_its_noun(verb, noun):
    [(term, surface)] = Analyzer().terms_with_surface(verb)
    assert nominalisation(term, surface) == noun
    # a noun, or a capitalised word, is not turned into another noun
    [(term, surface)] = Analyzer().terms_with_surface(noun.capitalize())
    assert nominalisation(term, surface) is None


@pytest.mark.parametrize(
    ("word", "base"),
    [("Ausbilderinnen", "Ausbilder"), ("Sachbearbeiterin", "Sachbearbeiter"), ("Kolleginnen", "Kollegen")],
)
def test_a_gendered_word_also_stands_for_its_base_form(word, base):
    analyzer = Analyzer()
    [(term, surface)] = analyzer.terms_with_surface(word)
    assert analyzer.base_terms(base)[0] in related_terms(term, surface)


def test_words_ending_in_in_that_are_not_gendered_stand_for_nothing_else():
    analyzer = Analyzer()
    for word in ("Termin", "Benzin", "Kaminen"):
        [(term, surface)] = analyzer.terms_with_surface(word)
        assert related_terms(term, surface) == []


def test_colloquial_intensifiers_are_no_search_terms():
    # "hab voll Schiss" matched a course on objection procedures by "voll"
    analyzer = Analyzer()
    with_fillers = analyzer.base_terms("soll was präsentieren, hab voll Schiss, total ne Katastrophe")
    assert with_fillers == analyzer.base_terms("soll was präsentieren, hab Schiss, Katastrophe")
