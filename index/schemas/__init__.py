"""The JSON Schemas of the project's contracts, and validators for them.

One file per contract (``catalog_row``, ``search_request``, ``search_response``, ``health_response``,
``error_response``); they refer to each other by relative ``$ref``. Standard library plus ``jsonschema``
only, so that both runtimes (the index side and the dialogue side's tests) check against the same files.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, RefResolver, validators
from jsonschema.exceptions import best_match

SCHEMA_DIR = Path(__file__).resolve().parent
NAMES = ("catalog_row", "search_request", "search_response", "health_response", "error_response")


def _finite_number(checker: Any, instance: object) -> bool:
    """JSON has no NaN or Infinity, so they are no "number" here (Python's json module would allow them)."""
    return (
        isinstance(instance, (int, float))
        and not isinstance(instance, bool)
        and math.isfinite(instance)
    )


# Draft 2020-12 with "number" meaning a finite number.
_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number),
)


@cache
def load(name: str) -> dict[str, Any]:
    """The schema ``<name>.json`` as a dict; raises KeyError for a name that is not one of NAMES."""
    if name not in NAMES:
        raise KeyError(f"unknown schema {name!r} (known: {', '.join(NAMES)})")
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return schema


@cache
def validator(name: str) -> Any:
    """A validator for schema ``name`` that resolves ``$ref`` to the other files of this folder offline."""
    store = {load(other)["$id"]: load(other) for other in NAMES}
    schema = load(name)
    resolver = RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
    return _Validator(schema, resolver=resolver)


def problems(name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks schema ``name``, as "path: message" lines (empty when it is valid).

    For a value that fits none of several alternatives (anyOf), the closest alternative's complaint is named.
    """
    lines = []
    for error in validator(name).iter_errors(instance):
        detail = best_match(error.context) if error.context else error
        where = "/".join(map(str, detail.absolute_path)) or "(root)"
        lines.append(f"{where}: {detail.message}")
    return sorted(lines)
