"""Two Rasa workers behind the request router (KC_RASA_WORKERS=2, issue 14), as `make run` starts them.

One stack for the whole module (the workers load their models in parallel): conversations stay on their
worker, a conversation whose worker is killed (SIGKILL, as the OOM killer does) goes on at once on the other
worker with its profile from the shared tracker store, the supervisor brings the worker back and the
conversation returns to it. Which worker answered is the router's ``X-KC-Worker`` header.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_module  # noqa: E402

from bot.privacy.tracker_db import sender_events  # noqa: E402
from bot.router.choice import choose  # noqa: E402

pytestmark = pytest.mark.e2e

OFFERS = re.compile(r"Diese \d Angebote passen zu Ihnen|Dieses Angebot passt zu Ihnen")
APOLOGY = re.compile(r"etwas schiefgelaufen", re.S)
WORKERS = ["1", "2"]


@pytest.fixture(scope="module")
def workers_stack(tmp_path_factory: pytest.TempPathFactory):
    base = replace(stack_module.StackConfig.from_env(), workers=2)
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=tmp_path_factory.mktemp("workers-var"),
        support_token=None,
    )
    running = stack_module.Stack(config, echo=lambda line: None)
    try:
        running.start(timeout=900)
    except stack_module.StackError as error:
        pytest.fail(f"stack did not start: {error}", pytrace=False)
    wait_until_the_router_uses(running, WORKERS)  # the stack is ready when the router answers: one is enough
    yield running
    running.stop()


def wait_until_the_router_uses(stack: stack_module.Stack, workers: list[str], timeout: float = 30) -> None:
    """Requests without a conversation go to each live worker in turn: all answering them shows the router's
    health checks found all."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while seen != set(workers) and time.monotonic() < deadline:
        with urllib.request.urlopen(f"{stack.config.rasa_url}/webhooks/rest/", timeout=10) as response:
            seen.add(response.headers["X-KC-Worker"])
        time.sleep(0.2)
    assert seen == set(workers), f"the router uses only workers {seen}"


def say(stack: stack_module.Stack, sender: str, text: str) -> tuple[str, str]:
    """One REST turn through the router: (the bot's texts joined, the worker that answered)."""
    request = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        replies = json.loads(response.read())
        worker = response.headers["X-KC-Worker"]
    texts = "\n".join(str(r["text"]) for r in replies if r.get("text"))
    assert texts, f"empty reply to {text!r}"
    return texts, worker


def sender_on(worker: str) -> str:
    while True:
        sender = f"test-{uuid.uuid4().hex[:12]}"
        if choose(sender, WORKERS) == worker:
            return sender


def stored_slots(db: Path, sender: str) -> dict[str, object]:
    """The slots stored for ``sender`` (last value wins), read as ``bin/kc-admin export`` reads them."""
    events = sender_events(f"sqlite:///{db}", sender)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def to_offers(stack: stack_module.Stack, sender: str, worker: str) -> None:
    for message in ("Ich bin im Bürgeramt und brauche Excel", "online"):
        texts, answered_by = say(stack, sender, message)
        assert answered_by == worker
        if OFFERS.search(texts):
            return
    pytest.fail("no offers")


def test_two_conversations_on_different_workers_both_get_their_own_answers(workers_stack):
    on_one, on_two = sender_on("1"), sender_on("2")
    to_offers(workers_stack, on_one, "1")
    cost, worker = say(workers_stack, on_two, "Was kostet die Mitgliedschaft bei 670 Beschäftigten?")
    assert worker == "2"
    assert "4.000 €" in cost, cost
    more, worker = say(workers_stack, on_one, "Gibt es noch mehr Kurse?")
    assert worker == "1" and OFFERS.search(more), more
    assert "4.000 €" not in more


def test_killed_worker_its_conversation_goes_on_elsewhere_and_comes_back(workers_stack):
    stack = workers_stack
    sender, bystander = sender_on("1"), sender_on("2")
    to_offers(stack, sender, "1")
    assert say(stack, bystander, "Hallo")[1] == "2"
    role_before = stored_slots(stack.config.tracker_db, sender).get("role")
    assert role_before

    stack.kill_service("rasa-1")  # the router has not noticed yet: its request is refused and sent on
    texts, worker = say(stack, sender, "Gibt es noch mehr Kurse?")

    assert worker == "2"
    assert OFFERS.search(texts), texts  # topic and role came from the shared tracker store
    assert not APOLOGY.search(texts), texts
    assert stored_slots(stack.config.tracker_db, sender).get("role") == role_before
    assert say(stack, bystander, "Danke")[1] == "2"  # the other conversations never moved

    lines: list[str] = []
    supervisor = stack.supervisor(lines.append)
    deadline = time.monotonic() + 600
    asked_while_loading = False
    while not any("Rasa worker 1 is ready again" in line for line in lines):
        assert time.monotonic() < deadline, lines
        supervisor.check()
        if len(lines) == 1 and not asked_while_loading:  # restarted; while it loads, worker 2 answers
            assert say(stack, sender, "Details zu Nummer 1")[1] == "2"
            asked_while_loading = True
        time.sleep(0.5)
    assert asked_while_loading
    assert "Rasa worker 1 was killed by signal 9; restarting it" in lines[0], lines

    wait_until_the_router_uses(stack, WORKERS)  # its health check notices within about a second
    texts, worker = say(stack, sender, "Gibt es noch mehr Kurse?")
    assert worker == "1", "the conversation did not come back to its restarted worker"
    assert OFFERS.search(texts) or "zu Excel" in texts, texts  # more offers, or: no more on its topic


def test_widget_and_rest_turns_of_one_person_reach_the_same_worker(workers_stack):
    stack = workers_stack
    assert stack.dev_issuer is not None
    sender = sender_on("2")
    token = stack.dev_issuer.issue(sender)
    request = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/widget/webhook",
        data=json.dumps({"token": token, "message": "Hallo"}).encode(),
        headers={"Content-Type": "text/plain", "Origin": stack.config.demo_origins[0]},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.headers["X-KC-Worker"] == "2"
        assert response.headers["Access-Control-Allow-Origin"] == stack.config.demo_origins[0]
        assert json.loads(response.read())["messages"]
    assert say(stack, sender, "Ich arbeite im Ordnungsamt")[1] == "2"


def test_router_refuses_what_a_worker_would_refuse(workers_stack):
    """Checks stay in the workers: a forged widget token is refused behind the router, too."""
    stack = workers_stack
    request = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/widget/webhook",
        data=json.dumps({"token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "message": "Hallo"}).encode(),
        headers={"Content-Type": "text/plain", "Origin": stack.config.demo_origins[0]},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 401


def test_without_any_live_worker_the_person_reads_the_german_notice(workers_stack):
    """Last in this module: it kills both workers (the module's stack is stopped after it)."""
    stack = workers_stack
    notice = " ".join(
        yaml.safe_load((ROOT / "bot" / "channels" / "replies.de.yml").read_text(encoding="utf-8"))[
            "assistant_unavailable"
        ].split()
    )
    sender = sender_on("1")
    stack.kill_service("rasa-1")
    stack.kill_service("rasa-2")

    rest = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "Hallo"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rest, timeout=30)
    assert refused.value.code == 503
    assert json.loads(refused.value.read())["messages"] == [{"recipient_id": sender, "text": notice}]

    assert stack.dev_issuer is not None
    origin = stack.config.demo_origins[0]
    widget = urllib.request.Request(
        f"{stack.config.rasa_url}/webhooks/widget/webhook",
        data=json.dumps({"token": stack.dev_issuer.issue(sender), "message": "Hallo"}).encode(),
        headers={"Content-Type": "text/plain", "Origin": origin},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(widget, timeout=30)
    assert refused.value.code == 503
    assert refused.value.headers["Access-Control-Allow-Origin"] == origin  # the widget may read it
    assert json.loads(refused.value.read())["messages"] == [{"text": notice}]
