"""Test helpers for the Teams channel: a client that posts activities like the Bot Connector, a Teams user."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_module  # noqa: E402
from fake_botframework import APP_ID, HASH_SALT, TENANT_ID, FakeBotFramework  # noqa: E402

from bot.channels.teams_activity import sender_id  # noqa: E402


class TeamsClient:
    """Talks to the Rasa server's Teams webhook the way the Bot Connector does."""

    def __init__(self, stack: stack_module.Stack, fake: FakeBotFramework) -> None:
        self.stack = stack
        self.fake = fake
        self.webhook = f"{stack.config.rasa_url}/webhooks/teams/webhook"
        self.tracker_db = stack.config.tracker_db
        self.log_path = stack.config.log_dir / "rasa.log"

    def post(self, activity: dict[str, Any], token: str | None = "valid") -> tuple[int, Any]:
        """POST an activity; ``token="valid"`` signs a correct token for it, None sends no header."""
        headers = {"Content-Type": "application/json"}
        if token == "valid":
            token = self.fake.token(service_url=activity.get("serviceUrl"))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.webhook, data=json.dumps(activity).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode(errors="replace")

    def say(self, person: Person, text: str | None = None, value: Any = None) -> list[dict[str, Any]]:
        """Send a message (or a card submit) as ``person``; the activities the bot posted in reply."""
        before = len(self.fake.activities(person.conversation_id))
        status, body = self.post(person.message(self.fake.service_url, text, value))
        assert status == 200, (status, body)
        return self.fake.activities(person.conversation_id)[before:]

    def events(self, sender: str) -> list[dict[str, Any]]:
        """Stored tracker events of one sender (empty if the tracker DB has none yet)."""
        if not self.tracker_db.exists():
            return []
        with sqlite3.connect(self.tracker_db) as db:
            try:
                rows = db.execute(
                    "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
                ).fetchall()
            except sqlite3.OperationalError:  # no events table yet
                return []
        return [json.loads(row[0]) for row in rows]

    def event_count(self) -> int:
        if not self.tracker_db.exists():
            return 0
        with sqlite3.connect(self.tracker_db) as db:
            try:
                return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            except sqlite3.OperationalError:
                return 0

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


class Person:
    """A Teams user in a personal chat with the bot (ids shaped like real ones, all made up)."""

    def __init__(self, tenant: str = TENANT_ID) -> None:
        self.tenant = tenant
        self.aad_object_id = str(uuid.uuid4())
        self.user_id = f"29:1{uuid.uuid4().hex}"
        self.conversation_id = f"a:1{uuid.uuid4().hex}"

    @property
    def sender(self) -> str:
        return sender_id(HASH_SALT, self.tenant, self.aad_object_id)

    def activity(self, service_url: str, kind: str = "message", **fields: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"1{int(time.time() * 1000)}{uuid.uuid4().hex[:6]}",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "serviceUrl": service_url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": "Test Person", "aadObjectId": self.aad_object_id},
            "conversation": {
                "id": self.conversation_id,
                "conversationType": "personal",
                "tenantId": self.tenant,
            },
            "recipient": {"id": f"28:{APP_ID}", "name": "KommunalCampus"},
            "channelData": {"tenant": {"id": self.tenant}},
            "locale": "de-DE",
            **fields,
        }

    def message(self, service_url: str, text: str | None = None, value: Any = None) -> dict[str, Any]:
        fields: dict[str, Any] = {"textFormat": "plain"}
        if text is not None:
            fields["text"] = text
        if value is not None:
            fields["value"] = value
        return self.activity(service_url, "message", **fields)
