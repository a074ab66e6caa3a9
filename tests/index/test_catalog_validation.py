"""Catalog import: every bad row is reported with its line number and reason, nothing is dropped silently."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index import catalog as cat

ROOT = Path(__file__).resolve().parents[2]

GOOD = {"id": "c1", "title": "Datenschutz kompakt", "description": "Grundlagen der DSGVO für die Verwaltung."}


def write_jsonl(path: Path, rows: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reasons_by_line(result: cat.LoadResult) -> dict[int, str]:
    return {r.line: "; ".join(r.reasons) for r in result.rejected}


def test_each_error_kind_is_reported_with_line_number(tmp_path):
    rows = [
        GOOD,
        {**GOOD, "title": "Doppelt"},  # 2 duplicate id
        {"id": "c3", "title": "Ohne Beschreibung"},  # 3 missing field
        {"id": "c4", "title": ["Liste"], "description": "x"},  # 4 wrong type
        {"id": "c5", "title": "Leer", "description": "   "},  # 5 empty description
        {**GOOD, "id": "c6", "duration_hours": "zwölf"},  # 6 unparseable number
        "{kaputt",  # 7 invalid JSON
        {**GOOD, "id": "c8", "format": "Fernunterricht"},  # 8 bad enum
        {**GOOD, "id": "c9", "duration_hours": "12,5", "cost_eur": "1.200,50", "format": "Präsenz"},
    ]
    result = cat.load_catalog(write_jsonl(tmp_path / "c.jsonl", rows))
    got = reasons_by_line(result)
    assert set(got) == {2, 3, 4, 5, 6, 7, 8}
    assert "duplicate id 'c1'" in got[2] and "line 1" in got[2]
    assert "missing required field 'description'" in got[3]
    assert "'title' must be a string" in got[4]
    assert "empty description" in got[5]
    assert "zwölf" in got[6]
    assert "invalid JSON" in got[7]
    assert "format" in got[8]
    ok = {c["id"]: c for c in result.courses}
    assert set(ok) == {"c1", "c9"}
    assert ok["c9"]["duration_hours"] == 12.5 and ok["c9"]["cost_eur"] == 1200.5
    assert ok["c9"]["format"] == "praesenz"


def test_all_reasons_of_a_row_are_listed(tmp_path):
    result = cat.load_catalog(
        write_jsonl(
            tmp_path / "c.jsonl",
            [{"id": "x", "title": "", "description": "d", "level": "Profi", "cost_eur": -5}],
        )
    )
    reasons = result.rejected[0].reasons
    assert len(reasons) == 3
    assert any("empty title" in r for r in reasons) and any("level" in r for r in reasons)
    assert any("cost_eur" in r for r in reasons)


def test_unknown_fields_and_skill_objects_are_kept(tmp_path):
    row = {
        **GOOD,
        "foerderfaehig": True,
        "extra": {"a": 1},
        "skills": ["Datenschutz", {"label": "DSGVO anwenden", "uri": "http://data.europa.eu/esco/skill/x"}],
    }
    result = cat.load_catalog(write_jsonl(tmp_path / "c.jsonl", [row]))
    course = result.courses[0]
    assert course["foerderfaehig"] is True and course["extra"] == {"a": 1}
    assert cat.skill_labels(course) == ["Datenschutz", "DSGVO anwenden"]
    assert course["skills"][1]["uri"].endswith("/x")


def test_csv_lists_numbers_and_line_numbers(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "id,title,description,skills,start_dates,duration_hours,format,bemerkung\n"
        'k1,Doppik,"Kommunales Rechnungswesen,\nmit Zeilenumbruch",Doppik;Haushaltsrecht,'
        '2026-01-10;2026-03-01,"7,5",präsenz,neu\n'
        'k2,E-Akte,Einführung,"[""E-Akte"", ""DMS""]",,8,online,\n'
        "k3,Ohne Zahl,Beschreibung,,,acht,online,\n"
        "k1,Doppelt,Beschreibung,,,,,\n"
        "k7,Ohne Text,,,,,,\n",
        encoding="utf-8",
    )
    result = cat.load_catalog(path)
    ok = {c["id"]: c for c in result.courses}
    assert ok["k1"]["skills"] == ["Doppik", "Haushaltsrecht"]
    assert ok["k1"]["start_dates"] == ["2026-01-10", "2026-03-01"]
    assert ok["k1"]["duration_hours"] == 7.5 and ok["k1"]["format"] == "praesenz"
    assert ok["k1"]["bemerkung"] == "neu"
    assert ok["k2"]["skills"] == ["E-Akte", "DMS"]
    got = reasons_by_line(result)
    # the quoted newline makes k1 span lines 2-3, so k3 is on line 5 and the duplicate on line 6
    assert set(got) == {5, 6, 7}
    assert "acht" in got[5] and "duplicate id 'k1'" in got[6] and got[7] == "empty description"


def test_rejected_rows_are_written_with_reasons(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [GOOD, {"id": "c2", "title": "x"}])
    result = cat.load_catalog(path)
    dest = cat.write_rejected(result)
    assert dest == tmp_path / "c.jsonl.rejected.jsonl"
    lines = [json.loads(x) for x in dest.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"line": 2, "reasons": ["missing required field 'description'"], "row": {"id": "c2", "title": "x"}}
    ]


def test_schema_documents_the_same_fields():
    schema = json.loads(cat.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["properties"]) == set(cat.KNOWN_FIELDS)
    assert schema["required"] == list(cat.REQUIRED_FIELDS)


@pytest.mark.parametrize("strict,expected_rc", [(False, 0), (True, 1)])
def test_cli_validate_strict(tmp_path, strict, expected_rc):
    path = write_jsonl(tmp_path / "c.jsonl", [GOOD, {"id": "c2", "title": "x"}])
    rejected = tmp_path / "bad.jsonl"
    cmd = [sys.executable, "-m", "index.cli", "validate", "--catalog", str(path), "--rejected", str(rejected)]
    proc = subprocess.run(cmd + (["--strict"] if strict else []), cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == expected_rc
    assert "c.jsonl:2: missing required field 'description'" in proc.stderr
    assert "1 valid, 1 rejected" in proc.stderr
    assert rejected.is_file()


def test_strict_build_refuses_the_whole_import(tmp_path):
    from index.build import build_index

    path = write_jsonl(tmp_path / "c.jsonl", [GOOD, {"id": "c2", "title": "x"}])
    with pytest.raises(cat.CatalogError, match="strict"):
        build_index(path, tmp_path / "idx", strict=True, encoder=object())
    assert not (tmp_path / "idx" / "current").exists()
