"""Clients of the load benchmark: conversations over the REST channel that retry while the server is down,
and the checks of every reply against the conversation's own profile (bench/load_data.py).

Standard library only (threads + urllib), so the clients add little CPU next to the assistant.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import load_data

from bot.privacy.tracker_db import sender_events

RETRY_PAUSE_S = 0.5
REQUEST_TIMEOUT_S = 120.0


@dataclass
class Turn:
    conversation: int
    number: int
    text: str
    started: float
    seconds: float = 0.0
    replies: list[dict[str, Any]] | None = None  # None: lost (no answer before the retry deadline)
    attempts: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Reference:
    """What each profile got when played alone: offer ids per turn, and every id it was ever shown."""

    offers: dict[int, list[list[str]]] = field(default_factory=dict)
    pools: dict[int, set[str]] = field(default_factory=dict)
    senders: dict[int, str] = field(default_factory=dict)

    def add(self, profile: int, sender: str, turns: list[Turn]) -> None:
        lists = [load_data.offer_ids(t.replies or []) for t in turns]
        self.offers[profile] = lists
        self.pools[profile] = {course for ids in lists for course in ids}
        self.senders[profile] = sender


def post(url: str, sender: str, text: str, timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, Any]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def say(url: str, sender: str, text: str, retry_until: float) -> tuple[list[dict[str, Any]] | None, int]:
    """One message, retried while the server is down or answers 5xx: (replies or None, attempts)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            status, replies = post(url, sender, text)
            if status == 200 and isinstance(replies, list):
                return replies, attempts
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() >= retry_until:
            return None, attempts
        time.sleep(RETRY_PAUSE_S)


def check(turn: Turn, sender: str, script: load_data.Script, reference: Reference | None) -> None:
    """Record what is wrong with one reply (empty, apology, search down, cross-talk, not the reference)."""
    replies = turn.replies
    if replies is None:
        turn.problems.append("lost")
        return
    if not replies:
        turn.problems.append("empty reply")
    if any(r.get("recipient_id") not in (None, sender) for r in replies):
        turn.problems.append("cross-talk: reply addressed to another conversation")
    joined = " ".join(load_data.texts(replies))
    if load_data.ACTION_FAILED in joined:
        turn.problems.append("apology (an action could not run)")
    if load_data.SEARCH_DOWN in joined:
        turn.problems.append("search unavailable")
    if any(count != script.count for count in load_data.cost_counts(replies)):
        turn.problems.append("cross-talk: cost answer for another employee count")
    ids = load_data.offer_ids(replies)
    if reference is not None and ids:
        if not set(ids) <= reference.pools.get(script.profile, set()):
            turn.problems.append("cross-talk: offers outside the conversation's topic")
        expected = reference.offers.get(script.profile, [])
        if turn.number < len(expected) and ids != expected[turn.number]:
            turn.problems.append("offers differ from the reference run")


class Conversation(threading.Thread):
    """One user: sends its messages one after the other, each as soon as the previous one was answered.

    With a ``script`` (our assistant) every reply is checked against the conversation's own profile; without
    one (stock Rasa) only for emptiness and addressee.
    """

    def __init__(
        self,
        url: str,
        number: int,
        messages: list[str],
        script: load_data.Script | None = None,
        reference: Reference | None = None,
        retry_s: float = 0.0,
        sender_prefix: str = "load",
        start_gate: threading.Event | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.number = number
        self.messages = messages
        self.script = script
        self.sender = f"{sender_prefix}-{number:03d}-{time.time_ns() % 10**8:08d}"
        self.reference = reference
        self.retry_s = retry_s
        self.start_gate = start_gate
        self.turns: list[Turn] = []

    def run(self) -> None:
        if self.start_gate is not None:
            self.start_gate.wait()
        for number, text in enumerate(self.messages):
            turn = Turn(self.number, number, text, time.monotonic())
            turn.replies, turn.attempts = say(self.url, self.sender, text, time.monotonic() + self.retry_s)
            turn.seconds = time.monotonic() - turn.started
            if self.script is not None:
                check(turn, self.sender, self.script, self.reference)
            elif turn.replies is None:
                turn.problems.append("lost")
            elif not turn.replies:
                turn.problems.append("empty reply")
            self.turns.append(turn)


def ours(url: str, numbers: list[int], turns: int, reference: Reference | None, retry_s: float,
         prefix: str = "load") -> list[Conversation]:
    """Conversations of the assistant's load script (bench/load_data.py)."""
    conversations = []
    for number in numbers:
        script = load_data.script(number, turns)
        conversations.append(Conversation(url, number, script.messages, script, reference, retry_s, prefix))
    return conversations


def play(conversations: list[Conversation]) -> float:
    """Run the conversations concurrently; the wall seconds from the start to the last reply."""
    gate = threading.Event()
    for conversation in conversations:
        conversation.start_gate = gate
        conversation.start()
    started = time.monotonic()
    gate.set()
    for conversation in conversations:
        conversation.join()
    return time.monotonic() - started


def summary(conversations: list[Conversation], seconds: float) -> dict[str, Any]:
    turns = [t for c in conversations for t in c.turns]
    answered = [t for t in turns if t.replies is not None]
    latencies = [t.seconds for t in answered]
    problems = Counter(p for t in turns for p in t.problems)
    return {
        "conversations": len(conversations),
        "turns": len(turns),
        "seconds": seconds,
        "turns_per_s": len(answered) / seconds if seconds else 0.0,
        "p50": load_data.percentile(latencies, 0.50),
        "p95": load_data.percentile(latencies, 0.95),
        "p99": load_data.percentile(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "retried_turns": sum(t.attempts > 1 for t in turns),
        "problems": problems,
    }


def print_summary(title: str, result: dict[str, Any]) -> None:
    per = result["turns"] // max(1, result["conversations"])
    ms = {key: result[key] * 1000 for key in ("p50", "p95", "p99", "max")}
    print(f"\n== {title}: {result['conversations']} conversations x {per} turns in {result['seconds']:.1f} s")
    print(f"   throughput {result['turns_per_s']:.1f} turns/s; latency p50 {ms['p50']:.0f} ms, "
          f"p95 {ms['p95']:.0f} ms, p99 {ms['p99']:.0f} ms, max {ms['max']:.0f} ms")
    problems: Counter[str] = result["problems"]
    lost = problems.get("lost", 0)
    cross = sum(v for k, v in problems.items() if k.startswith("cross-talk"))
    print(f"   turns lost {lost}, cross-talk {cross}, empty replies {problems.get('empty reply', 0)}, "
          f"turns that needed retries {result['retried_turns']}")
    for name, count in sorted(problems.items()):
        if name != "lost" and not name.startswith("cross-talk") and name != "empty reply":
            print(f"   {name}: {count}")
    for name, count in sorted(problems.items()):
        if name.startswith("cross-talk"):
            print(f"   {name}: {count}")


# --- what the tracker store kept ------------------------------------------------------------------------


def stored_profile(db: Path, sender: str) -> dict[str, Any]:
    """User turns stored for a sender, its last role and skill_gaps and the last employee count it gave
    (replayed events)."""
    slots: dict[str, Any] = {}
    user_turns = 0
    for event in sender_events(f"sqlite:///{db}", sender):
        kind = event.get("event")
        if kind == "user":
            user_turns += 1
        elif kind in ("restart", "reset_slots"):
            slots.clear()
        elif kind == "slot":
            # The cost answer empties employee_count again (action_membership_cost), so the count that
            # belongs to the conversation is the last one that was set.
            if event.get("value") is not None or event.get("name") != "employee_count":
                slots[str(event.get("name"))] = event.get("value")
    return {
        "user_turns": user_turns,
        "role": slots.get("role"),
        "skill_gaps": slots.get("skill_gaps"),
        "employee_count": slots.get("employee_count"),
    }
