"""HTTP API for support staff (aiohttp): list, show and close support requests.

Every endpoint except `GET /health` needs `Authorization: Bearer <KC_SUPPORT_TOKEN>`.
Run: `python -m bot.support.api --port 5056` (refuses to start without a token).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.support.store import SupportStore

TOKEN_ENV = "KC_SUPPORT_TOKEN"
STORE_KEY: web.AppKey[SupportStore] = web.AppKey("store", SupportStore)
TOKEN_KEY: web.AppKey[str] = web.AppKey("token", str)
PUBLIC_PATHS = frozenset({"/health"})
log = logging.getLogger("kc.support.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    expected = request.app[TOKEN_KEY]
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        log.warning("rejected %s %s: missing or invalid bearer token", request.method, request.path)
        return _error(401, "missing or invalid bearer token")
    return await handler(request)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def list_requests(request: web.Request) -> web.Response:
    include_closed = request.query.get("all", "").lower() in ("1", "true", "yes")
    status = request.query.get("status")
    if status and status not in ("open", "closed"):
        return _error(400, "status must be 'open' or 'closed'")
    items = request.app[STORE_KEY].list(include_closed=include_closed or status == "closed")
    if status:
        items = [r for r in items if r.status == status]
    return web.json_response({"requests": [r.to_dict() for r in items], "count": len(items)})


async def get_request(request: web.Request) -> web.Response:
    ref = request.match_info["ref"]
    found = request.app[STORE_KEY].get(ref)
    if found is None:
        return _error(404, f"unknown reference {ref}")
    return web.json_response(found.to_dict())


async def close_request(request: web.Request) -> web.Response:
    ref = request.match_info["ref"]
    closed = request.app[STORE_KEY].close(ref)
    if closed is None:
        return _error(404, f"unknown reference {ref}")
    log.info("closed %s", closed.ref)
    return web.json_response(closed.to_dict())


def create_app(store: SupportStore, token: str) -> web.Application:
    if not token:
        raise ValueError("a non-empty bearer token is required")
    app = web.Application(middlewares=[bearer_auth])
    app[STORE_KEY] = store
    app[TOKEN_KEY] = token
    app.router.add_get("/health", health)
    app.router.add_get("/requests", list_requests)
    app.router.add_get("/requests/{ref}", get_request)
    app.router.add_post("/requests/{ref}/close", close_request)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Support request API for support staff.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--db", help="SQLite file (default: env KC_SUPPORT_DB or var/support.db)")
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"{TOKEN_ENV} is not set: refusing to start the support API without a bearer token.",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = SupportStore(args.db)
    log.info("support API on http://%s:%d (db %s)", args.host, args.port, store.path)
    web.run_app(create_app(store, token), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
