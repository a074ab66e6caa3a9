"""Rate limits and the message length limit in front of the dialogue, with their German replies."""

from __future__ import annotations

import pytest

from bot.channels.guards import GuardConfigError, MessageGuards, Rate, load_replies


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guards(clock: Clock) -> MessageGuards:
    return MessageGuards(sender_rate=Rate(3, 60), client_rate=Rate(5, 60), max_chars=2000, clock=clock)


def test_fourth_message_within_a_minute_is_refused_in_german_with_the_wait(guards, clock):
    for _ in range(3):
        assert guards.check_message("anna", "Hallo") is None
        clock.now += 5
    refusal = guards.check_message("anna", "Hallo")
    assert refusal is not None and refusal.status == 429
    assert "zu viele Nachrichten" in refusal.reply
    assert refusal.retry_after == 45 and "45 Sekunden" in refusal.reply  # first hit 15 s ago


def test_sender_may_write_again_when_the_window_has_passed(guards, clock):
    for _ in range(3):
        guards.check_message("anna", "Hallo")
    clock.now += 61
    assert guards.check_message("anna", "Hallo") is None


def test_one_senders_flood_does_not_block_another_sender(guards):
    for _ in range(4):
        guards.check_message("anna", "Hallo")
    assert guards.check_message("ben", "Hallo") is None


def test_client_address_limit_counts_every_request(guards):
    for _ in range(5):
        assert guards.check_client("10.1.2.3") is None
    refusal = guards.check_client("10.1.2.3")
    assert refusal is not None and refusal.status == 429 and "zu viele Nachrichten" in refusal.reply
    assert guards.check_client("10.1.2.4") is None


def test_message_of_2000_characters_passes_and_2001_is_explained(guards):
    assert guards.check_message("anna", "a" * 2000) is None
    refusal = guards.check_message("anna", "a" * 2001)
    assert refusal is not None and refusal.status == 413
    assert "2001 Zeichen" in refusal.reply and "2000 Zeichen" in refusal.reply


def test_empty_message_is_explained(guards):
    refusal = guards.check_message("anna", "   \n")
    assert refusal is not None and refusal.status == 400 and "leer" in refusal.reply


def test_limits_come_from_the_environment():
    guards = MessageGuards.from_env(
        {"KC_RATE_LIMIT_SENDER": "1/60", "KC_RATE_LIMIT_CLIENT": "9/10", "KC_MAX_MESSAGE_CHARS": "10"}
    )
    assert guards.check_message("anna", "a" * 10) is None
    assert guards.check_message("anna", "a").status == 429
    assert guards.check_message("ben", "a" * 11).status == 413


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"KC_RATE_LIMIT_SENDER": "viele"}, "KC_RATE_LIMIT_SENDER"),
        ({"KC_RATE_LIMIT_CLIENT": "0/60"}, "KC_RATE_LIMIT_CLIENT"),
        ({"KC_MAX_MESSAGE_CHARS": "-5"}, "KC_MAX_MESSAGE_CHARS"),
    ],
)
def test_bad_limits_name_the_variable(env, variable):
    with pytest.raises(GuardConfigError, match=variable):
        MessageGuards.from_env(env)


def test_replies_file_without_a_text_is_an_operator_error(tmp_path):
    path = tmp_path / "replies.de.yml"
    path.write_text("too_many_messages: 'Bitte warten.'\n", encoding="utf-8")
    with pytest.raises(GuardConfigError, match="message_too_long"):
        load_replies(path)
