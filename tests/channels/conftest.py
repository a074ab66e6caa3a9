"""Fixtures for the Teams channel tests: the fake Microsoft side and the real stack pointed at it.

The stack is started by the same code as `make run` (scripts/stack.py) on free ports, with the Rasa server's
Teams channel configured (KC_TEAMS_*) to use the in-process fake Bot Framework of fake_botframework.py.
Needs what `make test` prepares first: both runtimes, the trained model and the demo course index.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_botframework import FakeBotFramework  # noqa: E402
from teams_helpers import Person, TeamsClient, stack_module  # noqa: E402


@pytest.fixture(scope="session")
def fake_botframework():
    fake = FakeBotFramework()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def teams(tmp_path_factory: pytest.TempPathFactory, fake_botframework: FakeBotFramework):
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=tmp_path_factory.mktemp("teams-var"),
        support_token=None,
        # No widget settings and no demo page: the widget channel must let Rasa start and answer 503.
        demo=False,
    )
    running = stack_module.Stack(config, echo=lambda line: None)
    rasa = next(service for service in running.services if service.name == "rasa")
    rasa.env.update(fake_botframework.env())
    try:
        running.start()
    except stack_module.StackError as error:
        pytest.fail(f"stack did not start: {error}", pytrace=False)
    yield TeamsClient(running, fake_botframework)
    running.stop()


@pytest.fixture
def person() -> Person:
    return Person()
