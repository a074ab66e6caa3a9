"""Four changes to how Rasa 3.6.21 runs actions, found by the load and fault benchmarks (issue 14).

Rasa offers no extension point for these, so :func:`apply` replaces three methods before the server starts
(``python -m bot.server``); it refuses to run on another Rasa version, where the replaced code may differ.

1. **Compiled response schema.** Rasa checks every action server answer with ``jsonschema.validate``, which
   first re-checks the (large) event schema itself: 37 % of the Rasa process's time in a profiled
   conversation (bench/profile_turn.py --cprofile). The same validation now runs with a validator built
   once; an invalid answer is still refused with Rasa's message.
2. **Wait for a restarting action server.** When the action server cannot be reached (connection refused,
   e.g. while the supervisor restarts it), the call is retried once the port accepts connections again, for
   up to ``KC_ACTION_RETRY_SECONDS`` (default 20). Only refused connections are retried: the request never
   reached the server, so the action cannot run twice.
3. **Say so when an action cannot run.** Rasa logs the failure, drops the action's events and goes on, so
   the user often got no reply at all. Now the user reads ``utter_something_went_wrong`` (German, from the
   domain) and can simply try again.
4. **Never an empty turn.** If a turn ends without any bot message (whatever the cause), the same response
   is sent, so no channel ever shows nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
APOLOGY = "utter_something_went_wrong"
RETRY_ENV = "KC_ACTION_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 20.0

_applied = False


class PatchError(RuntimeError):
    """The patches do not fit the installed Rasa; the message is for the operator."""


def retry_seconds(env: dict[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(RETRY_ENV, "").strip()
    if not raw:
        return DEFAULT_RETRY_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise PatchError(f"{RETRY_ENV}={raw!r} is not a number of seconds.") from None
    if not 0 <= value <= 300:
        raise PatchError(f"{RETRY_ENV}={raw!r}: expected 0 to 300 seconds.")
    return value


def apply() -> None:
    """Install the four changes (once per process)."""
    global _applied
    import rasa

    if rasa.__version__ != RASA_VERSION:
        raise PatchError(
            f"bot/server/patches.py is written for Rasa {RASA_VERSION}, installed is {rasa.__version__}; "
            "check each patch against the new version before changing RASA_VERSION."
        )
    if _applied:
        return
    waiting = retry_seconds()
    _compile_action_response_schema()
    _retry_and_apologise(waiting)
    _no_empty_turns()
    _applied = True


# --- 1. compiled schema -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, without re-checking the schema on every call."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            "Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _compile_action_response_schema() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = lambda self, result: validate_action_result(result)


# --- 2. and 3. waiting for the action server, apologising ---------------------------------------------


def connection_refused(error: BaseException) -> bool:
    """True if the action call failed before any request reached the server (nothing can have run)."""
    import aiohttp

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, aiohttp.ClientConnectorError):
            return True
        current = current.__cause__ or current.__context__
    return False


async def wait_for_port(url: str, deadline: float) -> bool:
    """Poll until ``url``'s host and port accept a TCP connection, or until ``deadline`` (monotonic)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.25)
            continue
        writer.close()
        return True
    return False


async def apology(nlg: Any, tracker: Any, output_channel: Any) -> Any:
    """The BotUttered event of ``utter_something_went_wrong`` (German text from the domain)."""
    from rasa.core.actions.action import create_bot_utterance

    draft = await nlg.generate(APOLOGY, tracker, output_channel.name())
    if not draft:
        logger.error("The domain has no response %s; the user gets no explanation.", APOLOGY)
        return None
    draft["utter_action"] = APOLOGY
    return create_bot_utterance(draft)


def _retry_and_apologise(waiting: float) -> None:
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.exceptions import RasaException

    original_run = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        deadline = time.monotonic() + waiting
        while True:
            try:
                return await original_run(self, output_channel, nlg, tracker, domain)
            except ActionExecutionRejection:
                raise
            except RasaException as error:
                url = self.action_endpoint.url if self.action_endpoint else ""
                if connection_refused(error) and url and await wait_for_port(url, deadline):
                    logger.info("Action server reachable again; running action '%s' now.", self.name())
                    continue
                logger.warning(
                    "Custom action '%s' could not run (%s); the user is asked to try again.",
                    self.name(), type(error.__cause__ or error.__context__ or error).__name__,
                )
                said = await apology(nlg, tracker, output_channel)
                return [said] if said is not None else []

    RemoteAction.run = run


# --- 4. no empty turn ---------------------------------------------------------------------------------------


def _no_empty_turns() -> None:
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import BotUttered, UserUttered

    original_loop = MessageProcessor._run_prediction_loop

    async def run_prediction_loop(self: MessageProcessor, output_channel: Any, tracker: Any) -> None:
        await original_loop(self, output_channel, tracker)
        for event in reversed(tracker.events):
            if isinstance(event, BotUttered):
                return
            if isinstance(event, UserUttered):
                break
        logger.warning("A turn ended without any bot message; the user is asked to try again.")
        said = await apology(self.nlg, tracker, output_channel)
        if said is not None:
            tracker.update(said)
            await self.execute_side_effects([said], tracker, output_channel)

    MessageProcessor._run_prediction_loop = run_prediction_loop
