"""What a user notices when a service dies under them (issue 14): never an empty reply, and the supervisor
brings a killed service back while the conversation goes on with its profile.

Real stack (tests/e2e/conftest.py); the services are killed with SIGKILL, as the kernel's OOM killer does.
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.e2e

APOLOGY = re.compile(r"etwas schiefgelaufen.*noch einmal", re.S)
OFFERS = re.compile(r"Diese \d Angebote passen zu Ihnen|Dieses Angebot passt zu Ihnen")
PROFILE_TURNS = ["Ich bin im Bürgeramt und brauche Excel", "online"]


def joined(replies: list[dict]) -> str:
    return "\n".join(str(r.get("text")) for r in replies if r.get("text"))


def to_offers(stack, sender: str) -> None:
    for message in PROFILE_TURNS:
        if OFFERS.search(joined(stack.say(sender, message))):
            return
    pytest.fail(f"no offers after {PROFILE_TURNS}")


def supervise_until_ready(supervisor, label: str, lines: list[str], timeout: float = 480) -> None:
    """Run the supervisor's rounds (as `make run` does every second) until ``label`` is ready again."""
    deadline = time.monotonic() + timeout
    while not any(f"{label} is ready again" in line for line in lines):
        assert time.monotonic() < deadline, f"{label} not ready again: {lines}"
        supervisor.check()
        time.sleep(0.5)


def test_action_server_down_gets_a_german_apology_not_an_empty_reply(stack, sender):
    assert stack.say(sender, "Hallo")
    stack.stop_service("actions")
    try:
        # Needs the recommendation actions; Rasa waits KC_ACTION_RETRY_SECONDS (20 s) for the port first.
        replies = stack.say(sender, PROFILE_TURNS[0])
    finally:
        stack.restart_service("actions")
    assert replies, "empty reply while the action server was down"
    assert APOLOGY.search(joined(replies)), joined(replies)

    to_offers(stack, sender)  # trying again works once the action server is back


def test_killed_action_server_is_restarted_and_the_turn_waits_for_it(stack, sender):
    to_offers(stack, sender)
    stack.kill_service("actions")
    lines: list[str] = []
    supervisor = stack.supervisor(lines.append)
    supervisor.check()  # restarts it at once; the next turn is sent before it is ready
    assert any("action server was killed by signal 9; restarting it" in line for line in lines), lines

    replies = stack.say(sender, "Gibt es noch mehr Kurse?")

    assert not APOLOGY.search(joined(replies)), "the turn did not wait for the restarting action server"
    assert OFFERS.search(joined(replies)), joined(replies)
    supervise_until_ready(supervisor, "action server", lines)


def test_killed_rasa_server_is_restarted_and_the_conversation_keeps_its_profile(stack, sender):
    to_offers(stack, sender)
    stack.kill_service("rasa")
    lines: list[str] = []
    supervise_until_ready(stack.supervisor(lines.append), "Rasa server", lines)
    assert "Rasa server was killed by signal 9; restarting it" in lines[0]

    replies = stack.say(sender, "Gibt es noch mehr Kurse?")

    assert OFFERS.search(joined(replies)), joined(replies)  # role and topic survived the crash
