"""Where the time of one turn goes: each NLU component, each policy, the action server round trip, the search.

    .venv/rasa/bin/python bench/profile_turn.py [--model models/kc.tar.gz] [--rounds 3]

Loads the trained model in this process (as ``rasa run`` does: SQLite tracker store, in-memory lock store)
and starts the real search service and action server on free ports (scripts/stack.py); the action server
reaches the search service through a small timing proxy in this process. Then it plays the single-user
conversations of bench/load_data.py one after another (first round untimed: warm-up) and prints, per kind
of turn (offer lists / other turns), the mean wall and CPU time of every graph node (NLU components,
policies), of the tracker store, of the action server calls and of the searches inside them, and the rest
(Rasa's own bookkeeping). Figures only; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "bench")]

import load_data  # noqa: E402
import stack as stack_module  # noqa: E402

Bucket = dict[str, list[float]]  # name -> [wall seconds, cpu seconds]


class Recorder:
    """Collects (wall, cpu) per named step for the turn being played."""

    def __init__(self) -> None:
        self.turn: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.lock = threading.Lock()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def add(self, name: str, wall: float, cpu: float) -> None:
        with self.lock:
            entry = self.turn[name]
            entry[0] += wall
            entry[1] += cpu

    def take(self) -> dict[str, list[float]]:
        with self.lock:
            taken, self.turn = dict(self.turn), defaultdict(lambda: [0.0, 0.0])
        return taken


RECORDER = Recorder()


def instrument_rasa() -> None:
    """Wrap graph nodes, the SQL tracker store and remote actions so that their time is recorded."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.engine.graph import GraphNode
    from rasa.engine.runner.dask import DaskGraphRunner

    node_call = GraphNode.__call__

    def timed_node(self: GraphNode, *inputs: Any) -> Any:
        with RECORDER.step(f"node {self._node_name}"):
            return node_call(self, *inputs)

    GraphNode.__call__ = timed_node  # type: ignore[method-assign]

    graph_run = DaskGraphRunner.run

    def timed_run(self: DaskGraphRunner, *args: Any, **kwargs: Any) -> Any:
        with RECORDER.step("graph runs (total)"):
            return graph_run(self, *args, **kwargs)

    DaskGraphRunner.run = timed_run  # type: ignore[method-assign]

    def wrap_async(owner: type, name: str, label: str) -> None:
        original = getattr(owner, name)

        async def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            with RECORDER.step(label):
                return await original(self, *args, **kwargs)

        setattr(owner, name, timed)

    wrap_async(SQLTrackerStore, "retrieve", "tracker store: retrieve")
    wrap_async(SQLTrackerStore, "save", "tracker store: save")
    wrap_async(RemoteAction, "run", "action server calls (round trip)")


class TimingProxy(BaseHTTPRequestHandler):
    """Forwards the action server's requests to the search service and records how long each took."""

    target = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def do_GET(self) -> None:  # noqa: N802
        self._forward(None)

    def _forward(self, body: bytes | None) -> None:
        started = time.perf_counter()
        request = urllib.request.Request(
            self.target + self.path, data=body, method=self.command,
            headers={"Content-Type": self.headers.get("Content-Type") or "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        RECORDER.add("search service (inside the action calls)", time.perf_counter() - started, 0.0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def start_services(model: Path) -> tuple[stack_module.Stack, ThreadingHTTPServer, str]:
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=Path(tempfile.mkdtemp(prefix="kc-profile-")),
        model=model,
        support_token=None,
        demo=False,
    )
    running = stack_module.Stack(config, echo=lambda line: print(line, file=sys.stderr))
    running.services = [s for s in running.services if s.name in ("search", "actions")]
    TimingProxy.target = config.search_url
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), TimingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    actions = next(s for s in running.services if s.name == "actions")
    actions.env = {**actions.env, "KC_SEARCH_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
    running.start()
    return running, proxy, f"http://127.0.0.1:{config.ports['actions']}/webhook"


async def load_agent(model: Path, action_url: str, tracker_db: Path) -> Any:
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints

    os.environ["KC_ACTION_URL"] = action_url
    os.environ["KC_TRACKER_DB"] = str(tracker_db)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    agent = await rasa_load_agent(model_path=str(model), endpoints=endpoints)
    if not agent.is_ready():
        sys.exit(f"error: the model {model} could not be loaded (see the log lines above).")
    return agent


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def summarise(turns: list[tuple[str, float, float, dict[str, list[float]]]]) -> None:
    for kind in ("offers", "other"):
        chosen = [t for t in turns if t[0] == kind]
        if not chosen:
            continue
        walls = sorted(t[1] * 1000 for t in chosen)
        print(f"\n== {kind} turns: n={len(chosen)}, wall p50 {load_data.percentile(walls, 0.5):.0f} ms, "
              f"p95 {load_data.percentile(walls, 0.95):.0f} ms; mean CPU of this process "
              f"{statistics.mean(t[2] for t in chosen) * 1000:.0f} ms")
        names: set[str] = set()
        for turn in chosen:
            names.update(turn[3])
        rows = []
        for name in names:
            wall = statistics.mean(t[3].get(name, [0.0, 0.0])[0] for t in chosen) * 1000
            cpu = statistics.mean(t[3].get(name, [0.0, 0.0])[1] for t in chosen) * 1000
            rows.append((wall, cpu, name))
        total_wall = statistics.mean(t[1] for t in chosen) * 1000
        total_cpu = statistics.mean(t[2] for t in chosen) * 1000
        print(f"{'step (mean per turn)':58} {'wall ms':>8} {'cpu ms':>8}")
        for wall, cpu, name in sorted(rows, reverse=True):
            print(f"{name[:58]:58} {wall:8.1f} {cpu:8.1f}")
        accounted = [r for r in rows if r[2].startswith(("tracker store", "action server", "graph runs"))]
        rest_wall = total_wall - sum(r[0] for r in accounted)
        rest_cpu = total_cpu - sum(r[1] for r in accounted)
        print(f"{'rest (Rasa bookkeeping outside the steps above)':58} {rest_wall:8.1f} {rest_cpu:8.1f}")


async def play(agent: Any, rounds: int) -> list[tuple[str, float, float, dict[str, list[float]]]]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    turns = []
    for _ in range(rounds):
        for script in load_data.single_user_scripts():
            sender = f"profile-{uuid.uuid4().hex[:12]}"
            for text in script.messages:
                RECORDER.take()
                wall, cpu = time.perf_counter(), time.process_time()
                replies = await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                steps = RECORDER.take()
                kind = "offers" if load_data.offer_ids(replies or []) else "other"
                turns.append((kind, wall, cpu, steps))
    return turns


async def profile(
    model: Path, action_url: str, tracker_db: Path, rounds: int, cprofile: bool = False,
    on_timed_start: Callable[[], None] = lambda: None, patched: bool = True,
) -> list[Any]:
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` does at its default level: no debug output (it would dominate the timings).
    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    if patched:
        from bot.server import patches

        patches.apply()  # as `python -m bot.server run` does
    started = time.perf_counter()
    agent = await load_agent(model, action_url, tracker_db)
    print(f"model loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    instrument_rasa()
    await play(agent, 1)  # warm-up
    on_timed_start()
    if not cprofile:
        return await play(agent, rounds)
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    turns = await play(agent, rounds)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    return turns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "kc.tar.gz")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds (after a warm-up)")
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--unpatched", action="store_true", help="without bot/server/patches.py")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    running, proxy, action_url = start_services(args.model.resolve())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the services on kill, too
    try:
        pids = {s.name: s.process.pid for s in running.services if s.process is not None}
        holder: dict[str, float] = {}
        turns = asyncio.run(
            profile(args.model.resolve(), action_url, running.config.tracker_db, args.rounds, args.cprofile,
                    lambda: holder.update({n: process_cpu_seconds(p) for n, p in pids.items()}),
                    not args.unpatched)
        )
        others = {n: process_cpu_seconds(p) - holder[n] for n, p in pids.items()}
    finally:
        proxy.shutdown()
        running.stop()
    summarise(turns)
    per_turn = ", ".join(f"{name} {sec / max(1, len(turns)) * 1000:.1f} ms" for name, sec in others.items())
    print(f"\nCPU of the other processes per timed turn (all kinds, n={len(turns)}): {per_turn}")


if __name__ == "__main__":
    main()
