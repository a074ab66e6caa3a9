"""action_delete_my_data against a real SQLite tracker store written by Rasa's own SQLTrackerStore."""

from __future__ import annotations

import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.actions.privacy import ActionDeleteMyData, asked_to_confirm, forget_sender

SECRET_ROLE = "Sachbearbeiterin im Bürgeramt Musterstadt"
SECRET_TEXT = "Ich bin Erika Mustermann und brauche Excel"


def _session(sender: str, text: str) -> list:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(
            text,
            {"name": "inform_skill_gap", "confidence": 0.9},
            [{"entity": "role", "value": SECRET_ROLE, "start": 0, "end": 5}],
        ),
        SlotSet("role", SECRET_ROLE),
        ActionExecuted("action_recommend"),
        BotUttered(f"Passt zu Ihrer Tätigkeit ({SECRET_ROLE})"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture(autouse=True)
def _support_db(tmp_path, monkeypatch):
    """Never touch a real support database from these tests."""
    monkeypatch.setenv("KC_SUPPORT_DB", str(tmp_path / "support.db"))


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "tracker.db"
    domain = Domain.from_yaml(
        "version: '3.1'\nslots:\n  role:\n    type: text\n    mappings:\n    - type: custom\n"
    )
    return db, domain, SQLTrackerStore(domain, dialect="sqlite", db=str(db))


def _rows(db, sender):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT type_name, data FROM events WHERE sender_id = ?", (sender,)).fetchall()


async def _save(store, domain, sender, events):
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


@pytest.mark.asyncio
async def test_personal_data_is_gone_and_rasa_does_not_write_it_back(store):
    db, domain, tracker_store = store
    await _save(tracker_store, domain, "alice", _session("alice", "Altes Gespräch: " + SECRET_TEXT))
    await _save(tracker_store, domain, "alice", _session("alice", SECRET_TEXT))
    await _save(tracker_store, domain, "bob", _session("bob", "Bob braucht Datenschutz"))
    rows_before = len(_rows(db, "alice"))
    # While handling a message Rasa holds the tracker as retrieved: the events since the last session start.
    tracker = await tracker_store.retrieve("alice")

    deleted, redacted = forget_sender(f"sqlite:///{db}", "alice")

    assert deleted == 8  # the whole earlier session
    assert redacted == rows_before - 8
    # What Rasa does right after the action: append the new events to the in-memory tracker and save.
    tracker.update(ActionExecuted("action_delete_my_data"))
    tracker.update(BotUttered("Erledigt"))
    await tracker_store.save(tracker)

    stored = " ".join(data for _, data in _rows(db, "alice"))
    assert SECRET_ROLE not in stored and "Mustermann" not in stored
    assert len(_rows(db, "alice")) == redacted + 2  # nothing re-inserted, only the two new events
    assert "Bob braucht Datenschutz" in " ".join(data for _, data in _rows(db, "bob"))
    reloaded = await tracker_store.retrieve("alice")
    assert reloaded is not None and reloaded.get_slot("role") is None


@pytest.mark.asyncio
async def test_action_resets_everything_and_confirms(store, monkeypatch, make_tracker, dispatcher, domain):
    db, store_domain, tracker_store = store
    await _save(tracker_store, store_domain, "test-user", _session("test-user", SECRET_TEXT))
    monkeypatch.setenv("KC_TRACKER_DB", str(db))
    asked = [
        {
            "event": "user",
            "text": "Löschen Sie meine Daten",
            "parse_data": {"intent": {"name": "delete_my_data"}},
        },
        {"event": "action", "name": "action_delete_my_data"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "ja, bitte", "parse_data": {"intent": {"name": "affirm"}}},
    ]
    tracker = make_tracker(slots={"role": SECRET_ROLE}, text="ja, bitte", intent="affirm", events=asked)

    events = await ActionDeleteMyData().run(dispatcher, tracker, domain)

    assert [e["event"] for e in events] == ["reset_slots", "restart", "followup"]
    assert [m["response"] for m in dispatcher.messages] == ["utter_data_deleted"]
    assert SECRET_ROLE not in " ".join(data for _, data in _rows(db, "test-user"))


@pytest.mark.asyncio
async def test_a_typed_request_is_confirmed_first_and_no_keeps_everything(
    store, monkeypatch, make_tracker, dispatcher, domain
):
    db, store_domain, tracker_store = store
    await _save(tracker_store, store_domain, "test-user", _session("test-user", SECRET_TEXT))
    monkeypatch.setenv("KC_TRACKER_DB", str(db))
    tracker = make_tracker(
        slots={"role": SECRET_ROLE}, text="Löschen Sie meine Daten", intent="delete_my_data"
    )
    assert await ActionDeleteMyData().run(dispatcher, tracker, domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_delete_confirm"]
    declined = [
        {
            "event": "user",
            "text": "Löschen Sie meine Daten",
            "parse_data": {"intent": {"name": "delete_my_data"}},
        },
        {"event": "action", "name": "action_delete_my_data"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "Hm, nee, doch nicht", "parse_data": {"intent": {"name": "deny"}}},
    ]
    tracker = make_tracker(text="Hm, nee, doch nicht", intent="deny", events=declined)
    assert await ActionDeleteMyData().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages[-1]["response"] == "utter_delete_cancelled"
    assert SECRET_TEXT in " ".join(data for _, data in _rows(db, "test-user"))


@pytest.mark.asyncio
async def test_without_sql_store_only_resets(tmp_path, monkeypatch, make_tracker, dispatcher, domain):
    monkeypatch.setenv("KC_TRACKER_DB", str(tmp_path / "missing.db"))
    tracker = make_tracker(text="/delete_my_data", intent="delete_my_data")  # the widget's confirmed button
    events = await ActionDeleteMyData().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events][:2] == ["reset_slots", "restart"]
    assert [m["response"] for m in dispatcher.messages] == ["utter_data_deleted"]
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.asyncio
async def test_broken_store_is_admitted_to_the_user(tmp_path, monkeypatch, make_tracker, dispatcher, domain):
    broken = tmp_path / "tracker.db"
    broken.write_text("this is not a database")
    monkeypatch.setenv("KC_TRACKER_DB", str(broken))
    tracker = make_tracker(text="/delete_my_data", intent="delete_my_data")
    events = await ActionDeleteMyData().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_delete_data_failed"]
    assert [e["event"] for e in events][:2] == ["reset_slots", "restart"]


@pytest.mark.asyncio
async def test_support_requests_of_this_conversation_are_deleted(
    tmp_path, monkeypatch, make_tracker, dispatcher, domain
):
    from bot.support.store import SupportStore

    monkeypatch.setenv("KC_TRACKER_DB", str(tmp_path / "missing.db"))
    monkeypatch.setenv("KC_SUPPORT_DB", str(tmp_path / "support.db"))
    support = SupportStore()
    support.create("Wie kündige ich?", sender_id="test-user")
    other = support.create("Andere Frage", sender_id="someone-else")
    await ActionDeleteMyData().run(
        dispatcher, make_tracker(text="/delete_my_data", intent="delete_my_data"), domain
    )
    assert [r.ref for r in support.list(include_closed=True)] == [other.ref]


def test_an_answer_re_read_by_the_two_stage_fallback_still_answers_the_confirmation():
    asked = {"event": "action", "name": "action_delete_my_data"}
    listen = {"event": "action", "name": "action_listen"}
    user = {"event": "user", "text": "Ja, bitte löschen."}
    fallback = [
        listen,
        user,
        {"event": "action", "name": "action_two_stage_fallback"},
        {"event": "user_utterance_reverted"},
        listen,
        user,
    ]
    assert asked_to_confirm([asked, *fallback])
    # a different question in between: the answer is not to the confirmation
    other = {"event": "action", "name": "action_recommend"}
    assert not asked_to_confirm([asked, listen, user, other, *fallback])


def test_an_answer_re_read_after_small_talk_still_answers_the_confirmation():
    # action_small_talk hands "ja freilich, alles weg damit" back as a yes: rewind, then the message again
    asked = {"event": "action", "name": "action_delete_my_data"}
    listen = {"event": "action", "name": "action_listen"}
    user = {"event": "user", "text": "ja freilich, alles weg damit"}
    small_talk = {"event": "action", "name": "action_small_talk"}
    events = [asked, listen, user, small_talk, {"event": "rewind"}, listen, user]
    assert asked_to_confirm(events)
    assert not asked_to_confirm([asked, listen, user, small_talk, listen, user])
