"""HTTP client for the course search service (contract: the JSON Schemas in index/schemas/).

Every failure (connection refused, timeout, non-JSON or error status) becomes :class:`SearchUnavailable`, so
actions can apologise in German instead of leaking exception text into the chat.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_SEARCH_URL = "http://127.0.0.1:8765"
DEFAULT_TIMEOUT_S = 2.0


class SearchUnavailable(Exception):
    """The search service could not answer (down, too slow or broken answer)."""


class CourseNotFound(Exception):
    """The search service does not know the requested course id."""


def search_base_url() -> str:
    """Base URL of the search service from ``KC_SEARCH_URL`` (without trailing slash)."""
    return (os.environ.get("KC_SEARCH_URL") or DEFAULT_SEARCH_URL).rstrip("/")


def search_timeout() -> float:
    """Total request timeout in seconds (``KC_SEARCH_TIMEOUT``, default 2 s)."""
    raw = os.environ.get("KC_SEARCH_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        logger.warning("Ignoring invalid KC_SEARCH_TIMEOUT=%r, using %s s", raw, DEFAULT_TIMEOUT_S)
        return DEFAULT_TIMEOUT_S


async def _request(method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
    url = f"{search_base_url()}{path}"
    timeout = aiohttp.ClientTimeout(total=search_timeout())
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(method, url, json=payload) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError as exc:
                    raise SearchUnavailable(f"{method} {url}: invalid JSON (status {resp.status})") from exc
                return resp.status, body
    except asyncio.TimeoutError as exc:  # not a subclass of TimeoutError on Python 3.10
        raise SearchUnavailable(f"{method} {url}: timeout after {timeout.total} s") from exc
    except aiohttp.ClientError as exc:
        raise SearchUnavailable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc


async def search(
    query: str,
    k: int = 5,
    filters: dict[str, Any] | None = None,
    exclude_ids: list[str] | None = None,
) -> dict[str, Any]:
    """POST /search; returns the parsed answer with at least a ``results`` list."""
    payload: dict[str, Any] = {
        "query": query,
        "k": k,
        "filters": filters or {},
        "exclude_ids": exclude_ids or [],
    }
    status, body = await _request("POST", "/search", payload)
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("results"), list):
        error = body.get("error") if isinstance(body, dict) else body
        raise SearchUnavailable(f"POST /search answered {status}: {error!r}")
    return body


async def get_course(course_id: str) -> dict[str, Any]:
    """GET /courses/{id}; raises :class:`CourseNotFound` on 404."""
    status, body = await _request("GET", f"/courses/{course_id}")
    if status == 404:
        raise CourseNotFound(course_id)
    if status != 200 or not isinstance(body, dict):
        raise SearchUnavailable(f"GET /courses/{course_id} answered {status}: {body!r}")
    return body
