"""The trained model (models/kc.tar.gz, built by `make train`) understands phrases it has never seen.

None of these phrases is in bot/data (checked below); they paraphrase the hold-out errors of the sparse-only
pipeline (bot challenge vs small talk, role vs skill gap, refinements, out of scope, membership costs).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "kc.tar.gz"

HELD_OUT = [
    ("Hallo, guten Morgen allerseits", "greet"),
    ("Ist das hier ein automatischer Chat?", "bot_challenge"),
    ("Kann ich bitte mit einem Mitarbeiter telefonieren?", "request_human"),
    ("Das ist in Ordnung für mich", "affirm"),
    ("Nein, das brauche ich wirklich nicht", "deny"),
    ("Ich arbeite als Bibliothekar in der Stadtbücherei", "inform_role"),
    ("Ich brauche dringend eine Schulung zum Vergaberecht", "inform_skill_gap"),
    ("Gibt es den Kurs auch als Online-Seminar?", "refine"),
    ("Lieber etwas für Einsteiger, bitte", "refine"),
    ("Wer gewinnt heute das Formel-1-Rennen?", "out_of_scope"),
    ("Was kostet uns ein einzelner Geschäftsanteil?", "ask_membership_cost"),
    ("Bitte löschen Sie alles, was Sie über mich wissen", "delete_my_data"),
    ("Danke, bis zum nächsten Mal!", "goodbye"),
    ("Ich bin Sachbearbeiter in der Bußgeldstelle", "inform_role"),
    ("Nur Kurse, die nichts kosten, bitte", "refine"),
    ("Wie wird das Wetter am Wochenende in München?", "out_of_scope"),
    ("Wie viele Anteile braucht ein Landkreis mit 900 Beschäftigten?", "ask_membership_cost"),
    ("Mach bitte alles neu, von Anfang an", "restart"),
    ("Zeig mir andere Themen als diese", "request_other_topics"),
    ("Erzähl mir mehr über den dritten Vorschlag", "ask_details"),
]
# Cross-validated intent accuracy is below 1 (README), so single phrases may miss; the share may not.
MIN_ACCURACY = 0.85
GIBBERISH = ["qwrtz plömpf xkcdv", "asdfjk lölkj"]

RETRIEVAL = [
    ("Wie viele Stimmen haben wir in der Generalversammlung?", "membership_faq/voting"),
    ("Wer hat dich eigentlich programmiert?", "chitchat/who_made_you"),
]


@pytest.fixture(scope="module")
def agent() -> Any:
    if not MODEL.is_file():
        pytest.fail(f"trained model missing: {MODEL} (run 'make train')", pytrace=False)
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def parse(agent: Any, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def test_phrases_are_not_training_examples() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(ROOT / "bot" / "data" / "nlu")).training_examples
    known = {m.get("text", "").casefold() for m in examples}
    for text, _ in HELD_OUT + RETRIEVAL:
        assert text.casefold() not in known, text


def test_held_out_phrases_get_their_intents(agent: Any) -> None:
    predicted = {text: parse(agent, text)["intent"]["name"] for text, _ in HELD_OUT}
    misses = {text: (intent, predicted[text]) for text, intent in HELD_OUT if predicted[text] != intent}
    assert 1 - len(misses) / len(HELD_OUT) >= MIN_ACCURACY, misses


@pytest.mark.parametrize("text", GIBBERISH)
def test_gibberish_gets_the_fallback(agent: Any, text: str) -> None:
    assert parse(agent, text)["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize(("text", "response_key"), RETRIEVAL)
def test_held_out_question_gets_its_answer(agent: Any, text: str, response_key: str) -> None:
    result = parse(agent, text)
    selected = result["response_selector"]["default"]["response"]["intent_response_key"]
    assert selected == response_key
