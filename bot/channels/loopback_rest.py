"""Rasa's REST channel, answering only clients on this machine.

Registered in credentials.yml instead of ``rest:``, under the same name and path
(``POST /webhooks/rest/webhook``), so the terminal chat, the tests and the bench scripts keep working on
127.0.0.1. Any other peer gets 403, and so does a request that came through a reverse proxy (it carries a
``Forwarded``/``X-Forwarded-For``/``X-Real-IP`` header): the REST channel takes the sender id from the
client, so it must never be reachable from outside, even if a proxy forwards more than ``/webhooks/widget/``.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_local_request(peer_address: str, headers: Mapping[str, str]) -> bool:
    """True for a direct request from this machine (loopback peer, no proxy headers)."""
    lowered = {name.lower() for name in headers}
    return is_loopback(peer_address) and not any(name in lowered for name in FORWARDING_HEADERS)


class LoopbackRestInput(RestInput):
    """RestInput that refuses every client that is not on this machine with 403."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def local_clients_only(request: Request) -> HTTPResponse | None:
            if is_local_request(request.ip, request.headers):
                return None
            logger.warning("Refused a REST channel request that did not come directly from this machine")
            return response.json(
                {"error": "the REST channel answers only clients on this machine; use the widget channel"},
                status=403,
            )

        return blueprint
