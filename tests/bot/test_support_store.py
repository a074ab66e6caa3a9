"""Support request store and the staff CLI (`bin/kc-support`)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.support.cli import main as cli_main
from bot.support.store import SupportStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)
TURNS = [{"role": "user" if i % 2 == 0 else "bot", "text": f"Nachricht {i}"} for i in range(10)]


@pytest.fixture
def store(tmp_path) -> SupportStore:
    return SupportStore(tmp_path / "support.db")


def test_create_assigns_reference_and_keeps_what_is_needed(store):
    req = store.create(
        "Wie lange ist die Kündigungsfrist?", TURNS, contact=" a@b.de ", sender_id="conv-1", now=NOW
    )
    assert req.ref == "KC-2026-000001"
    assert req.status == "open" and req.closed_at is None
    assert req.created_at == "2026-11-26T14:00:00Z"
    assert req.contact == "a@b.de"
    assert [t["text"] for t in req.transcript] == [f"Nachricht {i}" for i in range(4, 10)]  # last 6 only
    assert store.create("Zweite Frage", now=NOW).ref == "KC-2026-000002"


def test_sender_id_is_stored_only_as_pseudonym(store):
    store.create("Frage", sender_id="conv-secret-42", now=NOW)
    with sqlite3.connect(store.path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "conv-secret-42" not in dump


def test_empty_question_is_refused(store):
    with pytest.raises(ValueError):
        store.create("   ")


def test_list_close_and_show(store):
    first = store.create("Frage eins", now=NOW)
    second = store.create("Frage zwei", now=NOW)
    assert [r.ref for r in store.list()] == [first.ref, second.ref]
    closed = store.close(first.ref.lower())
    assert closed.status == "closed" and closed.closed_at
    assert [r.ref for r in store.list()] == [second.ref]
    assert [r.ref for r in store.list(include_closed=True)] == [first.ref, second.ref]
    assert store.close("KC-2026-999999") is None
    assert store.get(first.ref).question == "Frage eins"


def test_conversation_data_can_be_deleted(store):
    mine = store.create("meine Frage", TURNS, sender_id="conv-1", now=NOW)
    other = store.create("andere Frage", sender_id="conv-2", now=NOW)
    assert store.delete_conversation("conv-1") == 1
    assert store.get(mine.ref) is None
    assert store.get(other.ref) is not None
    assert store.delete(other.ref) is True
    assert store.list(include_closed=True) == []


def test_closed_requests_are_purged_after_the_retention_period(store):
    old_closed = store.create("alt und erledigt", now=NOW)
    store.close(old_closed.ref, now=NOW)
    recent_closed = store.create("neu und erledigt", now=NOW)
    store.close(recent_closed.ref, now=NOW + timedelta(days=80))
    old_open = store.create("alt, aber noch offen", now=NOW)
    assert store.purge_closed(90, now=NOW + timedelta(days=100)) == 1
    assert store.get(old_closed.ref) is None
    assert store.get(recent_closed.ref) is not None
    assert store.get(old_open.ref) is not None
    with pytest.raises(ValueError):
        store.purge_closed(-1)


def test_cli_purge(store, capsys):
    req = store.create("erledigte Frage", now=NOW)
    store.close(req.ref, now=NOW)
    db = str(store.path)
    assert cli_main(["--db", db, "purge", "--closed-days", "0"]) == 0
    assert "1 closed request(s) older than 0 day(s) deleted" in capsys.readouterr().out
    assert store.get(req.ref) is None
    assert cli_main(["--db", db, "purge", "--closed-days", "-5"]) == 2
    assert "--closed-days must be 0 or more" in capsys.readouterr().err


def test_db_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KC_SUPPORT_DB", str(tmp_path / "sub" / "env.db"))
    SupportStore().create("Frage", now=NOW)
    assert (tmp_path / "sub" / "env.db").exists()


def test_cli_list_show_close(store, capsys):
    req = store.create("Wie lange ist die Kündigungsfrist?", TURNS[:2], contact="06341 123456", now=NOW)
    db = str(store.path)
    assert cli_main(["--db", db, "list"]) == 0
    out = capsys.readouterr().out
    assert req.ref in out and "1 request(s) open" in out
    assert cli_main(["--db", db, "show", req.ref]) == 0
    out = capsys.readouterr().out
    assert "Kündigungsfrist" in out and "06341 123456" in out and "Nachricht 1" in out
    assert cli_main(["--db", db, "close", req.ref]) == 0
    assert "closed" in capsys.readouterr().out
    cli_main(["--db", db, "list"])
    assert "0 request(s) open" in capsys.readouterr().out
    cli_main(["--db", db, "list", "--all"])
    assert req.ref in capsys.readouterr().out
    assert cli_main(["--db", db, "show", "KC-2026-424242"]) == 1
    assert "unknown reference" in capsys.readouterr().err


def test_wrapper_script_works_from_any_directory(store, tmp_path):
    req = store.create("Frage über den Wrapper", now=NOW)
    env = {**os.environ, "KC_SUPPORT_DB": str(store.path), "KC_RASA_PYTHON": sys.executable}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(ROOT / "bin" / "kc-support"), "list"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert req.ref in result.stdout
