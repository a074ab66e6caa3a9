"""Course catalog interchange format: loading (JSON Lines, CSV) and validation.

Every row is either accepted (normalised) or rejected with its line number and all reasons;
nothing is dropped silently. The JSON Schema in ``catalog_schema.json`` documents the same format.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from german.numbers import parse_number
from german.vocabulary import FORMATS, LEVELS, format_value, level_value

SCHEMA_PATH = Path(__file__).with_name("catalog_schema.json")

REQUIRED_FIELDS = ("id", "title", "description")
OPTIONAL_FIELDS = (
    "provider",
    "format",
    "duration_hours",
    "level",
    "language",
    "cost_eur",
    "target_group",
    "skills",
    "url",
    "start_dates",
    "region",
)
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
_STRING_FIELDS = ("provider", "target_group", "region", "title", "description")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


class CatalogError(Exception):
    """The catalog cannot be imported (unreadable file, or rejected rows under --strict)."""


@dataclass
class RejectedRow:
    line: int
    reasons: list[str]
    raw: Any

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reasons": self.reasons, "row": self.raw}


@dataclass
class LoadResult:
    path: Path
    courses: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.rejected


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _as_list(value: Any, from_csv: bool) -> Any:
    """CSV cells hold lists as ';'-separated text or as a JSON list."""
    if not from_csv or not isinstance(value, str):
        return value
    s = value.strip()
    if s.startswith("["):
        try:
            return json.loads(s)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON list ({exc.msg})") from exc
    return [part.strip() for part in s.split(";") if part.strip()]


def skill_labels(course: dict[str, Any]) -> list[str]:
    """Plain labels of a (validated) course's skills."""
    out = []
    for s in course.get("skills") or []:
        out.append(s["label"] if isinstance(s, dict) else s)
    return out


def validate_row(row: dict[str, Any], from_csv: bool = False) -> tuple[dict[str, Any] | None, list[str]]:
    """Validate and normalise one row. Returns (course, []) or (None, reasons)."""
    reasons: list[str] = []
    out: dict[str, Any] = {}
    empty_cells: set[str] = set()
    if from_csv:  # empty CSV cells mean "not given"
        empty_cells = {k for k, v in row.items() if isinstance(v, str) and not v.strip()}
        row = {k: v for k, v in row.items() if k is not None and k not in empty_cells}
    for name in REQUIRED_FIELDS:
        if name in empty_cells:
            reasons.append(f"empty {name}")
        elif name not in row or row[name] is None:
            reasons.append(f"missing required field '{name}'")
    for name in ("id", "title", "description"):
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            reasons.append(f"'{name}' must be a string, got {type(value).__name__}")
        elif not value.strip():
            reasons.append(f"empty {name}")
        else:
            out[name] = value.strip()
    for name in ("provider", "target_group", "region"):
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            reasons.append(f"'{name}' must be a string, got {type(value).__name__}")
        elif value.strip():
            out[name] = value.strip()
    if row.get("format") is not None:
        value = row["format"]
        fmt = format_value(value) if isinstance(value, str) else None
        if fmt is None:
            reasons.append(f"'format' must be one of {', '.join(FORMATS)}, got {value!r}")
        else:
            out["format"] = fmt
    if row.get("level") is not None:
        value = row["level"]
        lvl = level_value(value) if isinstance(value, str) else None
        if lvl is None:
            reasons.append(f"'level' must be one of {', '.join(LEVELS)}, got {value!r}")
        else:
            out["level"] = lvl
    if row.get("language") is not None:
        value = row["language"]
        if not isinstance(value, str) or not _LANG_RE.match(value.strip().lower()):
            reasons.append(f"'language' must be a language code like 'de', got {value!r}")
        else:
            out["language"] = value.strip().lower()
    for name, allow_zero in (("duration_hours", False), ("cost_eur", True)):
        if row.get(name) is None:
            continue
        try:
            num = parse_number(row[name])
        except ValueError as exc:
            reasons.append(f"'{name}': {exc}")
            continue
        if num < 0 or (num == 0 and not allow_zero):
            reasons.append(f"'{name}' must be {'>= 0' if allow_zero else '> 0'}, got {row[name]!r}")
        else:
            out[name] = int(num) if num.is_integer() else num
    if row.get("url") is not None:
        value = row["url"]
        if not isinstance(value, str) or not re.match(r"^https?://\S+$", value.strip()):
            reasons.append(f"'url' must be an http(s) URL, got {value!r}")
        else:
            out["url"] = value.strip()
    if row.get("skills") is not None:
        try:
            skills = _as_list(row["skills"], from_csv)
        except ValueError as exc:
            reasons.append(f"'skills': {exc}")
            skills = None
        if skills is not None:
            norm, errs = _validate_skills(skills)
            reasons.extend(errs)
            if not errs:
                out["skills"] = norm
    if row.get("start_dates") is not None:
        try:
            dates = _as_list(row["start_dates"], from_csv)
        except ValueError as exc:
            reasons.append(f"'start_dates': {exc}")
            dates = None
        if dates is not None:
            if not isinstance(dates, list) or not all(isinstance(d, str) for d in dates):
                reasons.append("'start_dates' must be a list of ISO dates (YYYY-MM-DD)")
            else:
                bad = [d for d in dates if not _DATE_RE.match(d.strip())]
                if bad:
                    reasons.append(f"'start_dates': not an ISO date (YYYY-MM-DD): {bad[0]!r}")
                else:
                    out["start_dates"] = [d.strip() for d in dates]
    for key, value in row.items():  # unknown fields are kept as they are
        if key not in KNOWN_FIELDS:
            out[key] = value
    return (None, reasons) if reasons else (out, [])


def _validate_skills(skills: Any) -> tuple[list[Any], list[str]]:
    if not isinstance(skills, list):
        return [], [f"'skills' must be a list, got {type(skills).__name__}"]
    norm: list[Any] = []
    for i, s in enumerate(skills):
        if isinstance(s, str) and s.strip():
            norm.append(s.strip())
        elif isinstance(s, dict) and isinstance(s.get("label"), str) and s["label"].strip():
            item = {"label": s["label"].strip()}
            if s.get("uri") is not None:
                if not isinstance(s["uri"], str):
                    return [], [f"'skills[{i}].uri' must be a string"]
                item["uri"] = s["uri"]
            item.update({k: v for k, v in s.items() if k not in ("label", "uri")})
            norm.append(item)
        else:
            return [], [f"'skills[{i}]' must be a non-empty string or an object with a 'label', got {s!r}"]
    return norm, []


def _iter_jsonl(path: Path):
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, line.rstrip("\n"), [f"invalid JSON ({exc.msg} at column {exc.colno})"]
                continue
            if not isinstance(row, dict):
                yield lineno, row, [f"a row must be a JSON object, got {type(row).__name__}"]
                continue
            yield lineno, row, []


def _iter_csv(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = fh.readline()
        fh.seek(0)
        # Detect the delimiter from the header only: cells (skills) may contain ';' and ','.
        delimiter = max(",;\t", key=header.count)
        reader = csv.DictReader(fh, delimiter=delimiter)
        if reader.fieldnames is None:
            return
        start = reader.line_num + 1
        for row in reader:
            line = start
            start = reader.line_num + 1
            if None in row:
                yield line, row, ["more cells than header columns"]
                continue
            if all(v is None or not str(v).strip() for v in row.values()):
                continue
            yield line, row, []


def load_catalog(path: str | Path) -> LoadResult:
    """Load and validate a catalog (.jsonl/.ndjson/.json lines or .csv)."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"catalog file not found: {path}")
    from_csv = path.suffix.lower() in (".csv", ".tsv")
    rows = _iter_csv(path) if from_csv else _iter_jsonl(path)
    result = LoadResult(path=path, sha256=file_sha256(path))
    seen: dict[str, int] = {}
    try:
        for lineno, raw, errors in rows:
            if errors:
                result.rejected.append(RejectedRow(lineno, errors, raw))
                continue
            course, reasons = validate_row(raw, from_csv=from_csv)
            if course is not None and course["id"] in seen:
                course, reasons = (
                    None,
                    [f"duplicate id '{course['id']}' (first seen on line {seen[course['id']]})"],
                )
            if course is None:
                result.rejected.append(RejectedRow(lineno, reasons, raw))
            else:
                seen[course["id"]] = lineno
                result.courses.append(course)
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise CatalogError(f"{path}: unreadable CSV ({exc})") from exc
    return result


def default_rejected_path(catalog: Path) -> Path:
    return catalog.with_name(catalog.name + ".rejected.jsonl")


def write_rejected(result: LoadResult, dest: Path | None = None) -> Path | None:
    """Write rejected rows with reasons; removes a stale file when everything was accepted."""
    dest = dest or default_rejected_path(result.path)
    if not result.rejected:
        if dest.exists():
            dest.unlink()
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", encoding="utf-8") as fh:
        for rej in result.rejected:
            fh.write(json.dumps(rej.to_json(), ensure_ascii=False) + "\n")
    return dest


def format_report(result: LoadResult) -> list[str]:
    """Human-readable (operator, English) lines describing each rejected row."""
    return [f"{result.path.name}:{r.line}: {'; '.join(r.reasons)}" for r in result.rejected]
