"""Several processes writing one tracker store file at once, as the Rasa workers do (figures, no asserts).

    .venv/rasa/bin/python bench/bench_tracker_writers.py --processes 2 --turns 1500

Each process plays turns of its own senders through the real store (bot/server/tracker_store.py:
``SQLiteTrackerStore``, SQLite in WAL mode with a busy timeout): retrieve the tracker, add a user and a bot
event, save. Printed: turns per second, failed saves (e.g. "database is locked"), and whether the file holds
exactly the user events that were saved.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENDERS_PER_PROCESS = 20


def play(db: str, name: str, turns: int, results: multiprocessing.Queue) -> None:
    sys.path.insert(0, str(ROOT))
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.server.tracker_store import SQLiteTrackerStore

    async def run() -> tuple[int, list[str]]:
        store = SQLiteTrackerStore(db=db)
        failures: list[str] = []
        saved = 0
        for turn in range(turns):
            sender = f"{name}-{turn % SENDERS_PER_PROCESS}"
            try:
                tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
                tracker.update(UserUttered(f"Nachricht {turn}"))
                tracker.update(BotUttered(f"Antwort {turn}"))
                await store.save(tracker)
                saved += 1
            except Exception as error:  # noqa: BLE001 (counted and printed, that is the figure)
                failures.append(f"{type(error).__name__}: {str(error)[:80]}")
        return saved, failures

    started = time.monotonic()
    saved, failures = asyncio.run(run())
    results.put((name, saved, failures, time.monotonic() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--turns", type=int, default=1500, help="turns per process")
    args = parser.parse_args()
    db = str(Path(tempfile.mkdtemp(prefix="kc-tracker-writers-")) / "tracker.db")
    results: multiprocessing.Queue = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=play, args=(db, f"p{n}", args.turns, results))
        for n in range(args.processes)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    seconds = time.monotonic() - started
    connection = sqlite3.connect(db)
    stored = connection.execute("SELECT count(*) FROM events WHERE type_name = 'user'").fetchone()[0]
    connection.close()
    saved = sum(outcome[1] for outcome in outcomes)
    failures = [failure for outcome in outcomes for failure in outcome[2]]
    print(f"{args.processes} processes x {args.turns} turns in {seconds:.1f} s: "
          f"{saved / seconds:.0f} saved turns/s, {len(failures)} failed saves")
    print(f"user events in the file: {stored} (saved turns: {saved})")
    for failure in sorted(set(failures))[:5]:
        print(f"   {failure}")


if __name__ == "__main__":
    main()
