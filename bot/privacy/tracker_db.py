"""The Rasa tracker store's SQL table ``events``: erase one sender, purge idle conversations, export one.

Rasa's SQLTrackerStore keeps one row per event: ``id``, ``sender_id``, ``type_name``, ``timestamp`` (Unix
seconds), ``intent_name``, ``action_name`` and ``data`` (the serialised event, with the user's text, entities
and slot values). Everything here works on that table with SQLAlchemy (installed with Rasa), so it serves
SQLite (``KC_TRACKER_DB``: a file path, default ``var/tracker.db``) and any SQLAlchemy URL alike. Nothing here
imports Rasa or rasa_sdk: the action server and the admin command share it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DB_ENV = "KC_TRACKER_DB"
DEFAULT_DB = Path(__file__).resolve().parents[2] / "var" / "tracker.db"
SESSION_START_ACTION = "action_session_start"


def tracker_db_url(raw: str | None = None) -> str | None:
    """SQLAlchemy URL of the tracker store (``raw``, else ``KC_TRACKER_DB``, else var/tracker.db), or ``None``
    if that is an SQLite file that does not exist (nothing was ever stored)."""
    raw = raw or os.environ.get(DB_ENV) or str(DEFAULT_DB)
    if "://" in raw:
        return raw
    path = Path(raw)
    if not path.is_file():
        return None
    return f"sqlite:///{path.resolve()}"


@contextmanager
def _connection(db_url: str) -> Iterator[Any]:
    import sqlalchemy as sa  # installed with rasa; imported lazily to keep the action server start light

    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _has_events(conn: Any) -> bool:
    import sqlalchemy as sa

    return bool(sa.inspect(conn).has_table("events"))


def redact_event(data: dict[str, Any]) -> dict[str, Any]:
    """Copy of a serialised Rasa event without anything the user said or the bot said about the user."""
    event = dict(data)
    kind = event.get("event")
    event["metadata"] = {}
    if kind == "user":
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        event["text"] = ""
        event["parse_data"] = {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence", 0.0)},
            "entities": [],
            "text": "",
            "message_id": parse_data.get("message_id"),
            "metadata": {},
        }
    elif kind == "bot":
        event["text"] = ""
        event["data"] = {}
    elif kind == "slot":
        event["value"] = None
    elif kind == "entities":
        event["entities"] = []
    elif kind == "action":
        event["action_text"] = None
    return event


def forget_sender(db_url: str, sender_id: str) -> tuple[int, int]:
    """Delete earlier sessions' rows and redact current-session rows of ``sender_id`` ("delete my data").

    Current-session rows cannot simply be deleted while the conversation goes on: Rasa's SQLTrackerStore
    appends new events by comparing the number of stored rows of the current session with the in-memory
    tracker, so it would write the whole session back right after. Returns ``(deleted, redacted)``.
    """
    import sqlalchemy as sa

    with _connection(db_url) as conn:
        if not _has_events(conn):
            return 0, 0
        session_start = conn.execute(
            sa.text("SELECT MAX(id) FROM events WHERE sender_id = :s AND action_name = :a"),
            {"s": sender_id, "a": SESSION_START_ACTION},
        ).scalar()
        deleted = 0
        if session_start is not None:
            deleted = conn.execute(
                sa.text("DELETE FROM events WHERE sender_id = :s AND id < :i"),
                {"s": sender_id, "i": session_start},
            ).rowcount
        rows = conn.execute(
            sa.text("SELECT id, data FROM events WHERE sender_id = :s"), {"s": sender_id}
        ).fetchall()
        for row_id, data in rows:
            try:
                redacted = json.dumps(redact_event(json.loads(data)))
            except (TypeError, ValueError):
                redacted = json.dumps({"event": "redacted"})
                logger.warning("Event row %s of a deleted conversation was not valid JSON", row_id)
            conn.execute(sa.text("UPDATE events SET data = :d WHERE id = :i"), {"d": redacted, "i": row_id})
        return deleted, len(rows)


def purge_idle(db_url: str, idle_days: float, now: datetime | None = None) -> tuple[int, int]:
    """Delete every conversation whose newest event is older than ``idle_days``; ``(conversations, events)``.

    A conversation that was idle that long is over: if the person comes back, Rasa starts a new one.
    """
    import sqlalchemy as sa

    if idle_days < 0:
        raise ValueError("idle_days must not be negative")
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=idle_days)).timestamp()
    with _connection(db_url) as conn:
        if not _has_events(conn):
            return 0, 0
        idle = [
            row[0]
            for row in conn.execute(
                sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :c"),
                {"c": cutoff},
            )
        ]
        events = 0
        for sender_id in idle:
            events += conn.execute(
                sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender_id}
            ).rowcount
        return len(idle), events


def sender_events(db_url: str, sender_id: str) -> list[dict[str, Any]]:
    """Every stored event of ``sender_id`` (all sessions, oldest first) as Rasa serialised it."""
    import sqlalchemy as sa

    with _connection(db_url) as conn:
        if not _has_events(conn):
            return []
        rows = conn.execute(
            sa.text("SELECT id, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender_id}
        ).fetchall()
    events = []
    for row_id, data in rows:
        try:
            events.append(json.loads(data))
        except (TypeError, ValueError):
            events.append({"event": "unreadable", "row": row_id, "raw": str(data)})
    return events
