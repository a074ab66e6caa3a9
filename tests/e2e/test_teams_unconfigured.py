"""A fresh machine has no Teams registration: the assistant must start anyway (credentials.yml registers the
Teams channel, which reads its KC_TEAMS_* settings itself) and the Teams webhook must say 503, not crash."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_without_teams_settings_the_stack_runs_and_the_teams_webhook_answers_503(stack, sender):
    if os.environ.get("KC_TEAMS_APP_ID"):
        pytest.skip("KC_TEAMS_APP_ID is set in this shell: the stack under test has Teams configured")
    assert stack.texts(sender, "Hallo")  # the REST channel works next to the unconfigured Teams channel
    status, body = post(f"{stack.rasa_url}/webhooks/teams/webhook", {"type": "message", "text": "Hallo"})
    assert (status, body) == (503, {"error": "Teams channel not configured"})
    log = (stack.config.log_dir / "rasa.log").read_text()
    assert "Teams channel not configured: set KC_TEAMS_APP_ID, KC_TEAMS_APP_PASSWORD" in log
