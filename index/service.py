"""aiohttp search service; its contract is the JSON Schemas in ``index/schemas/`` (request, answers, errors).

Encoding and search run in a thread pool, never on the event loop. Query texts are not logged unless
``log_queries`` is set (privacy); errors are JSON ``{"error": "..."}`` without stack traces.

Concurrent queries are not micro-batched into one encoder pass (measured with the int8 ONNX encoder on one
thread: ~4 ms CPU per query alone and in batches of 2, 4 or 8, because padding eats the gain), and dynamic
int8 quantization scales activations per batch, so a query's vector would depend on the requests that
happened to arrive with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from index import schemas
from index.search import IndexUnavailable, QueryError, Searcher

log = logging.getLogger("kc.index.service")

MAX_BODY_BYTES = 16 * 1024
# Limits of a /search body: read from its schema, so that the service and the contract cannot disagree.
_REQUEST = schemas.load("search_request")["properties"]
REQUEST_FIELDS = frozenset(_REQUEST)
MAX_QUERY_CHARS: int = _REQUEST["query"]["maxLength"]
MAX_K: int = _REQUEST["k"]["maximum"]
DEFAULT_K: int = _REQUEST["k"]["default"]
MAX_EXCLUDE_IDS: int = _REQUEST["exclude_ids"]["maxItems"]
SEARCHER_KEY = web.AppKey("searcher", Searcher)
EXECUTOR_KEY = web.AppKey("executor", ThreadPoolExecutor)
LOG_QUERIES_KEY = web.AppKey("log_queries", bool)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        message = "request body too large" if exc.status == 413 else (exc.reason or "error")
        return _error(exc.status, message)
    except IndexUnavailable as exc:
        status = 503
        log.error("index unavailable: %s", exc)
        return _error(503, f"index unavailable: {exc}")
    except Exception:
        log.exception("internal error while handling %s %s", request.method, request.path)
        return _error(500, "internal error")
    finally:
        log.info(
            "%s %s %d %.1fms", request.method, request.path, status, (time.perf_counter() - started) * 1000
        )


def parse_search_body(body: Any) -> dict[str, Any]:
    """Validate a /search body; raises QueryError with an English message."""
    if not isinstance(body, dict):
        raise QueryError("request body must be a JSON object")
    unknown = set(body) - REQUEST_FIELDS
    if unknown:
        raise QueryError(f"unknown field(s): {', '.join(sorted(unknown))}")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise QueryError("'query' must be a non-empty string")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"'query' is longer than {MAX_QUERY_CHARS} characters")
    k = body.get("k", DEFAULT_K)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QueryError(f"'k' must be an integer between 1 and {MAX_K}")
    exclude = body.get("exclude_ids", [])
    if exclude is None:
        exclude = []
    if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
        raise QueryError("'exclude_ids' must be a list of strings")
    if len(exclude) > MAX_EXCLUDE_IDS:
        raise QueryError(f"'exclude_ids' has more than {MAX_EXCLUDE_IDS} entries")
    filters = body.get("filters")
    if filters is not None and not isinstance(filters, dict):
        raise QueryError("'filters' must be an object")
    return {"query": query.strip(), "k": k, "filters": filters, "exclude_ids": exclude}


async def health(request: web.Request) -> web.Response:
    searcher = request.app[SEARCHER_KEY]
    loop = asyncio.get_running_loop()
    try:
        info = await loop.run_in_executor(request.app[EXECUTOR_KEY], searcher.health)
    except IndexUnavailable as exc:
        return web.json_response({"status": "unavailable", "error": f"index unavailable: {exc}"}, status=503)
    return web.json_response(info)


async def search(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "request body is not valid JSON")
    try:
        params = parse_search_body(body)
        if request.app[LOG_QUERIES_KEY]:
            log.info("query=%r k=%d filters=%s", params["query"], params["k"], params["filters"])
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            request.app[EXECUTOR_KEY],
            lambda: request.app[SEARCHER_KEY].search(
                params["query"], params["k"], params["filters"], params["exclude_ids"]
            ),
        )
    except QueryError as exc:
        return _error(400, str(exc))
    return web.json_response(result)


async def course(request: web.Request) -> web.Response:
    course_id = request.match_info["id"]
    loop = asyncio.get_running_loop()
    record = await loop.run_in_executor(
        request.app[EXECUTOR_KEY], request.app[SEARCHER_KEY].get_course, course_id
    )
    if record is None:
        return _error(404, "unknown course id")
    return web.json_response(record)


def create_app(searcher: Searcher, *, workers: int = 2, log_queries: bool = False) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[error_middleware])
    app[SEARCHER_KEY] = searcher
    app[EXECUTOR_KEY] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kc-search")
    app[LOG_QUERIES_KEY] = log_queries
    app.router.add_get("/health", health)
    app.router.add_post("/search", search)
    app.router.add_get("/courses/{id}", course)

    async def _warm_up(app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        try:  # load model and index before the first request
            await loop.run_in_executor(app[EXECUTOR_KEY], searcher.health)
        except IndexUnavailable as exc:
            log.warning("starting without an index: %s", exc)

    async def _shutdown(app: web.Application) -> None:
        app[EXECUTOR_KEY].shutdown(wait=False, cancel_futures=True)

    app.on_startup.append(_warm_up)
    app.on_cleanup.append(_shutdown)
    return app


def serve(
    index_dir: str,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    log_queries: bool = False,
    workers: int = 2,
    searcher: Searcher | None = None,
) -> None:
    app = create_app(searcher or Searcher(index_dir), workers=workers, log_queries=log_queries)
    log.info("serving course search on http://%s:%d (index %s)", host, port, index_dir)
    web.run_app(app, host=host, port=port, access_log=None, print=None)
