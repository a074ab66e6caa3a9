"""Privacy (DSGVO) against the real stack: no personal data in any log, services only on loopback, and the
operator's retention and access commands (bin/kc-admin) verified in the databases."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from widget_helpers import stored_events, widget_request

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
KC_ADMIN = ROOT / "bin" / "kc-admin"
SQLITE_HEADER = b"SQLite format 3\x00"

# Canaries: strings that appear in nothing but what these tests send.
CANARY_SENDER = f"kanarien-sender-{uuid.uuid4().hex[:8]}"
CANARY_SUBJECT = f"kanarien-sub-{uuid.uuid4().hex[:8]}"
CANARY_WORDS = ("Kanarienwaerterin", "Zaunkoenigamt", "Quastenflosserkartierung", "Schnabeltiergasse")
CANARY_COUNT = "654321"  # employees; 654.321 in German notation
CANARY_CONTACT = "kanarienvogel@example.org"


def rest(stack, sender: str, text: str) -> tuple[int, object]:
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def text_files(directory: Path) -> list[Path]:
    """Every file under ``directory`` except SQLite databases (storage, not logs)."""
    files = []
    for path in directory.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                    files.append(path)
    return files


def test_no_message_text_entity_count_or_user_id_in_any_log(stack, capfd):
    role, office, skill, street = CANARY_WORDS
    rest_turns = [
        f"Hallo, ich bin {role} im {office} und brauche Hilfe bei {skill}",
        "egal",
        f"Gibt es noch mehr zu {skill}?",
        f"Wir haben {CANARY_COUNT} Beschäftigte, was kostet die Mitgliedschaft?",
        f"Wie viele Anteile brauchen wir bei {CANARY_COUNT} Mitarbeitenden?",
        f'/inform_employee_count{{"employee_count": "{CANARY_COUNT}"}}',  # typed command: refused
        f"{role} " * 400,  # too long: refused
        f"\x00{office}\u202e",  # control characters
        f"Hello, I am the {role} and I need a course about {skill}",  # other language
        f"<script>alert('{street}')</script>",
        f"{{{{{street}}}}} {{name}} %s",
        "Gibt es einen jährlichen Mitgliedsbeitrag?",  # not in the sources: handoff offered
        "ja bitte",
        "ja",
        CANARY_CONTACT,
        "Bitte löschen Sie meine Daten",
    ]
    answered = 0
    for text in rest_turns:
        status, _ = rest(stack, CANARY_SENDER, text)
        answered += status == 200
    assert answered >= 12  # the conversation really ran (the refused turns are the exceptions)

    token = stack.issue_token(CANARY_SUBJECT)
    for text in (f"Ich bin {role} und suche was zu {skill}", "/delete_my_data", f"{street} " * 600):
        widget_request(
            stack.rasa_url, "webhook", {"message": text}, token, origin=stack.widget_origin,
            headers={"X-Real-IP": "203.0.113.77"},
        )
    assert stored_events(stack.tracker_db, CANARY_SUBJECT)  # the widget conversation was stored
    time.sleep(1)  # let the services flush their logs

    canaries = [*CANARY_WORDS, CANARY_COUNT, "654.321", CANARY_CONTACT, CANARY_SENDER, CANARY_SUBJECT]
    files = text_files(stack.config.var_dir)
    assert {"rasa.log", "actions.log", "search.log", "support.log"} <= {path.name for path in files}
    leaks = [
        f"{path.relative_to(stack.config.var_dir)}: {canary}"
        for path in files
        for canary in canaries
        if re.search(re.escape(canary), path.read_text(errors="replace"), re.IGNORECASE)
    ]
    captured = capfd.readouterr()
    leaks += [f"test output: {c}" for c in canaries if c.lower() in (captured.out + captured.err).lower()]
    assert leaks == []


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the listening TCP sockets on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address if width == 8 else address.lower())
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc prints them


@pytest.mark.parametrize("service", ["rasa", "actions", "search", "support", "web"])
def test_every_service_listens_on_loopback_only(stack, service):
    addresses = listening_addresses(stack.config.ports[service])
    assert addresses, f"nothing listens on the {service} port"
    assert addresses <= LOOPBACK, f"{service} listens on {addresses}"


# --- retention and access: bin/kc-admin against the stack's databases ---------------------------------


def admin(stack, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "KC_TRACKER_DB": str(stack.tracker_db),
        "KC_SUPPORT_DB": str(stack.support_db),
    }
    return subprocess.run([str(KC_ADMIN), *args], capture_output=True, text=True, timeout=120, env=env)


def backdate(stack, sender: str, days: float) -> None:
    with sqlite3.connect(stack.tracker_db) as connection:
        connection.execute(
            "UPDATE events SET timestamp = timestamp - ? WHERE sender_id = ?", (days * 86_400, sender)
        )


def test_purge_deletes_only_conversations_idle_longer_than_the_retention_period(stack):
    old, recent = f"purge-old-{uuid.uuid4().hex[:8]}", f"purge-new-{uuid.uuid4().hex[:8]}"
    for sender in (old, recent):
        assert rest(stack, sender, "Ich bin im Ordnungsamt und brauche Excel")[0] == 200
    backdate(stack, old, 31)
    backdate(stack, recent, 29)

    result = admin(stack, "purge")
    assert result.returncode == 0, result.stderr
    assert "idle for more than 30 day(s)" in result.stdout
    assert old not in result.stdout and "Ordnungsamt" not in result.stdout
    assert stored_events(stack.tracker_db, old) == []
    assert stored_events(stack.tracker_db, recent)

    status, body = rest(stack, old, "Hallo")  # a purged person simply starts a new conversation
    assert status == 200 and "KommunalCampus" in " ".join(m.get("text") or "" for m in body)


def test_purge_deletes_support_requests_closed_longer_than_their_period(stack):
    closed, still_open = f"purge-closed-{uuid.uuid4().hex[:8]}", f"purge-open-{uuid.uuid4().hex[:8]}"
    for sender in (closed, still_open):
        for text in ("Gibt es einen jährlichen Mitgliedsbeitrag?", "ja bitte", "ja", "überspringen"):
            rest(stack, sender, text)
    pseudonym = {sender: hashlib.sha256(sender.encode()).hexdigest() for sender in (closed, still_open)}
    query = "SELECT status FROM support_requests WHERE sender_hash = ?"
    with sqlite3.connect(stack.support_db) as connection:
        assert [connection.execute(query, (pseudonym[s],)).fetchall() for s in (closed, still_open)] == [
            [("open",)], [("open",)]
        ]
        connection.execute(  # closed long ago; the other one stays open (and old)
            "UPDATE support_requests SET status = 'closed', closed_at = '2020-01-01T00:00:00Z' "
            "WHERE sender_hash = ?", (pseudonym[closed],)
        )
        connection.execute(
            "UPDATE support_requests SET created_at = '2019-01-01T00:00:00Z' WHERE sender_hash = ?",
            (pseudonym[still_open],),
        )
    result = admin(stack, "purge", "--closed-days", "365")
    assert result.returncode == 0, result.stderr
    assert re.search(r"Deleted [1-9]\d* support request\(s\) closed more than 365 day", result.stdout)
    with sqlite3.connect(stack.support_db) as connection:
        assert connection.execute(query, (pseudonym[closed],)).fetchall() == []
        assert connection.execute(query, (pseudonym[still_open],)).fetchall() == [("open",)]


def test_export_writes_everything_stored_for_one_sender(stack, tmp_path):
    sender = f"export-{uuid.uuid4().hex[:8]}"
    for text in (
        "Ich bin Sachbearbeiterin im Standesamt und brauche Excel",
        "online",
        "Gibt es einen jährlichen Mitgliedsbeitrag?",
        "ja bitte",
        "ja",
        "standesamt@example.org",
    ):
        rest(stack, sender, text)
    out = tmp_path / "auskunft.json"
    result = admin(stack, "export", sender, "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    texts = [e["text"] for e in data["conversation"]["events"] if e["event"] == "user"]
    assert texts[:2] == ["Ich bin Sachbearbeiterin im Standesamt und brauche Excel", "online"]
    slot_values = [e["value"] for e in data["conversation"]["events"] if e["event"] == "slot"]
    assert "Standesamt" in json.dumps(slot_values, ensure_ascii=False)  # what the profile held
    [request] = data["support_requests"]["requests"]
    assert request["contact"] == "standesamt@example.org"
    assert len(data["conversation"]["events"]) == len(stored_events(stack.tracker_db, sender))


def test_a_deletion_request_while_the_handoff_asks_for_consent_deletes_and_stores_nothing(stack):
    """ "Bitte löschen Sie meine Daten" is no answer to the consent question: the "Ja" confirming the deletion
    must not become consent to store the conversation for the support team."""
    sender = f"handoff-delete-{uuid.uuid4().hex[:8]}"
    rest(stack, sender, "Gibt es einen jährlichen Mitgliedsbeitrag?")
    _, replies = rest(stack, sender, "ja bitte")
    assert "einverstanden" in json.dumps(replies, ensure_ascii=False)  # the consent question
    _, replies = rest(stack, sender, "Und noch etwas: Bitte löschen Sie meine Daten aus diesem Chat.")
    assert "wirklich löschen" in json.dumps(replies, ensure_ascii=False)
    _, replies = rest(stack, sender, "Ja, bitte löschen.")
    chat = json.dumps(replies, ensure_ascii=False)
    assert "gelöscht" in chat and "Vorgangsnummer" not in chat
    pseudonym = hashlib.sha256(sender.encode()).hexdigest()
    with sqlite3.connect(stack.support_db) as connection:
        query = "SELECT id FROM support_requests WHERE sender_hash = ?"
        assert connection.execute(query, (pseudonym,)).fetchall() == []
