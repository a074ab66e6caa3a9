"""HTTP API of the search service (aiohttp test client, real model on the small index).

Every answer is checked against its JSON Schema in index/schemas/ (the contract the action server relies on).
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from index import schemas
from index.search import Searcher
from index.service import create_app


def answer_schema(path: str, status: int) -> str:
    """The schema an answer of the service must follow."""
    if path == "/health":
        return "health_response"
    if status >= 400:
        return "error_response"
    return "search_response" if path == "/search" else "catalog_row"


def call(searcher, method: str, path: str, **kwargs) -> tuple[int, dict]:
    """Run one request against a fresh app; returns (status, JSON body), checked against the contract."""

    async def go():
        async with TestClient(TestServer(create_app(searcher, workers=2))) as client:
            resp = await client.request(method, path, **kwargs)
            assert resp.content_type == "application/json"
            return resp.status, await resp.json()

    status, body = asyncio.run(go())
    assert schemas.problems(answer_schema(path, status), body) == []
    if path == "/search" and status == 200:  # what the service accepts, the contract describes
        assert schemas.problems("search_request", kwargs["json"]) == []
    return status, body


def test_health(searcher, small_courses):
    status, body = call(searcher, "GET", "/health")
    assert status == 200
    assert body["status"] == "ok" and body["courses"] == len(small_courses) and body["index_version"]


def test_search_returns_results_and_preferences(searcher):
    status, body = call(
        searcher,
        "POST",
        "/search",
        json={"query": "Datenschutz lieber online", "k": 3, "filters": {"max_cost_eur": 2000}},
    )
    assert status == 200
    assert len(body["results"]) == 3 and body["preferences"] == {"format": "online"}
    assert all(r["cost_eur"] <= 2000 for r in body["results"])
    assert {"id", "title", "score", "matched", "weak", "description", "url"} <= set(body["results"][0])
    assert body["results"][0]["weak"] is False  # the best offer is the yardstick


def test_exclude_ids_and_default_k(searcher):
    status, first = call(searcher, "POST", "/search", json={"query": "Führung"})
    assert status == 200 and len(first["results"]) == 5
    top = first["results"][0]["id"]
    _, again = call(searcher, "POST", "/search", json={"query": "Führung", "exclude_ids": [top]})
    assert top not in [r["id"] for r in again["results"]]


def test_course_details_and_unknown_id(searcher, small_courses):
    status, body = call(searcher, "GET", f"/courses/{small_courses[2]['id']}")
    assert status == 200 and body == small_courses[2]
    status, body = call(searcher, "GET", "/courses/gibt-es-nicht")
    assert status == 404 and body == {"error": "unknown course id"}


@pytest.mark.parametrize(
    "payload,fragment",
    [
        ({"k": 3}, "'query'"),
        ({"query": "   "}, "'query'"),
        ({"query": "x" * 501}, "longer than 500"),
        ({"query": "Excel", "k": 0}, "'k'"),
        ({"query": "Excel", "k": 51}, "'k'"),
        ({"query": "Excel", "k": "5"}, "'k'"),
        ({"query": "Excel", "filters": {"farbe": "blau"}}, "unknown filter"),
        ({"query": "Excel", "filters": {"format": "fernstudium"}}, "format"),
        ({"query": "Excel", "filters": ["online"]}, "'filters'"),
        ({"query": "Excel", "exclude_ids": "kc-a-001"}, "'exclude_ids'"),
        ({"query": "Excel", "limit": 3}, "unknown field"),
        (["Excel"], "JSON object"),
    ],
)
def test_malformed_requests_get_4xx_json(searcher, payload, fragment):
    assert schemas.problems("search_request", payload)  # the contract rejects it as well
    status, body = call(searcher, "POST", "/search", json=payload)
    assert status == 400
    assert fragment in body["error"] and "Traceback" not in body["error"]


def test_invalid_json_oversized_body_and_wrong_method(searcher):
    status, body = call(
        searcher, "POST", "/search", data="{kein json", headers={"Content-Type": "application/json"}
    )
    assert status == 400 and "not valid JSON" in body["error"]
    status, body = call(
        searcher,
        "POST",
        "/search",
        data=json.dumps({"query": "a" * 20000}),
        headers={"Content-Type": "application/json"},
    )
    assert status == 413 and body == {"error": "request body too large"}
    status, body = call(searcher, "GET", "/search")
    assert status == 405 and "error" in body


def test_missing_index_gives_503(tmp_path, encoder):
    empty = Searcher(tmp_path / "nothing-here", encoder=encoder)
    status, body = call(empty, "GET", "/health")
    assert status == 503 and "index unavailable" in body["error"]
    status, body = call(empty, "POST", "/search", json={"query": "Excel"})
    assert status == 503 and "index unavailable" in body["error"]


def test_query_text_is_not_logged(searcher, caplog):
    secret = "Personalakte Frau Musterfrau Kündigung"
    with caplog.at_level(logging.DEBUG):
        status, _ = call(searcher, "POST", "/search", json={"query": secret})
    assert status == 200
    assert "POST /search 200" in caplog.text
    assert "Musterfrau" not in caplog.text


def test_concurrent_requests_match_sequential_ones(small_index, caplog):
    """The default (ONNX int8) query encoder under concurrent requests: same results, logged at startup."""
    from index.build import load_query_encoder

    queries = [
        "Datenschutz lieber online",
        "Führung im öffentlichen Dienst",
        "Excel für Einsteiger",
        "Vergaberecht",
        "Konflikte im Team lösen",
        "E-Akte einführen",
        "Bürgerservice am Telefon",
        "Haushaltsrecht kostenlos",
    ]
    encoder = load_query_encoder()

    async def run(concurrent: bool) -> list[dict]:
        # Own query cache per run; the sequential one loads the default encoder like the service does.
        searcher = Searcher(small_index, encoder=encoder) if concurrent else Searcher(small_index)
        async with TestClient(TestServer(create_app(searcher, workers=2))) as client:

            async def one(query: str) -> dict:
                resp = await client.post("/search", json={"query": query, "k": 5})
                assert resp.status == 200
                body = await resp.json()
                assert schemas.problems("search_response", body) == []
                return body

            if concurrent:
                return list(await asyncio.gather(*(one(q) for q in queries * 2)))
            return [await one(q) for q in queries * 2]

    with caplog.at_level(logging.INFO, logger="kc.index.search"):
        sequential = asyncio.run(run(concurrent=False))
    assert f"query encoder: {encoder.name}" in caplog.text
    concurrent = asyncio.run(run(concurrent=True))
    assert concurrent == sequential
