"""The real stack for end-to-end tests: search service, action server, Rasa server and support API as
processes on free ports, started by the same code as `make run` (scripts/stack.py).

Needs what `make test` prepares first: both runtimes, the trained model and the demo course index.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_module  # noqa: E402
from supervisor import Supervisor  # noqa: E402
from widget_browser import small_catalog  # noqa: E402

SUPPORT_TOKEN = "e2e-test-token"


class RunningStack:
    """What tests need from the running assistant."""

    def __init__(self, stack: stack_module.Stack) -> None:
        self._stack = stack
        self.config = stack.config
        self.search_url = stack.config.search_url
        self.rasa_url = stack.config.rasa_url
        self.support_url = stack.config.support_url
        self.web_url = stack.config.web_url
        self.support_token = SUPPORT_TOKEN
        self.tracker_db = stack.config.tracker_db
        self.support_db = stack.config.support_db
        self.widget_origin = stack.config.demo_origins[0]

    def issue_token(self, subject: str, **claims: object) -> str:
        """A token of the demo's development issuer (the key the Rasa server trusts); claims override."""
        assert self._stack.dev_issuer is not None, "the test stack runs the demo token issuer"
        return self._stack.dev_issuer.issue(subject, **claims)

    def say(self, sender: str, text: str) -> list[dict]:
        """Send one user message over the REST channel; the bot's replies (text, buttons, ...)."""
        return self._stack.say(sender, text)

    def texts(self, sender: str, text: str) -> list[str]:
        """Send one user message; only the texts of the bot's replies."""
        return [reply["text"] for reply in self.say(sender, text) if reply.get("text")]

    def restart_rasa(self) -> None:
        self._stack.restart_service("rasa")

    def stop_service(self, name: str) -> None:
        """Stop one service ("search", "actions", "rasa", "support") to test how the others cope."""
        self._stack.stop_service(name)

    def restart_service(self, name: str) -> None:
        self._stack.restart_service(name)

    def kill_service(self, name: str) -> None:
        """SIGKILL one service, as the kernel's OOM killer would."""
        self._stack.kill_service(name)

    def supervisor(self, echo: Callable[[str], None]) -> Supervisor[stack_module.Service]:
        """The supervisor `make run` runs (scripts/supervisor.py) over this stack; call its ``check()``."""
        return self._stack.supervisor(echo)

    @staticmethod
    def new_sender() -> str:
        return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    names = list(stack_module.DEFAULT_PORTS)
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in names},
        var_dir=tmp_path_factory.mktemp("stack-var"),
        support_token=SUPPORT_TOKEN,
    )
    running = stack_module.Stack(config, echo=lambda line: None)
    # Tests play several clients by sending X-Real-IP (honoured from loopback peers only, as behind a proxy).
    next(s for s in running.services if s.name == "rasa").env["KC_WIDGET_CLIENT_IP_HEADER"] = "X-Real-IP"
    try:
        running.start()
    except stack_module.StackError as error:
        pytest.fail(f"stack did not start: {error}", pytrace=False)
    yield RunningStack(running)
    running.stop()


@pytest.fixture
def sender(stack: RunningStack) -> str:
    return stack.new_sender()


@pytest.fixture(scope="module")
def widget_stack(tmp_path_factory: pytest.TempPathFactory):
    """A stack of its own for the browser tests: a small catalog with an offer that tries to inject HTML."""
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    work = tmp_path_factory.mktemp("widget-stack")
    catalog = small_catalog(ROOT / "index" / "data" / "catalog.jsonl", work / "catalog.jsonl")
    index_dir = work / "index"
    build = subprocess.run(
        [str(base.index_python), "-m", "index.cli", "build", "--catalog", str(catalog),
         "--out", str(index_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    if build.returncode != 0:
        pytest.fail(f"building the test index failed:\n{build.stdout}\n{build.stderr}", pytrace=False)
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=work / "var",
        index_dir=index_dir,
        support_token=None,
        demo=True,
    )
    running = stack_module.Stack(config, echo=lambda line: None)
    try:
        running.start()
    except stack_module.StackError as error:
        pytest.fail(f"stack did not start: {error}", pytrace=False)
    yield RunningStack(running)
    running.stop()
