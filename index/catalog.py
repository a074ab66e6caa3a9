"""Course catalog interchange format: loading (JSON Lines, CSV) and validation.

Every row is either accepted (normalised) or rejected with its line number and all reasons;
nothing is dropped silently. A row is first normalised (German number notation, CSV lists, spellings of
format and level: :func:`prepare_row`), then validated against the JSON Schema ``schemas/catalog_row.json``,
which is the one description of the format; every violation becomes one English reason for the operator.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from german.numbers import parse_number
from german.vocabulary import format_value, level_value
from index import schemas

SCHEMA_PATH = schemas.SCHEMA_DIR / "catalog_row.json"

_ROW_SCHEMA = schemas.load("catalog_row")
REQUIRED_FIELDS: tuple[str, ...] = tuple(_ROW_SCHEMA["required"])
OPTIONAL_FIELDS: tuple[str, ...] = tuple(p for p in _ROW_SCHEMA["properties"] if p not in REQUIRED_FIELDS)
KNOWN_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS


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


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _number(value: Any) -> Any:
    """German notation to a number; anything unparseable stays as it is for the schema to reject."""
    try:
        num = parse_number(value)
    except ValueError:
        return value
    return int(num) if num.is_integer() else num


def _skill(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("label"), str):
        item = {**value, "label": value["label"].strip()}
        if item.get("uri") is None:
            item.pop("uri", None)
        return item
    return _strip(value)


def _strings(value: Any, item: Callable[[Any], Any] = _strip) -> Any:
    return [item(v) for v in value] if isinstance(value, list) else value


# How each field's value is normalised before validation (default: strip white space from text).
_PREPARE: dict[str, Callable[[Any], Any]] = {
    "format": lambda v: (format_value(v) or v) if isinstance(v, str) else v,
    "level": lambda v: (level_value(v) or v) if isinstance(v, str) else v,
    "language": lambda v: v.strip().lower() if isinstance(v, str) else v,
    "duration_hours": _number,
    "cost_eur": _number,
    "skills": lambda v: _strings(v, _skill),
    "start_dates": _strings,
}
_LIST_FIELDS = ("skills", "start_dates")


def prepare_row(row: dict[str, Any], from_csv: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply the import conveniences the schema describes but does not check (see its description).

    Returns the row to validate and, by field, the reasons found while reading it (a CSV list that is not
    valid JSON). Values that cannot be normalised stay as given, so that validation names them.
    """
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for key, value in row.items():
        if key is None:
            continue
        if from_csv and isinstance(value, str) and not value.strip():  # an empty cell means "not given" ...
            if key in REQUIRED_FIELDS:
                out[key] = ""  # ... which the schema reports as empty for a required column
            continue
        if key not in KNOWN_FIELDS:  # unknown fields are kept as they are
            out[key] = value
            continue
        if value is None:  # JSON null: not given
            continue
        if from_csv and key in _LIST_FIELDS:
            try:
                value = _as_list(value, from_csv)
            except ValueError as exc:
                reasons[key] = f"'{key}': {exc}"
                continue
        value = _PREPARE.get(key, _strip)(value)
        if key in OPTIONAL_FIELDS and value == "":
            continue  # an optional text that is only white space is not given
        out[key] = value
    return out, reasons


def validate_row(row: dict[str, Any], from_csv: bool = False) -> tuple[dict[str, Any] | None, list[str]]:
    """Normalise one row and validate it against the catalog schema. Returns (course, []) or (None, reasons).

    One English reason per field, in the schema's field order.
    """
    prepared, by_field = prepare_row(row, from_csv)
    for error in schemas.validator("catalog_row").iter_errors(prepared):
        if error.validator == "required" and not error.absolute_path:
            for name in error.validator_value:
                if name not in prepared:
                    by_field.setdefault(name, f"missing required field '{name}'")
        else:
            name = str(error.absolute_path[0]) if error.absolute_path else ""
            by_field.setdefault(name, _reason(error, row))
    order = {name: i for i, name in enumerate(KNOWN_FIELDS)}
    reasons = [by_field[name] for name in sorted(by_field, key=lambda n: order.get(n, len(order)))]
    return (None, reasons) if reasons else (prepared, [])


_EXPECTED = {
    "language": "a language code like 'de'",
    "url": "an http(s) URL",
    "start_dates": "a list of ISO dates (YYYY-MM-DD)",
    "skills[]": "a non-empty string or an object with a 'label'",
}
_TYPE_NAMES = {"string": "a string", "array": "a list", "object": "an object", "number": "a number"}


def _reason(error: Any, raw_row: dict[str, Any]) -> str:
    """The operator message for one schema violation; it quotes the value as it was given."""
    path = list(error.absolute_path)
    if not path:
        return f"row: {error.message}"
    name = str(path[0])
    raw = raw_row.get(name, error.instance)
    if name == "skills" and len(path) > 1:
        if path[2:] == ["uri"]:
            return f"'skills[{path[1]}].uri' must be a string"
        item = raw[path[1]] if isinstance(raw, list) and len(raw) > path[1] else error.instance
        return f"'skills[{path[1]}]' must be {_EXPECTED['skills[]']}, got {item!r}"
    if name == "start_dates" and len(path) > 1:
        return f"'start_dates': not an ISO date (YYYY-MM-DD): {error.instance!r}"
    if name in ("duration_hours", "cost_eur") and error.validator == "type":
        try:  # the value was left as given because it is no number: say why
            parse_number(raw)
        except ValueError as exc:
            return f"'{name}': {exc}"
    if error.validator in ("minLength", "pattern") and name in REQUIRED_FIELDS:
        return f"empty {name}"
    if error.validator == "enum":
        return f"'{name}' must be one of {', '.join(error.validator_value)}, got {raw!r}"
    if error.validator in ("minimum", "exclusiveMinimum"):
        sign = ">=" if error.validator == "minimum" else ">"
        return f"'{name}' must be {sign} {error.validator_value}, got {raw!r}"
    if name in _EXPECTED:
        return f"'{name}' must be {_EXPECTED[name]}, got {raw!r}"
    if error.validator == "type":
        return f"'{name}' must be {_TYPE_NAMES.get(error.validator_value, 'valid')}, got {type(raw).__name__}"
    return f"'{name}': {error.message}"


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
                reasons = [f"duplicate id '{course['id']}' (first seen on line {seen[course['id']]})"]
                course = None
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
