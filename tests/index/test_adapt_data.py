"""Training data of the domain adaptation (index/adapt): the pair builder and the near-duplicate filter.

The committed ``index/adapt/data/pairs.jsonl`` is what ``make adapt`` trains on; these tests check that it
holds the three sources, points only at real courses and contains no dev or test query (nor a near copy).
The cosine part of the filter needs the base model's ONNX export (``needs_model``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import catalog as cat
from index.adapt import overlap, pairs
from index.adapt.prepare import EVAL_SETS, PAIRS_FILE, REPORT_FILE, eval_queries

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "var" / "models" / "multilingual-e5-small"


@pytest.fixture(scope="module")
def courses() -> list[dict]:
    return cat.load_catalog(ROOT / "index" / "data" / "catalog.jsonl").courses


@pytest.fixture(scope="module")
def committed() -> list[pairs.Pair]:
    return pairs.read_pairs(PAIRS_FILE)


def _course(cid: str, title: str, skills: list[str]) -> dict:
    return {"id": cid, "title": title, "description": f"Beschreibung von {title}.", "skills": skills}


# --- pair builder ---------------------------------------------------------------------------------------


def test_course_targets_favour_the_first_and_the_rare_skill() -> None:
    by_skill = {"Deeskalation": ["c1"], "Kommunikation": ["c1", "c2", "c3", "c4"]}
    weights = pairs.course_targets(["Deeskalation", "Kommunikation"], by_skill)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-5)
    # c1 teaches the problem's main (and rare) skill: it must be the clear target
    assert weights["c1"] > 3 * weights["c2"]
    assert weights["c2"] == weights["c3"] == weights["c4"]
    # swapping the order makes the broad skill dominate the spread
    swapped = pairs.course_targets(["Kommunikation", "Deeskalation"], by_skill)
    assert swapped["c2"] > weights["c2"]


def test_problem_pairs_point_at_the_courses_that_teach_the_skills() -> None:
    courses = [
        _course("c1", "Deeskalation am Schalter", ["Deeskalation"]),
        _course("c2", "Excel für Einsteiger", ["Tabellenkalkulation"]),
    ]
    problem = {"id": "p1", "text": "Die Leute werden am Schalter laut.", "skills": ["Deeskalation"]}
    built = pairs.problem_pairs([problem], courses)
    by_kind = {p.kind: p for p in built}
    assert by_kind["problem_courses"].courses == {"c1": 1.0}
    assert by_kind["problem_skill"].positive == "Deeskalation"
    assert all(p.query == problem["text"] and p.source == "problems" for p in built)


def test_a_problem_with_an_unknown_skill_is_refused() -> None:
    courses = [_course("c1", "Deeskalation am Schalter", ["Deeskalation"])]
    problem = {"id": "p9", "text": "Ich brauche was zu Excel.", "skills": ["Tabellenzauberei"]}
    with pytest.raises(ValueError, match="p9.*Tabellenzauberei"):
        pairs.problem_pairs([problem], courses)


def test_a_title_leads_to_its_own_description(courses) -> None:
    built = pairs.catalog_pairs(courses[:20])
    titles = [p for p in built if p.kind == "catalog_title"]
    assert len(titles) == 20
    for pair, course in zip(titles, courses[:20], strict=True):
        assert pair.positive.startswith(course["description"])
        assert pair.ref == course["id"]


def test_esco_alternative_labels_lead_to_label_and_definition() -> None:
    built = pairs.esco_pairs()
    alts = [p for p in built if p.kind.endswith("alt_label")]
    assert alts, "no ESCO alternative-label pairs"
    for pair in alts:
        label, _, definition = (pair.positive or "").partition(": ")
        assert label and definition, pair
        assert pair.query.casefold() != label.casefold()


# --- the committed training data ------------------------------------------------------------------------


def test_committed_pairs_cover_the_three_sources(committed) -> None:
    by_source: dict[str, int] = {}
    for p in committed:
        by_source[p.source] = by_source.get(p.source, 0) + 1
    assert len(committed) >= 3000
    assert set(by_source) == {"esco", "catalog", "problems"}
    problems = {p.ref for p in committed if p.source == "problems"}
    assert len(problems) >= 1500, f"only {len(problems)} problem descriptions left after the filter"


def test_committed_course_targets_are_catalog_courses(committed, courses) -> None:
    ids = {c["id"] for c in courses}
    with_courses = [p for p in committed if p.courses]
    assert with_courses
    for p in with_courses:
        assert set(p.courses) <= ids, p.ref
        assert sum(p.courses.values()) > 0


def test_committed_pairs_contain_no_evaluation_query_or_near_copy(committed) -> None:
    """The n-gram part of the filter, re-checked on the committed file (the cosine part needs the model)."""
    evaluation = eval_queries()
    assert {split for split, _, _ in evaluation} == set(EVAL_SETS)
    eval_grams = [overlap.ngrams(q) for _, _, q in evaluation]
    folded = {" ".join(overlap.ngrams(q)) for _, _, q in evaluation}
    for text in {p.query for p in committed}:
        grams = overlap.ngrams(text)
        assert " ".join(grams) not in folded
        for (split, qid, _), eg in zip(evaluation, eval_grams, strict=True):
            common = len(grams & eg)
            assert common / len(grams | eg) < overlap.JACCARD, (split, qid, text)
            assert common / len(eg) < overlap.CONTAINMENT, (split, qid, text)


def test_filter_report_matches_the_committed_file(committed) -> None:
    report = json.loads(REPORT_FILE.read_text(encoding="utf-8"))
    assert report["pairs_kept"]["total"] == len(committed)
    assert report["pairs_before"]["total"] == report["pairs_kept"]["total"] + report["pairs_removed"]["total"]
    removed = {r["training_text"] for r in report["removed"]}
    assert removed.isdisjoint({p.query for p in committed})


# --- the filter -----------------------------------------------------------------------------------------


def test_ngrams_ignore_case_umlaut_spelling_and_punctuation() -> None:
    assert overlap.ngrams("Bürgergeld beantragen!") == overlap.ngrams("buergergeld   BEANTRAGEN")
    assert overlap.ngrams("Bürgergeld") != overlap.ngrams("Wohngeld")


def test_filter_flags_copies_quotes_and_close_vectors_but_not_other_texts() -> None:
    evaluation = [
        ("dev", "q1", "Excel Pivot Tabellen für Einsteiger"),
        ("test", "t1", "Datenschutz im Homeoffice"),
    ]
    train = [
        "excel pivot-tabellen fuer einsteiger",  # the dev query, respelled
        "Ich suche etwas zu Datenschutz im Homeoffice, gibt es da was?",  # quotes the test query
        "Wie schreibe ich einen Bescheid verständlich?",  # unrelated wording, vector close to nothing
        "Wie formuliere ich Bescheide bürgernah?",  # unrelated wording, vector a near copy of q1 (made up)
    ]
    eval_vectors = np.eye(2, 3, dtype=np.float32)
    train_vectors = np.array([[0.2, 0.0, 0.98], [0.0, 0.3, 0.95], [0.3, 0.3, 0.9], [0.95, 0.0, 0.31]])
    matches = overlap.closest(train, train_vectors, evaluation, eval_vectors)
    assert [m.duplicate for m in matches] == [True, True, False, True]
    assert (matches[0].split, matches[0].qid) == ("dev", "q1")
    assert (matches[1].split, matches[1].qid) == ("test", "t1")
    assert matches[3].qid == "q1" and matches[3].cosine >= overlap.COSINE


@pytest.mark.needs_model
def test_filter_with_the_base_model_catches_a_paraphrase() -> None:
    """Real cosines: a reworded dev query is removed, a different topic in the same register is kept."""
    if not (MODEL_DIR.parent / f"{MODEL_DIR.name}-onnx").is_dir():
        pytest.fail(
            f"ONNX export of the base model missing next to {MODEL_DIR} (run 'make setup')", pytrace=False
        )
    from e5 import OnnxEncoder

    evaluation = [
        ("dev", "q1", "Die Leute am Schalter werden immer lauter und ich weiß nicht, wie ich reagieren soll")
    ]
    train = [
        "Am Schalter werden die Leute immer lauter, ich weiß einfach nicht, wie ich reagieren soll",
        "Ich verliere ständig den Überblick über meine Fristen und Wiedervorlagen",
    ]
    encoder = OnnxEncoder(MODEL_DIR, variant="onnx", threads=1)
    matches = overlap.closest(
        train,
        encoder.encode_queries(train),
        evaluation,
        encoder.encode_queries([q for _, _, q in evaluation]),
    )
    assert [m.duplicate for m in matches] == [True, False]


def test_problem_files_are_read_together_and_an_id_may_occur_once(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    row = {"id": "p1", "text": "Am Schalter wird es laut.", "skills": ["Deeskalation"]}
    first.write_text(json.dumps(row) + "\n", encoding="utf-8")
    second.write_text(json.dumps({**row, "id": "s1"}) + "\n\n", encoding="utf-8")
    assert [p["id"] for p in pairs.load_problems((first, second))] == ["p1", "s1"]
    second.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="occurs twice"):
        pairs.load_problems((first, second))
    second.write_text(json.dumps({"id": "s2", "text": "ohne Kompetenz"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs 'id', 'text' and 'skills'"):
        pairs.load_problems((first, second))


def test_committed_problem_files_name_only_catalog_skills(courses) -> None:
    labels = set(pairs.skill_concepts(courses))
    problems = pairs.load_problems()
    assert {p["id"][0] for p in problems} == {"p", "s"}  # both files are read
    assert all(set(p["skills"]) <= labels for p in problems)
