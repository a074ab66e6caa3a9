"""Hard filters a caller passes to the search: checked and normalised, or refused with an English message."""

from __future__ import annotations

import math
from typing import Any

from german.vocabulary import FORMATS, LEVELS, format_value, level_value

FILTER_KEYS = ("format", "level", "max_cost_eur", "max_duration_hours", "provider", "language")


class QueryError(ValueError):
    """The request is invalid (bad filter value, ...)."""


def validate_filters(filters: Any) -> dict[str, Any]:
    """Normalise caller filters; raises QueryError with an English message."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise QueryError("'filters' must be an object")
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise QueryError(f"unknown filter(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in ("format", "level", "provider", "language"):
        value = filters.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise QueryError(f"filter '{key}' must be a string or a list of strings")
        if key == "format":
            formats = [format_value(v) for v in values]
            if None in formats:
                raise QueryError(f"filter 'format' accepts {', '.join(FORMATS)}")
            values = formats
        elif key == "level":
            levels = [level_value(v) for v in values]
            if None in levels:
                raise QueryError(f"filter 'level' accepts {', '.join(LEVELS)}")
            values = levels
        elif key == "language":
            values = [v.strip().lower() for v in values]
        if values:
            out[key] = values
    for key in ("max_cost_eur", "max_duration_hours"):
        value = filters.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise QueryError(f"filter '{key}' must be a non-negative number")
        out[key] = float(value)
    return out
