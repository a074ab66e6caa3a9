"""The tracker database is switched to WAL even when SQLite refuses the switch for a moment: two Rasa workers
starting on a new file at the same moment crashed one of them with "database is locked" (fresh clone,
``make run`` right after ``make test``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.server import tracker_store
from bot.server.tracker_store import use_write_ahead_log


def test_a_new_file_is_switched_to_wal_and_stays_so(tmp_path: Path):
    path = str(tmp_path / "tracker.db")
    assert use_write_ahead_log(path) == "wal"
    assert use_write_ahead_log(path) == "wal"
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


def test_a_locked_file_is_retried_until_the_switch_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    real_connect = sqlite3.connect
    refusals = {"left": 2}

    class Refusing:
        """A real connection whose WAL switch SQLite refuses twice, as while another worker holds the file."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner = real_connect(*args, **kwargs)

        def execute(self, sql: str) -> Any:
            if "= WAL" in sql and refusals["left"]:
                refusals["left"] -= 1
                raise sqlite3.OperationalError("database is locked")
            return self.inner.execute(sql)

        def close(self) -> None:
            self.inner.close()

    monkeypatch.setattr(tracker_store.sqlite3, "connect", Refusing)
    monkeypatch.setattr(tracker_store, "LOCKED_RETRY_SECONDS", 0.01)
    assert use_write_ahead_log(str(tmp_path / "tracker.db")) == "wal"
    assert refusals["left"] == 0


def test_other_errors_are_not_retried(tmp_path: Path):
    with pytest.raises(sqlite3.OperationalError):
        use_write_ahead_log(str(tmp_path / "missing-dir" / "tracker.db"))
