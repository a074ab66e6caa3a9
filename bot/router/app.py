"""The router on the public Rasa port: passes each request to one Rasa worker and its answer back unchanged.

- **Sticky:** a request with a conversation key (keys.py) goes to the key's worker among the live ones
  (choice.py); any other request goes to any live worker (in turn).
- **One turn per conversation at a time:** requests of one key wait for each other here (an asyncio lock
  per key, at most ``max_keys`` keys in flight, held until the answer or the timeout), so even while a
  conversation fails over to another worker, two workers never run turns of it at the same time.
- **Failover:** every ``health_interval`` seconds each worker's health URL is asked; a worker that refuses
  a connection is marked down at once. A request whose connection is refused or reset before any byte
  of an answer came back is sent once more, to the next live worker of its key: the worker had not
  answered, so the turn was not done (Rasa saves a turn before it answers). Once an answer has started
  it is never sent again (no duplicate turns).
- **No worker alive:** 503 with the German text ``assistant_unavailable`` of bot/channels/replies.de.yml in
  the channel's refusal format, so the widget shows it and the REST clients can retry.

Bodies, headers and status codes pass unchanged (hop-by-hop headers excepted); the answer carries one
header more, ``X-KC-Worker`` (which worker answered), for operators and tests. The body limit is the
channels' (1 MiB, bot/channels/guards.py). Logs name workers and counts, never sender ids or bodies.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bot.router.choice import ranked
from bot.router.keys import REST_PATH, TEAMS_PATH, WIDGET_PATHS, conversation_key

logger = logging.getLogger("bot.router")

MAX_BODY_BYTES = 1024 * 1024  # = bot/channels/guards.py MAX_BODY_BYTES (no Rasa import here)
REPLIES_FILE = Path(__file__).resolve().parents[1] / "channels" / "replies.de.yml"
UNAVAILABLE_KEY = "assistant_unavailable"
WORKER_HEADER = "X-KC-Worker"
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
})
# A worker busy with turns answers its health check late; that is no reason to stop sending it work (the
# load benchmark had the last live worker marked down that way while its partner was restarting). A worker
# counts as down at once when it refuses connections or answers the check with an error; when checks only
# time out, only after it has answered nothing (no check, no request) for this long: then it hangs.
HUNG_AFTER_S = 30.0
HEALTH_TIMEOUT_S = 5.0


class RouterConfigError(RuntimeError):
    """Bad router settings; the message is one line for the operator."""


def unavailable_text(path: Path = REPLIES_FILE) -> str:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RouterConfigError(f"cannot read {path}: {error}") from error
    text = data.get(UNAVAILABLE_KEY) if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise RouterConfigError(f"{path} needs the text {UNAVAILABLE_KEY}")
    return " ".join(text.split())


@dataclass
class Worker:
    id: str
    url: str
    health_path: str = "/webhooks/rest/"
    alive: bool = False
    last_answer: float = 0.0  # monotonic time of its last answer (health check or request)


class TooManyConversations(RuntimeError):
    pass


class KeyedLocks:
    """One asyncio lock per conversation key, created on demand and dropped when nobody holds or waits."""

    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str, timeout: float) -> AsyncIterator[None]:
        """Hold ``key``'s lock; asyncio.TimeoutError if it is not free within ``timeout`` seconds."""
        entry = self._locks.get(key)
        if entry is None:
            if len(self._locks) >= self.max_keys:
                raise TooManyConversations
            entry = (asyncio.Lock(), 0)
        lock, users = entry
        self._locks[key] = (lock, users + 1)
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


class Router:
    def __init__(
        self,
        workers: Sequence[Worker],
        health_interval: float = 1.0,
        request_timeout: float = 180.0,
        max_keys: int = 10_000,
        widget_origins: frozenset[str] = frozenset(),
        unavailable: str | None = None,
        health_timeout: float = HEALTH_TIMEOUT_S,
        hung_after: float = HUNG_AFTER_S,
    ) -> None:
        if not workers:
            raise RouterConfigError("the router needs at least one worker")
        self.workers = list(workers)
        self.health_interval = health_interval
        self.health_timeout = health_timeout
        self.hung_after = hung_after
        self.request_timeout = request_timeout
        self.locks = KeyedLocks(max_keys)
        self.widget_origins = widget_origins
        self.unavailable = unavailable if unavailable is not None else unavailable_text()
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None
        self._health_task: asyncio.Task[None] | None = None

    # --- workers ----------------------------------------------------------------------------------------
    def alive(self) -> list[Worker]:
        return [worker for worker in self.workers if worker.alive]

    def candidates(self, key: str | None) -> list[Worker]:
        """Live workers to try, best first: the key's ranking, or all in turn for requests without a key."""
        alive = self.alive()
        if not alive:
            return []
        if key is None:
            start = next(self._turn) % len(alive)
            return alive[start:] + alive[:start]
        by_id = {worker.id: worker for worker in alive}
        return [by_id[worker_id] for worker_id in ranked(key, list(by_id))]

    def _set_alive(self, worker: Worker, alive: bool, why: str) -> None:
        if alive:
            worker.last_answer = time.monotonic()
        if worker.alive != alive:
            worker.alive = alive
            state = "up" if alive else f"down ({why})"
            logger.warning("Rasa worker %s is %s; %d of %d workers alive.", worker.id, state,
                           len(self.alive()), len(self.workers))

    async def check(self, worker: Worker) -> None:
        assert self._session is not None
        try:
            limit = aiohttp.ClientTimeout(total=self.health_timeout)
            async with self._session.get(worker.url + worker.health_path, timeout=limit) as answer:
                await answer.read()
                if answer.status == 200:
                    self._set_alive(worker, True, "")
                else:
                    self._set_alive(worker, False, f"health check answered {answer.status}")
        except asyncio.TimeoutError:
            silent = time.monotonic() - worker.last_answer
            if worker.alive and silent >= self.hung_after:
                self._set_alive(worker, False, f"no answer for {silent:.0f} s")
        except aiohttp.ClientError as error:
            self._set_alive(worker, False, type(error).__name__)

    async def _health_loop(self) -> None:
        await asyncio.gather(*(self._watch(worker) for worker in self.workers))

    async def _watch(self, worker: Worker) -> None:
        """Check one worker every ``health_interval`` (a slow answer of one never delays the others)."""
        while True:
            started = time.monotonic()
            await self.check(worker)
            await asyncio.sleep(max(0.0, self.health_interval - (time.monotonic() - started)))

    # --- app ----------------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.cleanup_ctx.append(self._lifetime)
        app.on_shutdown.append(self._stop_checks)  # type: ignore[arg-type]  # aiohttp 3.9 signal typing
        return app

    async def _stop_checks(self, app: web.Application) -> None:
        """Before aiohttp waits for the tasks started while it ran: the health checks never end alone."""
        if self._health_task is not None:
            self._health_task.cancel()

    async def _lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The client session and the health checks, for as long as the app runs."""
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            # A fresh local connection per request (~0.1 ms): a kept-alive one that the worker has just
            # closed would look like a worker that dropped the request.
            connector=aiohttp.TCPConnector(limit=0, force_close=True),
        )
        await asyncio.gather(*(self.check(worker) for worker in self.workers))
        self._health_task = asyncio.create_task(self._health_loop())
        yield
        self._health_task.cancel()
        await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(
                {"error": f"request body too large (at most {MAX_BODY_BYTES} bytes)"}, status=413
            )
        key = conversation_key(request.path, body) if request.method == "POST" else None
        if key is None:
            return await self.forward(request, body, None)
        try:
            async with self.locks.hold(key, self.request_timeout):
                return await self.forward(request, body, key)
        except TooManyConversations:
            logger.error("Refused a request: %d conversations are already in flight.", len(self.locks))
            return self.refusal(request, key, 503, "too many conversations in flight")
        except asyncio.TimeoutError:
            logger.error("Refused a request: the previous turn of its conversation did not end in %.0f s.",
                         self.request_timeout)
            return self.refusal(request, key, 503, "the previous turn of this conversation is still running")

    async def forward(self, request: web.Request, body: bytes, key: str | None) -> web.StreamResponse:
        """Send the request to the first candidate; once more to the next if it never answered."""
        assert self._session is not None
        headers = [(name, value) for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP]
        if not _is_loopback(request.remote):
            # The workers see the router as their peer: a client from elsewhere must not look local to the
            # loopback REST channel (it refuses requests with forwarding headers).
            headers.append(("X-Forwarded-For", request.remote or "unknown"))
        tried = 0
        for worker in self.candidates(key):
            if tried == 2:
                break
            tried += 1
            try:
                answer = await self._session.request(
                    request.method, worker.url + request.rel_url.path_qs, data=body if body else None,
                    headers=headers, allow_redirects=False,
                )
            except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError,
                    aiohttp.ClientOSError) as error:
                # Nothing came back from this worker: the request was not answered, try the next one.
                self._set_alive(worker, False, type(error).__name__)
                continue
            except asyncio.TimeoutError:
                logger.error("Rasa worker %s did not answer within %.0f s.", worker.id, self.request_timeout)
                return self.refusal(request, key, 504, "the assistant did not answer in time")
            try:
                async with answer:
                    content = await answer.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("Rasa worker %s broke off its answer (%s).", worker.id, type(error).__name__)
                return self.refusal(request, key, 502, "the assistant broke off its answer")
            worker.last_answer = time.monotonic()
            out = web.Response(body=content, status=answer.status, reason=answer.reason)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    out.headers.add(name, value)
            out.headers[WORKER_HEADER] = worker.id
            return out
        return self.refusal(request, key, 503, "no Rasa worker is available")

    def refusal(self, request: web.Request, key: str | None, status: int, reason: str) -> web.Response:
        """The channel's refusal format with the German text, so each client shows or retries it."""
        path = request.path.rstrip("/")
        headers = {"Retry-After": "5", "Cache-Control": "no-store"}
        body: dict[str, Any] = {"error": reason}
        if path == REST_PATH:
            body["messages"] = [{"recipient_id": key, "text": self.unavailable}]
        elif path in WIDGET_PATHS:
            body["messages"] = [{"text": self.unavailable}]
            origin = (request.headers.get("Origin") or "").rstrip("/").lower()
            headers["Vary"] = "Origin"
            if origin in self.widget_origins:
                headers["Access-Control-Allow-Origin"] = origin
        elif path != TEAMS_PATH:
            body["messages"] = [{"text": self.unavailable}]
        return web.json_response(body, status=status, headers=headers)
