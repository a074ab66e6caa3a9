"""Talking to the widget channel over HTTP, and reading what the tracker store holds, for the e2e tests."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

NO_ORIGIN = ""


def widget_request(
    rasa_url: str,
    path: str,
    body: dict | None = None,
    token: str | None = None,
    origin: str = NO_ORIGIN,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> tuple[int, object, dict[str, str]]:
    """(status, JSON body or text, response headers) of one request to /webhooks/widget/<path>.

    Sent like the widget sends it: JSON as text/plain (a CORS "simple" request), the token in the body.
    """
    sent = {"Content-Type": "text/plain;charset=UTF-8", **(headers or {})}
    if origin:
        sent["Origin"] = origin
    payload = dict(body or {})
    if token is not None:
        payload["token"] = token
    data = None if method == "GET" else json.dumps(payload).encode()
    url = f"{rasa_url}/webhooks/widget/{path}"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    try:
        return status, json.loads(raw or b"null"), answer_headers
    except ValueError:
        return status, raw.decode(errors="replace"), answer_headers


def stored_events(tracker_db: Path, sender: str) -> list[dict]:
    """Every stored event of ``sender`` (empty if the conversation was never written)."""
    if not tracker_db.exists():
        return []
    with sqlite3.connect(tracker_db) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
            return []
        rows = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def stored_user_texts(tracker_db: Path, sender: str) -> list[str]:
    return [e.get("text") for e in stored_events(tracker_db, sender) if e.get("event") == "user"]
