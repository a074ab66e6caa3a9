"""Keeps a started stack running: a service that exits is started again, and `make run` says so.

Before issue 14 one crashed service (e.g. the Rasa server killed by the kernel) ended the whole assistant.
Now the supervisor logs the exit (service, exit code, log file) and starts the service again at once, and
logs again when it answers its health check. A service that keeps crashing (``MAX_RESTARTS`` exits within
``RESTART_WINDOW_S``) is not restarted forever: the stack stops with one line naming it and its log.

Standard library only, like stack.py.
"""

from __future__ import annotations

import time
import urllib.error
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

MAX_RESTARTS = 5
RESTART_WINDOW_S = 300.0


class SupervisedService(Protocol):
    name: str
    health_url: str

    @property
    def label(self) -> str: ...

    def exit_code(self) -> int | None: ...


S = TypeVar("S", bound=SupervisedService)


@dataclass
class Restarts:
    """Exit times of one service within the restart window, and when its current start began."""

    times: deque[float] = field(default_factory=deque)
    started: float | None = None


class Supervisor(Generic[S]):
    """Polls the services; ``launch`` starts one again, ``healthy`` asks its health URL."""

    def __init__(
        self,
        services: Callable[[], list[S]],
        launch: Callable[[S], None],
        healthy: Callable[[S], bool],
        echo: Callable[[str], None],
        on_restart: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.launch = launch
        self.healthy = healthy
        self.echo = echo
        self.on_restart = on_restart
        self.clock = clock
        self.restarts: dict[str, Restarts] = {}

    def check(self) -> None:
        """One round: restart what exited, report what came back. Raises CrashLoop for a service that
        keeps exiting."""
        for service in self.services():
            code = service.exit_code()
            state = self.restarts.setdefault(service.name, Restarts())
            if code is not None:
                self._restart(service, code, state)
            elif state.started is not None and self._answers(service):
                self.echo(f"  {service.label} is ready again ({self.clock() - state.started:.0f} s after "
                          "its restart).")
                state.started = None

    def _restart(self, service: S, code: int, state: Restarts) -> None:
        now = self.clock()
        while state.times and now - state.times[0] > RESTART_WINDOW_S:
            state.times.popleft()
        state.times.append(now)
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        if len(state.times) > MAX_RESTARTS:
            raise CrashLoop(
                f"The {service.label} {how} and has exited {len(state.times)} times in "
                f"{RESTART_WINDOW_S:.0f} s; not restarting it again. See its log."
            )
        self.echo(f"  {service.label} {how}; restarting it (restart {len(state.times)} within "
                  f"{RESTART_WINDOW_S:.0f} s).")
        self.launch(service)
        state.started = now
        self.on_restart()

    def _answers(self, service: S) -> bool:
        try:
            return self.healthy(service)
        except (urllib.error.URLError, OSError):
            return False


class CrashLoop(RuntimeError):
    """A service exits again and again; the message is one line for the operator."""
