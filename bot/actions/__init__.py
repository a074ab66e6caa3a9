"""Action server package (``python -m rasa_sdk --actions bot.actions``).

One module per concern; the actions are thin wrappers over plain functions. User-facing German text lives in
the domain YAML. Actions either utter a response by name or, where one message is assembled from several
templates, render them with :func:`render_response` from the domain the action server receives with each call.
"""

from __future__ import annotations

import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def response_variants(domain: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Return the variants of response ``name`` from the domain dict (empty list if missing)."""
    variants = (domain.get("responses") or {}).get(name) or []
    if not variants:
        logger.warning("Response %s is missing from the domain", name)
    return list(variants)


def fill(template: str, **values: Any) -> str:
    """Fill ``{name}`` placeholders like Rasa does; unknown placeholders stay visible instead of raising."""

    def _sub(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _PLACEHOLDER.sub(_sub, template)


def render_response(domain: dict[str, Any], name: str, **values: Any) -> str:
    """Render the text of the first variant of response ``name`` (used to compose one message from parts)."""
    variants = response_variants(domain, name)
    if not variants:
        return ""
    return fill(str(variants[0].get("text", "")), **values)


def response_custom(domain: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``custom`` payload of the first variant of response ``name`` (label tables in the domain)."""
    variants = response_variants(domain, name)
    if not variants:
        return {}
    custom = variants[0].get("custom")
    return custom if isinstance(custom, dict) else {}
