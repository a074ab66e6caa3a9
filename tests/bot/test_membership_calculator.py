"""The membership cost calculator: tiers from terms.yml, German number parsing, answers, terms consistency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.actions.membership import (
    TermsError,
    detect_unknown_topic,
    find_tier,
    format_de,
    load_terms,
    parse_employee_count,
    parse_terms,
    quote,
)

ROOT = Path(__file__).resolve().parents[2]
TERMS_FILE = ROOT / "bot" / "membership" / "terms.yml"
DOMAIN_FILE = ROOT / "bot" / "domain" / "membership.yml"


@pytest.fixture(scope="module")
def terms():
    return load_terms(TERMS_FILE)


@pytest.fixture(scope="module")
def domain_responses() -> dict:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]


def _render(template: str, variables: dict) -> str:
    return " ".join(template.format(**variables).split())


@pytest.mark.parametrize(
    ("employees", "stage", "shares", "total"),
    [
        (1, 1, 1, "1.000"),
        (50, 1, 1, "1.000"),
        (51, 2, 2, "2.000"),
        (250, 2, 2, "2.000"),
        (251, 3, 3, "3.000"),
        (500, 3, 3, "3.000"),
        (501, 4, 4, "4.000"),
        (1000, 4, 4, "4.000"),
        (1001, 5, 5, "5.000"),
        (2000, 5, 5, "5.000"),
        (2001, 6, 6, "6.000"),
        (150_000, 6, 6, "6.000"),
    ],
)
def test_every_tier_boundary(terms, employees, stage, shares, total):
    tier = find_tier(terms, employees)
    assert (tier.stage, tier.shares) == (stage, shares)
    assert quote(terms, employees)["total"] == total


def test_landau_example_from_the_decision_paper(terms, domain_responses):
    """Sitzungsvorlage Landau: ~670 employees -> Ziffer 4 -> 4 shares of 1.000 € = 4.000 €."""
    text = _render(domain_responses["utter_membership_cost"][0]["text"], quote(terms, 670))
    assert text == (
        "Bei 670 Beschäftigten gilt Stufe 4 (501–1.000 Beschäftigte): 4 Geschäftsanteile zu je 1.000 €, "
        "zusammen 4.000 €. Die Anteile sind nach der Aufnahme in die Genossenschaft einzuzahlen."
    )


def test_single_share_answer_uses_singular(terms, domain_responses):
    text = _render(domain_responses["utter_membership_cost_single"][0]["text"], quote(terms, 12))
    assert "1 Geschäftsanteil zu 1.000 €" in text
    assert "Stufe 1 (1–50 Beschäftigte)" in text


def test_large_counts_use_thousands_dots(terms):
    q = quote(terms, 12500)
    assert q["count"] == "12.500"
    assert q["range_label"] == "mehr als 2.000 Beschäftigte"
    assert format_de(1234567) == "1.234.567"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("670", 670),
        ("1.200", 1200),
        ("1200", 1200),
        ("12 500", 12500),
        ("12\u00a0500 Beschäftigte", 12500),
        ("rund 2.000", 2000),
        ("ca. 300", 300),
        ("etwa 1.850 Beschäftigte", 1850),
        ("knapp 700 Mitarbeitende", 700),
        ("zweitausend", 2000),
        ("dreihundertfünfzig", 350),
        ("dreihundertfuenfzig", 350),
        ("tausend", 1000),
        ("zwölftausendfünfhundert", 12500),
        ("einundzwanzig Leute", 21),
        ("zwei tausend fünfhundert", 2500),
        ("1,5 Tausend", 1500),
        ("2 Tsd. Beschäftigte", 2000),
        ("Staffel für 1.850 Beschäftigte?", 1850),
        ("Was kostet die Mitgliedschaft 2026 bei 300 MA?", 300),
        ("Wir haben 3 Standorte und 670 Beschäftigte", 670),
        ("über 2.000 Mitarbeiter", 2001),
        ("mehr als 2000", 2001),
        ("unter 51 Beschäftigte", 50),
        ("so ungefähr fuchzg Leid im Rathaus", 50),
        ("zwoahundat Leit", 200),
        ("fuffzich Kollegen", 50),
        ("mir sind an Gmoid mit zwoihundertfuffzig Leit", 250),  # set 13 (DD-009)
        ("fuffzg Leit", 50),
        ("und wenn wir nächstes jahr einundfünfzig sind?", 51),  # set 14 (ED-010): "Jahr" took it for a year
        ("so um die zwölfhundert Leute denke ich", 1200),
        ("Also beim ganze Landkreis sin mir so ca. zwölfhunnert Leut, schätz isch.", 1200),
        ("fünfzehnhundert Beschäftigte", 1500),
        ("Ok und bei zwoatausendoans?", 2001),
        ("Wir haben fünfhundertein Beschäftigte, Stand letzte Woche.", 501),
        # the count a change arrives at, not the change
        ("Und wenn wir bis zum Beitritt zwei Stellen abbauen, also 499?", 499),
        ("zwei Stellen mehr, dann sind wir bei 502", 502),
        ("also wir haben 2 Standorte mit 300 Beschäftigten", 300),
    ],
)
def test_german_number_formats(text, expected):
    parsed = parse_employee_count(text)
    assert parsed.ok, parsed
    assert parsed.value == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0", "not_positive"),
        ("null", "not_positive"),
        ("-5", "not_positive"),
        ("minus 20 Beschäftigte", "not_positive"),
        ("viele", "missing"),
        ("keine Ahnung", "missing"),
        ("", "missing"),
        (None, "missing"),
        ("Wir sind eine kleine Gemeinde", "missing"),
        ("1.000 €", "missing"),
        ("1,5", "not_integer"),
        ("5000000", "implausible"),
    ],
)
def test_nonsense_is_rejected_with_a_reason(text, problem):
    parsed = parse_employee_count(text)
    assert not parsed.ok
    assert parsed.problem == problem


def test_administrator_can_change_terms_without_code(tmp_path):
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    data["share_price_eur"] = 1500
    changed = tmp_path / "terms.yml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    q = quote(load_terms(changed), 670)
    assert (q["price"], q["total"]) == ("1.500", "6.000")


def test_terms_with_a_gap_are_refused():
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    data["tiers"][2]["min"] = 260
    with pytest.raises(TermsError, match="gap"):
        parse_terms(data)


def test_terms_must_end_open_ended():
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    data["tiers"][-1]["max"] = 5000
    with pytest.raises(TermsError, match="open-ended"):
        parse_terms(data)


def test_every_fact_names_a_known_source():
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    known = set(data["sources"])
    refs = data["share_price_source"] + data["tiers_source"] + data["unknown_topics_source"]
    for topic in data["topics"].values():
        assert topic["sources"], topic
        refs += topic["sources"]
    assert all(ref["doc"] in known for ref in refs)


def test_faq_responses_and_terms_topics_match(domain_responses, terms):
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    in_terms = {t["response"] for t in data["topics"].values()}
    in_domain = {name for name in domain_responses if name.startswith("utter_membership_faq/")}
    assert in_terms == in_domain
    price = format_de(terms.share_price_eur) + " €"
    assert price in domain_responses["utter_membership_faq/payment"][0]["text"]
    assert price in domain_responses["utter_membership_faq/financing"][0]["text"]


@pytest.mark.parametrize(
    ("text", "topic_id"),
    [
        ("Wie lange ist die Kündigungsfrist?", "termination"),
        ("Wie lange ist die Kuendigungsfrist", "termination"),
        ("Können wir jederzeit austreten?", "termination"),
        ("Was steht in der Satzung?", "statute"),
        ("Welche Kommunen sind Mitglied?", "member_list"),
        ("Gibt es einen Jahresbeitrag?", "annual_fees"),
    ],
)
def test_unknown_topics_are_recognised(terms, text, topic_id):
    topic = detect_unknown_topic(terms, text)
    assert topic is not None and topic.id == topic_id


@pytest.mark.parametrize(
    "text",
    [
        # set 12 (CH-011): a municipality's own bylaw and fees are a course subject, not the statute
        "wir müssen die friedhofsgebühren neu kalkulieren, letzte satzung ist von 2011. format ist mir egal",
        "Schulung zur Gebührensatzung für die Kita",
    ],
)
def test_a_municipal_bylaw_is_no_unknown_topic_of_the_cooperative(terms, text):
    assert detect_unknown_topic(terms, text) is None


def test_the_cooperatives_statute_is_unknown_even_next_to_a_municipal_bylaw(terms):
    text = "Gilt für die Genossenschaft eine Satzung wie unsere Friedhofssatzung?"
    topic = detect_unknown_topic(terms, text)
    assert topic is not None and topic.id == "statute"


def test_unknown_topic_labels_fit_the_sentence(terms, domain_responses):
    template = domain_responses["utter_membership_unknown_topic"][0]["text"]
    for topic in terms.unknown_topics:
        sentence = _render(template, {"topic": topic.label})
        assert sentence.startswith("Das weiß ich leider nicht.")
        assert re.search(r"Angaben (zu|zur|zum) ", sentence), sentence


def test_the_price_of_one_share_in_dialect_is_asked_as_such():
    from bot.actions.membership import asks_share_price

    assert asks_share_price("Ah, und no was anders: was kost eigentlich so a Geschäftsanteil bei eich?")
    assert not asks_share_price("Was kostet die Mitgliedschaft bei uns?")


def test_a_tagged_piece_of_the_count_does_not_replace_it():
    # set 14 (EC-010): DIET tagged "zweitausend" of "… zweitausendeins leute, also jenau eener über
    # zweitausend"; the answer said 5.000 € instead of 6.000 €
    from bot.actions.membership import count_from_message

    text = "na mit allem drum und dran sind wa zweitausendeins leute, also jenau eener über zweitausend"
    assert count_from_message(text, ["zweitausend"]).value == 2001
    assert count_from_message("über 2.000 Mitarbeiter", ["2.000"]).value == 2001
    # a whole count the NLU tagged is still taken as it is
    assert count_from_message("Wir haben 3 Standorte und 670 Beschäftigte", ["670"]).value == 670


def test_a_year_after_jahr_is_no_head_count():
    from bot.actions.membership import parse_employee_count

    assert parse_employee_count("Wir sind seit dem Jahr 2020 dabei").problem == "missing"
    assert parse_employee_count("im Jahr 2020 waren wir 300").value == 300
