"""Topic words for told problems (index/problem_terms.py, index/data/problem_terms.yml)."""

from __future__ import annotations

import json

import pytest

from index.problem_terms import ProblemTermsError, parse_entries, problem_topics, with_problem_terms
from tests.index.conftest import demo_courses

# Courses a told problem must reach, and neighbours it could drift to by shared everyday words.
COURSES = [
    "kc-a-133",  # Deeskalation am Schalter
    "kc-b-029",  # Deeskalation und Eigensicherung im Außendienst des Ordnungsamts
    "kc-a-137",  # Verständlich schreiben: E-Mails und Briefe
    "kc-a-065",  # Excel Grundkurs
    "kc-b-066",  # Stressbewältigung und Resilienz
    "kc-b-065",  # Zeitmanagement im Verwaltungsalltag
    "kc-b-021",  # Verwaltungsvollstreckung
    "kc-b-111",  # Straßenbau und Verkehrssicherungspflicht
    "kc-a-135",  # Social Media für Kommunen
    "kc-a-049",  # Datenschutz am Arbeitsplatz
]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Strafzettl schreibt und die Leit wern grantig", "Deeskalation"),
        ("am Schalter werden die Leute immer pampiger", "Deeskalation"),
        ("beim strafzettel schreiben werden mia dauernd angemault", "Deeskalation"),
        ("Ich verliere ständig den Überblick über meine Mails", "Zeitmanagement"),
        ("viele Bürger zahlen ihre Gebühren einfach nicht", "Vollstreckung"),
        ("wir müssen dauernd Baustellen absichern", "Verkehrssicherung"),
        ("die Bürger verstehen unsere Bescheide nicht", "verständlich schreiben"),
        ("ich muss vor dem Gemeinderat reden und hab Lampenfieber", "Präsentieren"),
        # set 12 (CG-009, CE-006)
        ("ehrlich gesagt bin ich selber total am limit", "Stressbewältigung"),
        ("mei rücken macht au scho schlapp vom schleppen", "Ergonomie"),
        ("die jungs auf dem bauhof haben alle kreuzweh", "Ergonomie"),
        ("gibts was für die kollegen wegen heben und tragen", "Ergonomie"),
    ],
)
def test_a_told_problem_gets_the_topic_words_of_its_answer(text, topic):
    assert any(topic in words for words in problem_topics(text))


@pytest.mark.parametrize(
    "text",
    [
        "Excel Pivot",
        "Ich brauche einen Überblick über die DSGVO",  # an overview is no lost track
        "Umstellung auf E-Rechnung",
        "Wir zahlen nicht mehr als 200 Euro",  # a cost limit is no unpaid claim
    ],
)
def test_a_named_topic_stays_as_it_is(text):
    assert with_problem_terms(text) == text


def test_cues_are_looked_for_in_the_text_before_spelling_correction():
    expanded = with_problem_terms("Zeitmanagement", told="die Leute werden pampig")
    assert expanded.startswith("Zeitmanagement – Deeskalation")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entries": "x"}, "list 'entries'"),
        ({"entries": [{"name": "a", "cues": ["x"], "terms": " "}]}, "non-empty 'terms'"),
        ({"entries": [{"name": "a", "cues": [{"x": "y"}], "terms": "T"}]}, "list of 'cues'"),
        ({"entries": [{"name": "a", "cues": ["(unclosed"], "terms": "T"}]}, "invalid cue"),
    ],
)
def test_a_malformed_file_is_named_with_the_bad_entry(data, message):
    with pytest.raises(ProblemTermsError, match=message):
        parse_entries(data)


@pytest.fixture(scope="module")
def problem_searcher(tmp_path_factory, encoder):
    from index.build import build_index
    from index.search import Searcher

    by_id = {c["id"]: c for c in demo_courses()}
    path = tmp_path_factory.mktemp("problem-catalog") / "catalog.jsonl"
    lines = [json.dumps(by_id[i], ensure_ascii=False) + "\n" for i in COURSES]
    path.write_text("".join(lines), encoding="utf-8")
    out = tmp_path_factory.mktemp("problem-index")
    build_index(path, out, encoder=encoder)
    return Searcher(out, encoder=encoder)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I schreib Strafzettl und die Leit wern allweil grantiger", {"kc-a-133", "kc-b-029"}),
        ("bei uns zahlen viele Bürger ihre Gebühren einfach nicht", {"kc-b-021"}),
        ("wir müssen dauernd Baustellen an der Straße absichern", {"kc-b-111"}),
    ],
)
def test_the_search_answers_a_told_problem_with_its_topic(problem_searcher, query, expected):
    top = [r["id"] for r in problem_searcher.search(query, k=2)["results"]]
    assert top[0] in expected
