"""kc-admin purge and export against a tracker store written by Rasa's own SQLTrackerStore and a real
support database: what is deleted after the retention periods, what stays, and what an export contains."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import admin
from bot.support.store import SupportStore

DAY = 86_400.0
DOMAIN = Domain.from_yaml(
    "version: '3.1'\nslots:\n  role:\n    type: text\n    mappings:\n    - type: custom\n"
)


def conversation(sender: str, text: str, days_ago: float) -> DialogueStateTracker:
    at = time.time() - days_ago * DAY
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, {"name": "inform_role", "confidence": 0.9}, timestamp=at + 1),
        SlotSet("role", text, timestamp=at + 1),
        BotUttered("In welchem Bereich arbeiten Sie?", timestamp=at + 2),
    ]:
        tracker.update(event)
    return tracker


@pytest.fixture
def databases(tmp_path, monkeypatch):
    tracker_db, support_db = tmp_path / "tracker.db", tmp_path / "support.db"
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tracker_db))
    for tracker in (
        conversation("old-anna", "Ich bin Kämmerin in Altdorf", days_ago=45),
        conversation("recent-ben", "Ich bin im Bauamt Neustadt", days_ago=3),
        conversation("edge-cem", "Ich bin im Ordnungsamt", days_ago=29),
    ):
        asyncio.run(store.save(tracker))
    now = datetime.now(timezone.utc)
    support = SupportStore(support_db)
    long_closed = support.create("Frage zur Kündigung", sender_id="old-anna", now=now - timedelta(days=60))
    support.close(long_closed.ref, now=now - timedelta(days=40))
    recently_closed = support.create(
        "Frage zum Beitrag", sender_id="recent-ben", now=now - timedelta(days=20)
    )
    support.close(recently_closed.ref, now=now - timedelta(days=10))
    support.create("Noch offen", sender_id="old-anna", now=now - timedelta(days=90))
    for name in ("KC_TRACKER_DB", "KC_SUPPORT_DB", "KC_RETENTION_DAYS", "KC_SUPPORT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return tracker_db, support_db


def senders(tracker_db) -> set[str]:
    with sqlite3.connect(tracker_db) as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events")}


def support_rows(support_db) -> list[tuple[str, str]]:
    with sqlite3.connect(support_db) as conn:
        return conn.execute("SELECT question, status FROM support_requests ORDER BY id").fetchall()


def run(capsys, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    code = admin.main(list(argv), env or {})
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_purge_deletes_idle_conversations_and_long_closed_requests_only(databases, capsys):
    tracker_db, support_db = databases
    code, out, _ = run(capsys, "purge", "--tracker-db", str(tracker_db), "--support-db", str(support_db))
    assert code == 0
    assert senders(tracker_db) == {"recent-ben", "edge-cem"}
    assert support_rows(support_db) == [("Frage zum Beitrag", "closed"), ("Noch offen", "open")]
    assert "Deleted 1 conversation(s) idle for more than 30 day(s) (6 stored events)" in out
    assert "Deleted 1 support request(s) closed more than 30 day(s) ago" in out
    assert "anna" not in out and "Kämmerin" not in out  # counts only


def test_retention_periods_come_from_the_environment(databases, capsys):
    tracker_db, support_db = databases
    env = {
        "KC_TRACKER_DB": str(tracker_db),
        "KC_SUPPORT_DB": str(support_db),
        "KC_RETENTION_DAYS": "7",
        "KC_SUPPORT_RETENTION_DAYS": "5",
    }
    code, out, _ = run(capsys, "purge", env=env)
    assert code == 0
    assert senders(tracker_db) == {"recent-ben"}
    assert support_rows(support_db) == [("Noch offen", "open")]  # open requests are never purged
    assert "more than 7 day(s)" in out and "more than 5 day(s) ago" in out


def test_command_line_beats_the_environment_and_bad_values_are_named(databases, capsys):
    tracker_db, support_db = databases
    env = {"KC_TRACKER_DB": str(tracker_db), "KC_SUPPORT_DB": str(support_db), "KC_RETENTION_DAYS": "1"}
    run(capsys, "purge", "--idle-days", "100", env=env)
    assert senders(tracker_db) == {"old-anna", "recent-ben", "edge-cem"}
    code, _, err = run(capsys, "purge", env={**env, "KC_RETENTION_DAYS": "dreißig"})
    assert code == 2 and "KC_RETENTION_DAYS" in err
    code, _, err = run(capsys, "purge", "--idle-days", "-1", env=env)
    assert code == 2 and "0 days or more" in err


def test_export_holds_everything_of_one_sender_and_nothing_of_others(databases, capsys, tmp_path):
    tracker_db, support_db = databases
    out_file = tmp_path / "auskunft.json"
    code, out, _ = run(
        capsys, "export", "old-anna", "--out", str(out_file),
        "--tracker-db", str(tracker_db), "--support-db", str(support_db),
    )
    assert code == 0 and "Wrote 6 event(s) and 2 support request(s)" in out
    assert out_file.stat().st_mode & 0o777 == 0o600
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["sender_id"] == "old-anna"
    texts = [e.get("text") for e in data["conversation"]["events"] if e["event"] == "user"]
    assert texts == ["Ich bin Kämmerin in Altdorf"]
    questions = {r["question"] for r in data["support_requests"]["requests"]}
    assert questions == {"Frage zur Kündigung", "Noch offen"}
    assert "Neustadt" not in out_file.read_text(encoding="utf-8")
    code, _, err = run(capsys, "export", "old-anna", "--out", str(out_file), "--tracker-db", str(tracker_db))
    assert code == 2 and "exists" in err  # never overwrites an earlier export


def test_export_of_an_unknown_sender_is_empty(databases, capsys):
    tracker_db, support_db = databases
    code, out, _ = run(
        capsys, "export", "niemand", "--tracker-db", str(tracker_db), "--support-db", str(support_db)
    )
    data = json.loads(out)
    assert code == 0 and data["conversation"]["events"] == [] and data["support_requests"]["requests"] == []


def test_teams_user_is_found_by_tenant_and_object_id(databases, capsys, tmp_path):
    from bot.channels.teams_activity import sender_id

    tracker_db, support_db = databases
    salt = "s" * 32
    sender = sender_id(salt, "tenant-1", "object-1")
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tracker_db))
    asyncio.run(store.save(conversation(sender, "Ich bin im Jugendamt", days_ago=1)))
    argv = ["export", "--teams-user", "tenant-1", "object-1", "--tracker-db", str(tracker_db)]
    code, out, _ = run(capsys, *argv, env={"KC_TEAMS_HASH_SALT": salt})
    data = json.loads(out)
    assert code == 0 and data["sender_id"] == sender
    users = [e["text"] for e in data["conversation"]["events"] if e["event"] == "user"]
    assert users == ["Ich bin im Jugendamt"]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "KC_TEAMS_HASH_SALT" in err
    code, _, err = run(capsys, "export", "anna", "--teams-user", "t", "o")
    assert code == 2 and "either" in err
