"""Load and fault benchmark of the whole assistant over its REST channel (figures only, no asserts).

    .venv/rasa/bin/python bench/bench_load.py                 # single user, 20 users x 20 turns, stock Rasa
    .venv/rasa/bin/python bench/bench_load.py --fault         # 50 x 20 while services are killed / rebuilt
    .venv/rasa/bin/python bench/bench_load.py --users 50 --turns 10 --no-stock
    .venv/rasa/bin/python bench/bench_load.py --workers 1,2 --kill-worker --turns 10 --no-stock

It starts the real stack on free ports (scripts/stack.py, exactly what `make run` starts, with its
supervisor watching in a thread), a temporary tracker store and a copy of the course index, and plays the
conversations of bench/load_data.py: greeting, role, topic, format, details, "Mehr dazu", membership cost
with an employee count of each conversation's own, FAQ, thanks, refinements, more offers, goodbye.

Printed: the single-user time per turn (offer lists and other turns; after a warm-up round that also
records each profile's reference replies), then per load phase turns/s, latency p50/p95/p99/max, turns
lost (no answer before the retry deadline), cross-talk (a reply for another sender, a cost answer for
another employee count, offers outside the conversation's topic), empty replies and apologies, the Rasa
server's memory, and whether each conversation's stored profile (role, topics, employee count) survived.
Then stock Rasa (``rasa init`` moodbot, bench/stock_rasa.py) under the same load, and the ratio.

``--fault``: three phases of 50 conversations x 20 turns each: (1) SIGKILL of the Rasa server, and after it
is back, of the action server (the supervisor restarts both; clients retry while Rasa is down), (2)
SIGKILL of the search service, (3) an index rebuild that switches versions under load. While a fault and
its recovery last, further rounds of fresh conversations follow, so the fault always happens under load.
``--phases 3`` runs only the chosen phases.

``--workers 1,2`` runs the load once per Rasa worker count (``KC_RASA_WORKERS``; default: what `make run`
would start), each on a fresh stack over the same tracker store, and prints the figures side by side.
``--kill-worker``: with >= 2 workers, after the load phase a fault phase SIGKILLs worker 1 under load (the
router sends its conversations to the other worker, the supervisor restarts it) and prints lost turns,
cross-talk and the time from the kill until every conversation in flight was answered again.

The message cache of the NLU's e5 encoder is switched off (``KC_E5_CACHE_MB=0``; ``--e5-cache`` keeps
it): the scripts repeat their wording, real users rarely do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "bench")]

import load_client  # noqa: E402
import load_data  # noqa: E402
import stack as stack_module  # noqa: E402
import stock_rasa  # noqa: E402
from supervisor import CrashLoop  # noqa: E402


def log(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


class Watched:
    """The stack plus its supervisor in a thread (as `make run` runs it) and the Rasa server's memory."""

    def __init__(self, stack: stack_module.Stack) -> None:
        self.stack = stack
        self.ready_again: list[tuple[str, float]] = []
        self.peak_rss_kb = 0
        self._stop = threading.Event()
        self.supervisor = stack.supervisor(self._echo)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _echo(self, line: str) -> None:
        log("supervisor:" + line)
        if "ready again" in line:
            seconds = float(line.split("(")[1].split(" s")[0])
            self.ready_again.append((line.strip().split(" is ready")[0], seconds))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.supervisor.check()
            except CrashLoop as error:
                log(f"supervisor gave up: {error}")
                return
            self.peak_rss_kb = max(self.peak_rss_kb, self.rasa_rss_kb())
            time.sleep(0.5)

    def rasa_rss_kb(self) -> int:
        """Resident memory of the Rasa server, summed over its workers."""
        total = 0
        for service in self.stack.rasa_workers():
            if service.process is None:
                continue
            try:
                for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def wait_ready(self, label: str, count: int, timeout: float = 600) -> float:
        """Block until the supervisor has reported ``label`` ready ``count`` times; its restart seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [s for name, s in self.ready_again if name == label]
            if len(done) >= count:
                return done[count - 1]
            time.sleep(0.5)
        raise RuntimeError(f"{label} was not ready again within {timeout:.0f} s")

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.stack.stop()


def start(args: argparse.Namespace, work: Path, workers: int) -> tuple[Watched, Path]:
    """A stack with ``workers`` Rasa workers; a second call reuses the index copy and the tracker store."""
    base = stack_module.StackConfig.from_env()
    index_copy = work / "index"
    if not index_copy.exists():
        current = (base.index_dir / "current").resolve()
        shutil.copytree(current, index_copy / "versions" / current.name)
        (index_copy / "current").symlink_to(Path("versions") / current.name)
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=work / "var",
        index_dir=index_copy,
        support_token=None,
        workers=workers,
    )
    stack = stack_module.Stack(config, echo=lambda line: log(line.strip()))
    if not args.e5_cache:
        for service in stack.services:
            service.env = {**service.env, "KC_E5_CACHE_MB": "0"}
    started = time.monotonic()
    stack.start(timeout=900)
    log(f"stack with {workers} Rasa worker(s) ready in {time.monotonic() - started:.0f} s")
    return Watched(stack), index_copy


def rest_url(stack: stack_module.Stack) -> str:
    return f"{stack.config.rasa_url}/webhooks/rest/webhook"


def single_user(url: str) -> tuple[load_client.Reference, dict[str, list[float]]]:
    """Warm-up round (its replies are each profile's reference), then a timed round, one turn at a time."""
    reference = load_client.Reference()
    for number, script in enumerate(load_data.single_user_scripts()):
        conversation = load_client.Conversation(url, number, script.messages, script, None, 60, "reference")
        conversation.run()
        reference.add(script.profile, conversation.sender, conversation.turns)
    times: dict[str, list[float]] = {"offers": [], "other": []}
    for number, script in enumerate(load_data.single_user_scripts()):
        conversation = load_client.Conversation(url, number, script.messages, script, reference, 60, "single")
        conversation.run()
        for turn in conversation.turns:
            kind = "offers" if load_data.offer_ids(turn.replies or []) else "other"
            times[kind].append(turn.seconds)
    return reference, times


def print_single(times: dict[str, list[float]]) -> None:
    print("\n== single user (one turn at a time, after a warm-up round)")
    for kind, label in (("offers", "turns with an offer list"), ("other", "all other turns")):
        values = times[kind]
        print(f"   {label:26} n={len(values):3d}  p50 {load_data.percentile(values, 0.5) * 1000:5.0f} ms  "
              f"p95 {load_data.percentile(values, 0.95) * 1000:5.0f} ms  max {max(values) * 1000:5.0f} ms")


def load_phase(
    watched: Watched, title: str, users: int, turns: int, reference: load_client.Reference,
    first: int, faults: Callable[[], None] | None = None,
    played: list[load_client.Conversation] | None = None,
) -> dict[str, Any]:
    url = rest_url(watched.stack)
    rss_before = watched.rasa_rss_kb()
    watched.peak_rss_kb = rss_before
    injector = threading.Thread(target=faults, daemon=True) if faults else None
    if injector:
        injector.start()
    # With a fault, further rounds of fresh conversations follow until the fault (and the recovery) is
    # over, so that it always happens under load (an index rebuild can outlast one round).
    conversations: list[load_client.Conversation] = []
    seconds = 0.0
    while not conversations or (injector is not None and injector.is_alive()):
        start = first + len(conversations)
        batch = load_client.ours(url, list(range(start, start + users)), turns, reference, 600, "load")
        seconds += load_client.play(batch)
        conversations += batch
    if injector:
        injector.join()
    rounds = len(conversations) // users
    if rounds > 1:
        log(f"{title}: {rounds} rounds of {users} conversations until the fault was over")
    result = load_client.summary(conversations, seconds)
    load_client.print_summary(title, result)
    peak, after = watched.peak_rss_kb / 1024, watched.rasa_rss_kb() / 1024
    workers = len(watched.stack.rasa_workers())
    print(f"   Rasa server memory (RSS, {workers} process(es)): {rss_before / 1024:.0f} MB before, "
          f"peak {peak:.0f} MB, {after:.0f} MB after")
    print_continuity(watched, conversations, reference)
    if played is not None:
        played.extend(conversations)
    return result


def print_continuity(
    watched: Watched, conversations: list[load_client.Conversation], reference: load_client.Reference
) -> None:
    """Compare each conversation's stored profile with its script and the reference conversation's."""
    db = watched.stack.config.tracker_db
    expected = {
        profile: load_client.stored_profile(db, sender)
        for profile, sender in reference.senders.items()
    }
    kept = lost_turns = duplicates = 0
    for conversation in conversations:
        stored = load_client.stored_profile(db, conversation.sender)
        script = conversation.script
        assert script is not None
        want = expected.get(script.profile, {})
        count_given = any(str(load_data.german_number(script.count)) in m for m in script.messages)
        same = (
            stored["role"] == want.get("role")
            and stored["skill_gaps"] == want.get("skill_gaps")
            and stored["employee_count"] == (script.count if count_given else None)
        )
        kept += same
        answered = sum(t.replies is not None for t in conversation.turns)
        lost_turns += max(0, answered - stored["user_turns"])
        duplicates += max(0, stored["user_turns"] - len(conversation.turns))
    print(f"   stored profiles (role, topics, employee count) as expected: {kept} of {len(conversations)}; "
          f"answered turns missing in the tracker store: {lost_turns}; turns stored twice: {duplicates}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=None, help="concurrent conversations (20; --fault: 50)")
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation (at most 20)")
    parser.add_argument("--fault", action="store_true", help="fault phases, not the plain load")
    parser.add_argument("--no-stock", action="store_true", help="skip stock Rasa")
    parser.add_argument(
        "--phases", type=lambda text: {int(p) for p in text.split(",")}, default={1, 2, 3},
        help="fault phases to run, e.g. 3 or 1,2 (default 1,2,3)",
    )
    parser.add_argument("--e5-cache", action="store_true", help="keep the NLU's e5 message cache on")
    parser.add_argument(
        "--workers", type=lambda text: [int(n) for n in text.split(",")], default=None,
        help="Rasa worker counts to measure one after the other, e.g. 1,2 (default: KC_RASA_WORKERS or "
             "what `make run` would start)",
    )
    parser.add_argument("--kill-worker", action="store_true",
                        help="with >= 2 workers: after the load, SIGKILL worker 1 under load")
    args = parser.parse_args(argv)
    users = args.users or (50 if args.fault else 20)
    counts = args.workers or [stack_module.workers_from_env()]
    if any(not 1 <= n <= stack_module.MAX_WORKERS for n in counts):
        parser.error(f"--workers: each count must be 1 to {stack_module.MAX_WORKERS}")
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    work = Path(tempfile.mkdtemp(prefix="kc-bench-load-"))
    reference: load_client.Reference | None = None
    results: dict[int, dict[str, Any]] = {}
    python = stack_module.StackConfig.from_env().rasa_python
    for round_number, workers in enumerate(counts):
        watched, index_copy = start(args, work, workers)
        print(f"\n######## {workers} Rasa worker(s)" + (" behind the request router" if workers > 1 else ""))
        try:
            if reference is None:
                reference, times = single_user(rest_url(watched.stack))
                print_single(times)
            first = 100 + 50_000 * round_number
            if not args.fault:
                results[workers] = load_phase(watched, "load", users, args.turns, reference, first)
            else:
                run_faults(watched, users, args.turns, reference, index_copy, args.phases)
            if args.kill_worker and workers >= 2:
                kill_one_worker(watched, users, args.turns, reference, first + 40_000)
        finally:
            watched.close()
    if len(results) > 1:
        print(f"\n== {users} users x {args.turns} turns by Rasa worker count")
        for workers, result in results.items():
            print(f"   {workers} worker(s): {result['turns_per_s']:.1f} turns/s, p50 {result['p50']:.2f} s, "
                  f"p95 {result['p95']:.2f} s, p99 {result['p99']:.2f} s")
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if results and not args.no_stock:
        compare_with_stock(python, work, users, args.turns, results[max(results)])


def kill_one_worker(
    watched: Watched, users: int, turns: int, reference: load_client.Reference, first: int
) -> None:
    """SIGKILL Rasa worker 1 under load; how long until every conversation in flight is answered again."""
    stack = watched.stack
    killed: list[float] = []
    earlier = sum(1 for name, _ in watched.ready_again if name == "Rasa worker 1")

    def fault() -> None:
        time.sleep(10)
        log("SIGKILL Rasa worker 1")
        killed.append(time.monotonic())
        stack.kill_service("rasa-1")
        seconds = watched.wait_ready("Rasa worker 1", earlier + 1)
        log(f"Rasa worker 1 answering again {seconds:.0f} s after its restart")

    conversations: list[load_client.Conversation] = []
    load_phase(watched, "fault: Rasa worker 1 of 2 killed (SIGKILL) under load", users, turns, reference,
               first, fault, conversations)
    kill = killed[0]
    waits = []
    for conversation in conversations:
        done = [t.started + t.seconds for t in conversation.turns if t.replies is not None]
        if any(t.started <= kill for t in conversation.turns) and any(d > kill for d in done):
            waits.append(min(d for d in done if d > kill) - kill)
    in_flight = [t.seconds for c in conversations for t in c.turns
                 if t.started <= kill < t.started + t.seconds]
    median = load_data.percentile(waits, 0.5) if waits else float("nan")
    print(f"   conversations under way at the kill: {len(waits)}; all answered again "
          f"{max(waits, default=float('nan')):.1f} s after the kill (median {median:.1f} s)")
    print(f"   turns in flight at the kill: {len(in_flight)}, their latency max "
          f"{max(in_flight, default=float('nan')):.1f} s")
    restarts = [seconds for name, seconds in watched.ready_again if name == "Rasa worker 1"]
    print(f"   killed worker ready again (supervisor restart): {restarts[-1]:.0f} s")


def run_faults(
    watched: Watched, users: int, turns: int, reference: load_client.Reference, index_copy: Path,
    phases: set[int],
) -> None:
    stack = watched.stack

    def kill_rasa_then_actions() -> None:
        time.sleep(10)
        log("SIGKILL Rasa server")
        stack.kill_service("rasa")
        seconds = watched.wait_ready("Rasa server", 1)
        log(f"Rasa server answering again {seconds:.0f} s after its restart")
        time.sleep(5)
        log("SIGKILL action server")
        stack.kill_service("actions")
        watched.wait_ready("action server", 1)

    if 1 in phases and len(stack.rasa_workers()) > 1:
        log("fault 1 kills the single Rasa server: skipped with workers (use --kill-worker)")
    elif 1 in phases:
        load_phase(watched, "fault 1: Rasa server and action server killed", users, turns, reference, 10_000,
                   kill_rasa_then_actions)
        restarts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in watched.ready_again)
        print(f"   ready again after SIGKILL (supervisor restart): {restarts}")

    def kill_search() -> None:
        time.sleep(10)
        log("SIGKILL search service")
        stack.kill_service("search")
        watched.wait_ready("course search service", 1)

    if 2 in phases:
        load_phase(watched, "fault 2: search service killed", users, turns, reference, 20_000, kill_search)

    def rebuild_index() -> None:
        time.sleep(5)
        log("index rebuild (--force) into the served index directory")
        build = subprocess.run(
            [str(stack.config.index_python), "-m", "index.cli", "build", "--catalog",
             str(ROOT / "index" / "data" / "catalog.jsonl"), "--out", str(index_copy), "--force"],
            cwd=ROOT, capture_output=True, text=True,
        )
        log(f"index rebuild finished with code {build.returncode}")

    if 3 in phases:
        load_phase(watched, "fault 3: index rebuilt and switched under load", users, turns, reference, 30_000,
                   rebuild_index)


def compare_with_stock(rasa_python: Path, work: Path, users: int, turns: int, ours: dict[str, Any]) -> None:
    model = stock_rasa.ensure_model(rasa_python, ROOT / "var" / "bench")
    port = stack_module.free_port()
    process = stock_rasa.serve(rasa_python, model, port, work / "stock-rasa.log")
    try:
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        warm = load_client.Conversation(url, 0, stock_rasa.MOOD_TURNS, sender_prefix="stock-warm-up")
        warm.run()
        conversations = [
            load_client.Conversation(url, n, stock_rasa.MOOD_TURNS[:turns], sender_prefix="stock")
            for n in range(users)
        ]
        seconds = load_client.play(conversations)
        stock = load_client.summary(conversations, seconds)
        load_client.print_summary("stock Rasa 3.6 (rasa init moodbot, same load)", stock)
    finally:
        stack_module._signal_group(process.pid, 15)
        process.wait(timeout=30)
    print(f"\n   ours / stock: throughput {ours['turns_per_s'] / stock['turns_per_s']:.2f}x, "
          f"p95 {ours['p95'] / stock['p95']:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    main()
