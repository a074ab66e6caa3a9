"""The contract files themselves: valid JSON Schemas, references that resolve offline, one vocabulary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from german.vocabulary import FORMATS, LEVELS
from index import schemas
from index.filters import FILTER_KEYS


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


@pytest.mark.parametrize("name", schemas.NAMES)
def test_schema_is_valid_and_its_references_resolve(name):
    schema = schemas.load(name)
    validator = schemas.validator(name)
    validator.check_schema(schema)
    assert schema["$id"].endswith(f"/{name}.json")
    for ref in refs(schema):
        _, target = validator.resolver.resolve(ref)
        assert isinstance(target, dict), ref


def test_format_and_level_values_are_the_german_vocabulary():
    row = schemas.load("catalog_row")["properties"]
    assert tuple(row["format"]["enum"]) == FORMATS
    assert tuple(row["level"]["enum"]) == LEVELS


def test_request_filters_are_the_ones_the_search_knows():
    filters = schemas.load("search_request")["properties"]["filters"]["properties"]
    applied = schemas.load("search_response")["$defs"]["applied_filters"]["properties"]
    assert set(filters) == set(applied) == set(FILTER_KEYS)


@pytest.mark.parametrize(
    ("name", "instance", "where"),
    [
        ("search_request", {"query": "x", "filters": {"max_cost_eur": float("inf")}}, "filters/max_cost_eur"),
        ("search_request", {"query": "Excel", "filters": {"format": ["online", "hybrid"]}}, "filters/format"),
        ("health_response", {"status": "ok", "courses": 3}, "(root)"),
        ("error_response", {"error": "x", "trace": "..."}, "(root)"),
    ],
)
def test_what_breaks_a_contract_is_named(name, instance, where):
    found = schemas.problems(name, instance)
    assert len(found) == 1 and found[0].startswith(f"{where}: ")
