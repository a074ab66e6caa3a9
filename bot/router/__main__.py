"""``python -m bot.router --port 5005 --worker 1=http://127.0.0.1:41001 --worker 2=...``: the request router.

scripts/stack.py starts it when ``KC_RASA_WORKERS`` > 1. Settings: ``KC_ROUTER_HEALTH_SECONDS`` (health
check interval, default 1), ``KC_ROUTER_TIMEOUT_SECONDS`` (longest turn, default 180), ``KC_WIDGET_ORIGINS``
(the widget's origins, for the CORS header of the router's own 503 answer).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from aiohttp import web

from bot.channels.settings import ConfigError, parse_origins
from bot.router.app import Router, RouterConfigError, Worker


def _seconds(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RouterConfigError(f"{name}={raw!r} is not a number of seconds.") from None
    if not low <= value <= high:
        raise RouterConfigError(f"{name}={raw!r}: expected {low:g} to {high:g} seconds.")
    return value


def _worker(text: str) -> Worker:
    worker_id, _, url = text.partition("=")
    if not worker_id or not url.startswith("http://"):
        raise argparse.ArgumentTypeError(f"expected ID=http://HOST:PORT, got {text!r}")
    return Worker(worker_id, url.rstrip("/"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--worker", type=_worker, action="append", required=True, dest="workers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        origins_raw = os.environ.get("KC_WIDGET_ORIGINS", "").strip()
        router = Router(
            args.workers,
            health_interval=_seconds("KC_ROUTER_HEALTH_SECONDS", 1.0, 0.1, 30),
            request_timeout=_seconds("KC_ROUTER_TIMEOUT_SECONDS", 180.0, 5, 3600),
            widget_origins=parse_origins(origins_raw) if origins_raw else frozenset(),
        )
    except (RouterConfigError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.getLogger("bot.router").info(
        "Routing port %d to %d Rasa workers.", args.port, len(args.workers)
    )
    web.run_app(router.app(), host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
