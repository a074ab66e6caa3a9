"""What the loopback REST channel accepts as a request, and the English message for what it does not."""

from __future__ import annotations

import json

import pytest

from bot.channels.loopback_rest import MAX_BODY_BYTES, BadRequest, parse_body

JSON = "application/json"


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_sender_and_a_message_are_taken_as_they_are():
    assert parse_body("application/json; charset=utf-8", body({"sender": "test-1", "message": "Hallo"})) == (
        "test-1",
        "Hallo",
    )


@pytest.mark.parametrize(
    ("content_type", "raw", "status", "message"),
    [
        ("text/plain", body({"sender": "a", "message": "Hallo"}), 415, "Content-Type: application/json"),
        ("", body({"sender": "a", "message": "Hallo"}), 415, "Content-Type"),
        (JSON, b"{not json", 400, "not valid JSON"),
        (JSON, b"\xff\xfe", 400, "not valid JSON"),
        (JSON, body(["sender", "message"]), 400, "JSON object"),
        (JSON, body({"sender": "a"}), 400, "'message' must be a string"),
        (JSON, body({"sender": "a", "message": 42}), 400, "'message' must be a string"),
        (JSON, body({"message": "Hallo"}), 400, "'sender'"),
        (JSON, body({"sender": "../../etc/passwd", "message": "Hallo"}), 400, "'sender'"),
        (JSON, body({"sender": "anna\nbob", "message": "Hallo"}), 400, "'sender'"),
        (JSON, body({"sender": "a" * 129, "message": "Hallo"}), 400, "'sender'"),
        (JSON, body({"sender": "a", "message": "x" * MAX_BODY_BYTES}), 413, "too large"),
    ],
)
def test_malformed_requests_are_named(content_type, raw, status, message):
    with pytest.raises(BadRequest) as error:
        parse_body(content_type, raw)
    assert error.value.status == status
    assert message in error.value.message
