"""Rasa's SQL tracker store on one SQLite file, set up for many short turns from several processes.

Named in endpoints.yml (``type: bot.server.tracker_store.SQLiteTrackerStore``). The stock SQL store opens the
file in SQLite's default rollback-journal mode, where every commit waits for two ``fsync`` calls: about
25 ms of a turn's 30 ms in the tracker store went to waiting (bench/profile_turn.py), and a writer blocks
every reader. Here the file uses the write-ahead log (``journal_mode=WAL``, kept in the file) with
``synchronous=NORMAL``: a commit is a plain write, readers never wait for writers, and a killed process
loses nothing that was committed (only a power cut may lose the last turns). ``busy_timeout`` lets
concurrent writers of the Rasa workers wait for each other instead of failing.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy import event

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
LOCKED_RETRY_SECONDS = 0.2
SWITCH_DEADLINE_SECONDS = 60.0


def _tune(connection: Any, _record: Any = None) -> None:
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def use_write_ahead_log(path: str) -> str:
    """Switch the database file to WAL (a property of the file, kept across connections); the mode now.

    Two Rasa workers start on the same file at the same moment, and SQLite may refuse the switch with
    "database is locked" while the other one holds the file (one worker of a fresh ``make run`` crashed so).
    A file already in WAL is left as it is; otherwise the switch is retried until ``SWITCH_DEADLINE_SECONDS``.
    """
    deadline = time.monotonic() + SWITCH_DEADLINE_SECONDS
    while True:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            mode = str(connection.execute("PRAGMA journal_mode").fetchone()[0])
            if mode.lower() == "wal":
                return mode
            return str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            logger.info("Tracker database busy while switching to WAL; retrying.")
        finally:
            connection.close()
        time.sleep(LOCKED_RETRY_SECONDS)


class SQLiteTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` for a SQLite file (``db``) in WAL mode with a busy timeout."""

    def __init__(
        self,
        domain: Domain | None = None,
        db: str = "rasa.db",
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("dialect", None)
        mode = use_write_ahead_log(db)
        if mode.lower() != "wal":
            logger.warning("The tracker database stays in journal mode %s (WAL was refused).", mode)
        super().__init__(domain=domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
        event.listen(self.engine, "connect", _tune)
