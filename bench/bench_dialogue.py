"""Dialogue benchmark: turns a new user needs until the first offers, and the time per turn.

    .venv/rasa/bin/python bench/bench_dialogue.py [--dialogues bench/data/dialogues.yml] [--rasa-url URL]

Without ``--rasa-url`` it starts the real stack (search service, action server, Rasa) on free ports with a
temporary tracker store, exactly like ``make run`` does, and stops it afterwards; it needs what
``make run`` needs (runtimes, trained model, demo index). Each scripted conversation is sent message by
message over the REST channel until the assistant shows offers; the follow-ups (refinements, details)
are sent after that. Prints the turns to the first offers per conversation, their mean (conversations
marked ``digression`` left out), and p50/p95/max time per turn by kind. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_module  # noqa: E402

# The first line of every offer list (bot/domain/recommendations.yml).
OFFERS_INTRO = re.compile(r"Diese \d Angebote passen zu Ihnen|Dieses Angebot passt zu Ihnen")

Say = Callable[[str, str], list[dict]]


@dataclass
class Outcome:
    conversation: str
    digression: bool
    turns_to_offers: int | None = None
    timings: dict[str, list[float]] = field(default_factory=lambda: {"to_offers": [], "follow_up": []})


def shows_offers(replies: list[dict]) -> bool:
    return any(OFFERS_INTRO.search(r.get("text") or "") for r in replies)


def load_dialogues(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dialogues = data.get("conversations")
    if not isinstance(dialogues, list) or not dialogues:
        sys.exit(f"error: {path} has no 'conversations' list")
    for number, item in enumerate(dialogues, start=1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("messages"):
            sys.exit(f"error: conversation {number} in {path} needs an 'id' and 'messages'")
    return dialogues


def run_conversation(say: Say, dialogue: dict, transcript: bool = False) -> Outcome:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    if transcript:
        say = with_transcript(say)
    outcome = Outcome(str(dialogue["id"]), bool(dialogue.get("digression")))
    for turn, message in enumerate(dialogue["messages"], start=1):
        started = time.perf_counter()
        replies = say(sender, str(message))
        outcome.timings["to_offers"].append(time.perf_counter() - started)
        if shows_offers(replies):
            outcome.turns_to_offers = turn
            break
    if outcome.turns_to_offers is None:
        return outcome
    for message in dialogue.get("follow_ups") or []:
        started = time.perf_counter()
        say(sender, str(message))
        outcome.timings["follow_up"].append(time.perf_counter() - started)
    return outcome


def with_transcript(say: Say) -> Say:
    """``say`` that also prints the exchange (for checking what a conversation really looked like)."""

    def printing_say(sender: str, text: str) -> list[dict]:
        replies = say(sender, text)
        print(f"  > {text}")
        for reply in replies:
            print("    " + (reply.get("text") or str(reply)).replace("\n", "\n    "))
        return replies

    return printing_say


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def print_report(outcomes: list[Outcome]) -> None:
    print(f"{'conversation':32} turns to first offers")
    for outcome in outcomes:
        turns = outcome.turns_to_offers if outcome.turns_to_offers is not None else "NO OFFERS"
        extra = "  (digression, not in the mean)" if outcome.digression else ""
        print(f"{outcome.conversation:32} {turns}{extra}")
    counted = [o.turns_to_offers for o in outcomes if not o.digression and o.turns_to_offers is not None]
    failed = [o.conversation for o in outcomes if o.turns_to_offers is None]
    if counted:
        print(
            f"\nturns to first offers: mean {statistics.mean(counted):.2f}, max {max(counted)} "
            f"over {len(counted)} conversations; "
            f"within 3 turns: {sum(t <= 3 for t in counted)}/{len(counted)}"
        )
    if failed:
        print(f"no offers at the end of the script: {', '.join(failed)}")
    print(f"\n{'time per turn':24} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    kinds = {"to first offers": "to_offers", "refinements/details": "follow_up"}
    all_times: list[float] = []
    for label, key in kinds.items():
        times = [t for o in outcomes for t in o.timings[key]]
        all_times += times
        if times:
            print(f"{label:24} {len(times):4d} {percentile(times, 0.5) * 1000:8.0f} "
                  f"{percentile(times, 0.95) * 1000:8.0f} {max(times) * 1000:8.0f}")
    if all_times:
        print(f"{'all turns':24} {len(all_times):4d} {percentile(all_times, 0.5) * 1000:8.0f} "
              f"{percentile(all_times, 0.95) * 1000:8.0f} {max(all_times) * 1000:8.0f}")


def rest_say(rasa_url: str) -> Say:
    def say(sender: str, text: str) -> list[dict]:
        status, replies = stack_module.http_json(
            f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}, 30
        )
        if status != 200 or not isinstance(replies, list):
            raise stack_module.StackError(f"Rasa answered HTTP {status}: {replies}")
        return replies

    return say


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dialogues", type=Path, default=ROOT / "bench" / "data" / "dialogues.yml")
    parser.add_argument("--rasa-url", help="use an already running assistant (e.g. http://127.0.0.1:5005)")
    parser.add_argument("--transcript", action="store_true", help="print every message and reply")
    parser.add_argument("--warm-up", type=int, default=2, help="untimed conversations first (default 2)")
    args = parser.parse_args(argv)
    dialogues = load_dialogues(args.dialogues)

    running: stack_module.Stack | None = None
    if args.rasa_url:
        say = rest_say(args.rasa_url.rstrip("/"))
    else:
        base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
        config = replace(
            base,
            ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
            var_dir=Path(tempfile.mkdtemp(prefix="kc-bench-dialogue-")),
            support_token=None,
        )
        running = stack_module.Stack(config, echo=lambda line: print(line, file=sys.stderr))
        try:
            running.start()
        except stack_module.StackError as error:
            sys.exit(f"error: the assistant did not start: {error}")
        say = running.say
    try:
        for dialogue in dialogues[: args.warm_up]:
            run_conversation(say, dialogue)
        outcomes = []
        for dialogue in dialogues:
            if args.transcript:
                print(f"--- {dialogue['id']}")
            outcomes.append(run_conversation(say, dialogue, args.transcript))
    finally:
        if running is not None:
            running.stop()
    print_report(outcomes)


if __name__ == "__main__":
    main()
