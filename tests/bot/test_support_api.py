"""HTTP API for support staff: bearer token, list, show, close."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from bot.support.api import create_app
from bot.support.store import SupportStore

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path) -> SupportStore:
    return SupportStore(tmp_path / "support.db")


@pytest_asyncio.fixture
async def client(aiohttp_client, store):
    return await aiohttp_client(create_app(store, TOKEN))


@pytest.mark.asyncio
async def test_requests_need_the_token(client, store):
    ref = store.create("Frage", now=NOW).ref
    for method, path in (
        ("GET", "/requests"),
        ("GET", f"/requests/{ref}"),
        ("POST", f"/requests/{ref}/close"),
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            resp = await client.request(method, path, headers=headers)
            assert resp.status == 401, (method, path, headers)
            assert "token" in (await resp.json())["error"]
    assert store.get(ref).status == "open"


@pytest.mark.asyncio
async def test_health_is_public_and_reveals_nothing(client, store):
    store.create("geheime Frage", now=NOW)
    resp = await client.get("/health")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_create_list_show_close(client, store):
    first = store.create(
        "Wie lange ist die Kündigungsfrist?", [{"role": "user", "text": "Hallo"}], contact="a@b.de", now=NOW
    )
    second = store.create("Welche Kommunen sind Mitglied?", now=NOW)

    body = await (await client.get("/requests", headers=AUTH)).json()
    assert [r["ref"] for r in body["requests"]] == [first.ref, second.ref]

    resp = await client.get(f"/requests/{first.ref}", headers=AUTH)
    detail = await resp.json()
    assert detail["question"] == "Wie lange ist die Kündigungsfrist?"
    assert detail["contact"] == "a@b.de" and detail["transcript"] == [{"role": "user", "text": "Hallo"}]

    resp = await client.post(f"/requests/{first.ref}/close", headers=AUTH)
    assert resp.status == 200 and (await resp.json())["status"] == "closed"

    open_only = await (await client.get("/requests", headers=AUTH)).json()
    assert [r["ref"] for r in open_only["requests"]] == [second.ref]
    everything = await (await client.get("/requests?all=1", headers=AUTH)).json()
    assert everything["count"] == 2


@pytest.mark.asyncio
async def test_unknown_reference_is_404_json(client):
    for method, path in (("GET", "/requests/KC-2026-999999"), ("POST", "/requests/KC-2026-999999/close")):
        resp = await client.request(method, path, headers=AUTH)
        assert resp.status == 404
        assert "unknown reference" in (await resp.json())["error"]


@pytest.mark.asyncio
async def test_bad_status_filter_is_400(client):
    resp = await client.get("/requests?status=maybe", headers=AUTH)
    assert resp.status == 400


def test_refuses_to_start_without_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KC_SUPPORT_TOKEN"}
    env["KC_SUPPORT_DB"] = str(tmp_path / "support.db")
    result = subprocess.run(
        [sys.executable, "-m", "bot.support.api", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "KC_SUPPORT_TOKEN is not set" in result.stderr


def test_app_cannot_be_built_with_an_empty_token(store):
    with pytest.raises(ValueError):
        create_app(store, "")
