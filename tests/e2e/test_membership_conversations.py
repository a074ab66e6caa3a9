"""Membership questions and the handoff to the support team, over the REST channel of the real stack.

Figures come from the Landau decision paper (bot/membership/terms.yml): 1.000 € per share, tiers by employees.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e

ASK_COUNT = "Wie viele Beschäftigte hat Ihre Verwaltung?"
REF_RE = re.compile(r"KC-\d{4}-\d{6}")


def say(stack, sender: str, text: str) -> str:
    replies = stack.texts(sender, text)
    assert replies, f"no answer to {text!r}"
    return " ".join(" ".join(replies).split())


def support_api(stack, path: str, token: str | None = None, method: str = "GET") -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(stack.support_url + path, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("question", "stage", "total"),
    [
        ("Was kostet die Mitgliedschaft bei 670 Beschäftigten?", 4, "4.000 €"),
        ("Staffel für 1.850 Beschäftigte?", 5, "5.000 €"),
        ("Wie viele Anteile für 12 500 Beschäftigte?", 6, "6.000 €"),
        ("Was zahlt eine Gemeinde mit 45 Mitarbeitern?", 1, "1.000 €"),
        ("Was kostet das bei zweitausend Leuten?", 5, "5.000 €"),
    ],
)
def test_cost_question_with_the_count(stack, sender, question, stage, total):
    answer = say(stack, sender, question)
    assert f"Stufe {stage}" in answer, answer
    assert total in answer, answer
    assert "nach der Aufnahme" in answer


def test_two_step_cost_question(stack, sender):
    assert ASK_COUNT in say(stack, sender, "Was kostet die Mitgliedschaft?")
    answer = say(stack, sender, "ca. 300")
    assert "Bei 300 Beschäftigten gilt Stufe 3 (251–500 Beschäftigte)" in answer, answer
    assert "3 Geschäftsanteile zu je 1.000 €, zusammen 3.000 €" in answer


def test_price_of_one_share_is_answered_at_once(stack, sender):
    answer = say(stack, sender, "Was kostet ein Geschäftsanteil?")
    assert "Ein Geschäftsanteil kostet 1.000 €" in answer, answer
    assert ASK_COUNT not in answer
    answer = say(stack, sender, "Wir haben rund 670 Beschäftigte")  # the offer to calculate is taken up
    assert "4 Geschäftsanteile" in answer and "4.000 €" in answer, answer
    answer = say(stack, sender, "Und was kostet ein einzelner Anteil?")
    assert "1.000 €" in answer and ASK_COUNT not in answer, answer


def test_two_step_with_number_word_and_follow_up_boundaries(stack, sender):
    assert ASK_COUNT in say(stack, sender, "Wie viele Geschäftsanteile müssen wir zeichnen?")
    assert "Stufe 2 (51–250 Beschäftigte)" in say(stack, sender, "zweihundertfünfzig")
    answer = say(stack, sender, "Und bei 2001?")
    assert "Stufe 6" in answer and "6.000 €" in answer, answer
    answer = say(stack, sender, "Und bei 2000?")
    assert "Stufe 5" in answer and "5.000 €" in answer, answer


def test_counts_in_everyday_words_and_hypothetical_follow_ups(stack, sender):
    assert ASK_COUNT in say(stack, sender, "Mein Chef will wissen, was uns eine Mitgliedschaft kostet.")
    answer = say(stack, sender, "weiß ich grad nicht genau, so um die zwölfhundert Leute denke ich")
    assert "Stufe 5" in answer and "5.000 €" in answer, answer
    answer = say(stack, sender, "ok angenommen 2001, was dann?")
    assert "Stufe 6" in answer and "6.000 €" in answer, answer
    answer = say(stack, sender, "Und wenn wir bis dahin zwei Stellen abbauen, also 1.999?")
    assert "Stufe 5" in answer and "1.999 Beschäftigten" in answer, answer


def test_nonsense_counts_are_asked_again(stack, sender):
    assert ASK_COUNT in say(stack, sender, "Was kostet die Mitgliedschaft?")
    answer = say(stack, sender, "viele")
    assert "nicht als Anzahl erkannt" in answer and ASK_COUNT in answer, answer
    answer = say(stack, sender, "0")
    assert "mindestens 1" in answer and ASK_COUNT in answer, answer
    answer = say(stack, sender, "1.200")
    assert "Bei 1.200 Beschäftigten gilt Stufe 5" in answer, answer


def test_faq_question_while_the_calculator_waits(stack, sender):
    assert ASK_COUNT in say(stack, sender, "Was kostet der Beitritt?")
    answer = say(stack, sender, "Welche Vorteile haben Mitglieder?")
    assert "Kursprogramm" in answer and ASK_COUNT in answer, answer
    assert "Stufe 3" in say(stack, sender, "450")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wann müssen die Anteile eingezahlt werden?", "nach der Aufnahme"),
        ("Hat jedes Mitglied eine Stimme?", "eine Stimme"),
        ("Wer finanziert die Genossenschaft?", "Metropolregion Rhein-Neckar"),
        ("Welche Vorteile hat die Mitgliedschaft?", "Kursprogramm"),
        ("Wie werden wir Mitglied?", "beschließt"),
        ("Was ist die KommunalCampus eG?", "Weiterbildungsangebot"),
        ("Welche Pflichten haben Mitglieder?", "Ansprechperson"),
    ],
)
def test_membership_faq(stack, sender, question, expected):
    assert expected in say(stack, sender, question)


def test_unknown_topic_is_handed_over_with_consent(stack, sender):
    answer = say(stack, sender, "Wie lange ist die Kündigungsfrist?")
    assert "weiß ich leider nicht" in answer and "Kündigung" in answer, answer
    assert "Support-Team weitergeben" in answer
    assert "einverstanden" in say(stack, sender, "ja")
    assert "E-Mail-Adresse oder Telefonnummer" in say(stack, sender, "ja")
    answer = say(stack, sender, "überspringen")
    match = REF_RE.search(answer)
    assert match, answer

    status, _ = support_api(stack, f"/requests/{match.group()}")
    assert status == 401
    status, request = support_api(stack, f"/requests/{match.group()}", stack.support_token)
    assert status == 200
    assert request["question"] == "Wie lange ist die Kündigungsfrist?"
    assert request["status"] == "open" and request["contact"] is None
    assert any("Kündigungsfrist" in turn["text"] for turn in request["transcript"])
    status, closed = support_api(stack, f"/requests/{match.group()}/close", stack.support_token, "POST")
    assert status == 200 and closed["status"] == "closed"


def test_handoff_with_contact(stack, sender):
    assert "weiß ich leider nicht" in say(stack, sender, "Gibt es einen jährlichen Mitgliedsbeitrag?")
    say(stack, sender, "ja bitte")
    say(stack, sender, "ja")
    answer = say(stack, sender, "kaemmerei@example.org")
    match = REF_RE.search(answer)
    assert match, answer
    _, request = support_api(stack, f"/requests/{match.group()}", stack.support_token)
    assert request["contact"] == "kaemmerei@example.org"


def test_declined_offer_and_missing_consent_store_nothing(stack, sender):
    _, before = support_api(stack, "/requests?all=1", stack.support_token)
    answer = say(stack, sender, "Welche Kommunen sind schon Mitglied?")
    assert "weiß ich leider nicht" in answer
    assert "sonst noch helfen" in say(stack, sender, "nein danke")
    assert "einverstanden" in say(stack, sender, "Ich möchte mit einem Menschen sprechen")
    assert "nichts gespeichert" in say(stack, sender, "nein")
    _, after = support_api(stack, "/requests?all=1", stack.support_token)
    assert after["count"] == before["count"]
