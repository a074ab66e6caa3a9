"""The request router (bot/router/app.py) over real HTTP, with small aiohttp servers standing in for the Rasa
workers: what passes through, where a conversation goes when its worker is gone, and that one conversation
never has two turns in flight. No model needed (tests/e2e/test_rasa_workers.py runs real workers).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bot.router.app import REPLIES_FILE, UNAVAILABLE_KEY, Router, Worker

REST = "/webhooks/rest/webhook"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandIn:
    """A worker that answers the REST channel with its own name, and notes what it got."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.name = name
        self.delay = delay
        self.port = _free_port()
        self.received: list[dict[str, Any]] = []
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        self.overall = 0
        self.most_overall = 0
        self.behaviour: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return web.json_response({"status": "ok"})
        if self.behaviour is not None:
            return await self.behaviour(request)
        body = await request.json()
        sender = body["sender"]
        self.received.append({"body": body, "headers": dict(request.headers)})
        self.in_flight[sender] = self.in_flight.get(sender, 0) + 1
        self.overall += 1
        self.most_in_flight[sender] = max(self.most_in_flight.get(sender, 0), self.in_flight[sender])
        self.most_overall = max(self.most_overall, self.overall)
        await asyncio.sleep(self.delay)
        self.in_flight[sender] -= 1
        self.overall -= 1
        return web.json_response(
            [{"recipient_id": sender, "text": f"{self.name}: {body['message']}"}],
            status=201, headers={"X-Stand-In": self.name},
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def worker(self) -> Worker:
        return Worker(self.name, f"http://127.0.0.1:{self.port}")


@asynccontextmanager
async def routed(*stand_ins: StandIn, health_interval: float = 30.0, **settings: float):
    """Start the stand-ins and a router over them; yield a function that POSTs to the router."""
    for stand_in in stand_ins:
        await stand_in.start()
    router = Router(
        [s.worker for s in stand_ins], health_interval=health_interval, request_timeout=10, **settings
    )
    runner = web.AppRunner(router.app())
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as session:

        async def post(sender: str, message: str, path: str = REST) -> tuple[int, Any, Any]:
            body = {"sender": sender, "message": message}
            async with session.post(f"http://127.0.0.1:{port}{path}", json=body) as answer:
                return answer.status, await answer.json(), answer.headers

        try:
            yield post, router
        finally:
            await runner.cleanup()
            for stand_in in stand_ins:
                await stand_in.stop()


def _senders_of(worker: str, count: int) -> list[str]:
    from bot.router.choice import choose

    return [s for s in (f"person-{n}" for n in range(200)) if choose(s, ["a", "b"]) == worker][:count]


def test_answers_pass_unchanged_and_each_conversation_stays_on_its_worker():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        async with routed(a, b) as (post, _):
            for sender, worker in ((_senders_of("a", 1)[0], "a"), (_senders_of("b", 1)[0], "b")):
                for turn in range(3):
                    status, replies, headers = await post(sender, f"Nachricht {turn}")
                    assert status == 201 and headers["X-Stand-In"] == worker
                    assert headers["X-KC-Worker"] == worker
                    assert replies == [{"recipient_id": sender, "text": f"{worker}: Nachricht {turn}"}]
            assert [r["body"]["message"] for r in a.received] == ["Nachricht 0", "Nachricht 1", "Nachricht 2"]
            assert len(b.received) == 3
            assert "X-Forwarded-For" not in a.received[0]["headers"]  # a local client stays local

    asyncio.run(scenario())


def test_a_conversation_whose_worker_is_gone_is_answered_by_the_other_and_comes_back():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        sender = _senders_of("a", 1)[0]
        async with routed(a, b, health_interval=0.2) as (post, router):
            assert (await post(sender, "eins"))[2]["X-KC-Worker"] == "a"
            await a.stop()  # the port refuses connections now; the health check has not noticed yet
            status, replies, headers = await post(sender, "zwei")
            assert status == 201 and headers["X-KC-Worker"] == "b" and replies[0]["text"] == "b: zwei"
            await a.start()
            for _ in range(50):
                if all(w.alive for w in router.workers):
                    break
                await asyncio.sleep(0.1)
            assert (await post(sender, "drei"))[2]["X-KC-Worker"] == "a"
            assert [r["body"]["message"] for r in a.received] == ["eins", "drei"]
            assert [r["body"]["message"] for r in b.received] == ["zwei"]

    asyncio.run(scenario())


def test_no_worker_alive_is_a_503_with_the_german_text_of_the_data_file():
    async def scenario() -> None:
        a = StandIn("a")
        async with routed(a) as (post, _):
            await a.stop()
            status, body, headers = await post("person-1", "Hallo")
        german = " ".join(yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8"))[UNAVAILABLE_KEY].split())
        assert status == 503 and headers["Retry-After"]
        assert body["messages"] == [{"recipient_id": "person-1", "text": german}]
        assert "Assistent" in german

    asyncio.run(scenario())


def test_one_conversation_never_has_two_turns_in_flight_but_different_ones_run_together():
    async def scenario() -> None:
        a = StandIn("a", delay=0.2)
        async with routed(a) as (post, _):
            answers = await asyncio.gather(
                *(post("person-1", f"m{n}") for n in range(4)), *(post("person-2", f"m{n}") for n in range(4))
            )
        assert all(status == 201 for status, _, _ in answers)
        assert a.most_in_flight == {"person-1": 1, "person-2": 1}
        assert a.most_overall == 2

    asyncio.run(scenario())


def test_a_connection_reset_before_any_answer_is_sent_once_to_the_next_worker():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        sender = _senders_of("a", 1)[0]

        async def reset(request: web.Request) -> web.StreamResponse:
            a.received.append({"body": await request.json(), "headers": {}})
            assert request.transport is not None
            request.transport.abort()  # like a worker killed in the middle of the turn
            await asyncio.sleep(1)
            return web.Response()

        a.behaviour = reset
        async with routed(a, b) as (post, _):
            status, replies, headers = await post(sender, "Hallo")
        assert status == 201 and headers["X-KC-Worker"] == "b" and replies[0]["text"] == "b: Hallo"
        assert len(a.received) == 1 and len(b.received) == 1

    asyncio.run(scenario())


def test_an_answer_that_breaks_off_after_it_started_is_never_sent_again():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        sender = _senders_of("a", 1)[0]

        async def break_off(request: web.Request) -> web.StreamResponse:
            a.received.append({"body": await request.json(), "headers": {}})
            answer = web.StreamResponse(status=200, headers={"Content-Length": "1000"})
            await answer.prepare(request)
            await answer.write(b'[{"recipient_id": ')
            assert request.transport is not None
            request.transport.abort()
            return answer

        a.behaviour = break_off
        async with routed(a, b) as (post, _):
            status, body, _ = await post(sender, "Hallo")
        assert status == 502 and body["messages"][0]["text"]
        assert len(a.received) == 1 and b.received == []  # the turn may have been done: no second one

    asyncio.run(scenario())


def test_a_busy_worker_whose_health_checks_time_out_keeps_its_conversations():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        sender = _senders_of("a", 1)[0]
        slow = {"health": 0.0}
        answer = a.handle

        async def busy(request: web.Request) -> web.StreamResponse:
            if request.method == "GET":
                await asyncio.sleep(slow["health"])
            return await answer(request)

        a.handle = busy  # type: ignore[method-assign]
        async with routed(a, b, health_interval=0.1, health_timeout=0.2, hung_after=30) as (post, router):
            slow["health"] = 1.0  # every health check of "a" times out from now on
            for _ in range(8):
                assert (await post(sender, "Hallo"))[2]["X-KC-Worker"] == "a"
                await asyncio.sleep(0.25)
            assert router.workers[0].alive
            router.hung_after = 0.5  # answering nothing for longer than that: it hangs
            a.behaviour = _hang
            await asyncio.sleep(1.5)
            assert not router.workers[0].alive
            assert (await post(sender, "Hallo"))[2]["X-KC-Worker"] == "b"

    asyncio.run(scenario())


async def _hang(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(30)
    return web.Response()


def test_requests_without_a_conversation_go_to_any_live_worker():
    async def scenario() -> None:
        a, b = StandIn("a"), StandIn("b")
        async with routed(a, b) as (_, router):
            await b.stop()
            router.workers[1].alive = False
            assert [w.id for w in router.candidates(None)] == ["a"]
            assert router.candidates(None) == router.candidates(None)

    asyncio.run(scenario())


def test_the_router_refuses_bodies_over_the_channels_limit():
    async def scenario() -> None:
        a = StandIn("a")
        async with routed(a) as (post, _):
            status, body, _ = await post("person-1", "x" * (1024 * 1024 + 10))
        assert status == 413 and "too large" in body["error"]
        assert a.received == []

    asyncio.run(scenario())


def test_router_module_runs_from_the_command_line(tmp_path):
    """``python -m bot.router`` as scripts/stack.py starts it: it answers 503 until a worker is alive."""
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    port = _free_port()
    dead = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.router", "--port", str(port), "--worker", f"1=http://127.0.0.1:{dead}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{REST}", data=json.dumps({"sender": "p", "message": "x"}).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError as error:
                assert error.code == 503
                assert json.loads(error.read())["messages"][0]["recipient_id"] == "p"
                break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, "router did not start"
                time.sleep(0.2)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert '"p"' not in output and "sender" not in output  # no sender ids in its log
