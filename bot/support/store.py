"""SQLite store of support requests.

Data minimisation (DSGVO): a request holds the question, at most the last few conversation turns (only
stored when the user consented), an optional contact the user typed, a UTC timestamp and a status. The Rasa
sender id is kept only as a SHA-256 pseudonym so that all data of one conversation can be deleted on request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DB_ENV = "KC_SUPPORT_DB"
DEFAULT_DB = Path(__file__).resolve().parents[2] / "var" / "support.db"
MAX_TURNS = 6
MAX_QUESTION_CHARS = 1000
MAX_TURN_CHARS = 500
MAX_CONTACT_CHARS = 200
STATUSES = ("open", "closed")
REF_RE = re.compile(r"^KC-(\d{4})-(\d{6,})$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS support_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ref         TEXT UNIQUE,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at   TEXT,
    question    TEXT NOT NULL,
    transcript  TEXT NOT NULL DEFAULT '[]',
    contact     TEXT,
    sender_hash TEXT
);
CREATE INDEX IF NOT EXISTS idx_support_status ON support_requests(status);
CREATE INDEX IF NOT EXISTS idx_support_sender ON support_requests(sender_hash);
"""


@dataclass(frozen=True)
class SupportRequest:
    ref: str
    created_at: str
    status: str
    closed_at: str | None
    question: str
    transcript: list[dict[str, str]]
    contact: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def make_ref(row_id: int, created: datetime) -> str:
    return f"KC-{created.year:04d}-{row_id:06d}"


def sender_pseudonym(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _clean_transcript(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for turn in turns:
        role = turn.get("role")
        text = (turn.get("text") or "").strip()
        if role not in ("user", "bot") or not text:
            continue
        cleaned.append({"role": role, "text": text[:MAX_TURN_CHARS]})
    return cleaned[-MAX_TURNS:]


class SupportStore:
    """Small synchronous store; every call opens its own connection (safe for CLI, actions and the API)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
            conn.commit()
        finally:
            conn.close()

    def create(
        self,
        question: str,
        transcript: list[dict[str, str]] | None = None,
        contact: str | None = None,
        sender_id: str | None = None,
        now: datetime | None = None,
    ) -> SupportRequest:
        question = (question or "").strip()[:MAX_QUESTION_CHARS]
        if not question:
            raise ValueError("a support request needs a question")
        contact = (contact or "").strip()[:MAX_CONTACT_CHARS] or None
        created = now or datetime.now(timezone.utc)
        turns = _clean_transcript(transcript or [])
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO support_requests (created_at, question, transcript, contact, sender_hash) "
                "VALUES (?, ?, ?, ?, ?)",
                (_utc_iso(created), question, json.dumps(turns, ensure_ascii=False), contact,
                 sender_pseudonym(sender_id) if sender_id else None),
            )
            row_id = cur.lastrowid
            assert row_id is not None  # set by every successful INSERT
            ref = make_ref(row_id, created)
            conn.execute("UPDATE support_requests SET ref = ? WHERE id = ?", (ref, row_id))
        request = self.get(ref)
        assert request is not None
        return request

    def list(self, include_closed: bool = False) -> list[SupportRequest]:
        sql = "SELECT * FROM support_requests"
        if not include_closed:
            sql += " WHERE status = 'open'"
        with self._connect() as conn:
            return [_row_to_request(r) for r in conn.execute(sql + " ORDER BY id")]

    def get(self, ref: str) -> SupportRequest | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM support_requests WHERE ref = ?", (ref.strip().upper(),)
            ).fetchone()
        return _row_to_request(row) if row else None

    def close(self, ref: str, now: datetime | None = None) -> SupportRequest | None:
        """Mark a request closed (idempotent). Returns None for an unknown reference."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE support_requests SET status = 'closed', closed_at = ? "
                "WHERE ref = ? AND status = 'open'",
                (_utc_iso(now or datetime.now(timezone.utc)), ref.strip().upper()),
            )
        return self.get(ref)

    def delete(self, ref: str) -> bool:
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM support_requests WHERE ref = ?", (ref.strip().upper(),))
        return cur.rowcount > 0

    def purge_closed(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete requests closed more than ``older_than_days`` days ago (retention period); the count.

        Open requests are never purged: somebody still has to answer them.
        """
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
        with self._connect() as conn:
            cur = conn.execute(
                "DELETE FROM support_requests WHERE status = 'closed' AND closed_at < ?", (_utc_iso(cutoff),)
            )
        return cur.rowcount

    def delete_conversation(self, sender_id: str) -> int:
        """Delete every request that came from one conversation (right to erasure). Returns the count."""
        with self._connect() as conn:
            cur = conn.execute(
                "DELETE FROM support_requests WHERE sender_hash = ?", (sender_pseudonym(sender_id),)
            )
        return cur.rowcount


def _row_to_request(row: sqlite3.Row) -> SupportRequest:
    return SupportRequest(
        ref=row["ref"],
        created_at=row["created_at"],
        status=row["status"],
        closed_at=row["closed_at"],
        question=row["question"],
        transcript=json.loads(row["transcript"] or "[]"),
        contact=row["contact"],
    )
