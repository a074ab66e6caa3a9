"""A message read as the answer to the assistant's last step: the plain function, the action that re-issues
the message with that intent, and the policy that predicts the action for every turn (bot/policies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.actions.fallback import ActionAnswerInContext, answer_in_context
from bot.policies.answer_in_context import ACTION_NAME, intent_in_context

ROOT = Path(__file__).resolve().parents[2]
COUNT = "inform_employee_count"

ASKED_TO_DELETE = [
    {"event": "user", "text": "Bitte löschen Sie meine Daten"},
    {"event": "action", "name": "action_delete_my_data"},
    {"event": "action", "name": "action_listen"},
]
CALCULATED = [
    {"event": "user", "text": "Unsere Verwaltung hat genau fünfhundert Beschäftigte."},
    {"event": "action", "name": "action_membership_cost"},
    {"event": "action", "name": "action_listen"},
]


def _parse(text: str, intent: str) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.8}, "entities": []}


def _answer(text: str, intent: str, before: list[dict]) -> str | None:
    events = [*before, {"event": "user", "text": text}]
    answer = answer_in_context(_parse(text, intent), events)
    return answer["name"] if answer else None


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # a yes in dialect taken for a course search (blind set 9, B-011)
        ("Jo, dat is so. Allens weg, bitte.", "inform_skill_gap", "affirm"),
        ("ja freilich, alles weg damit", "chitchat", "affirm"),
        ("Ja, bitte löschen.", "nlu_fallback", "affirm"),
        ("Nein, lieber doch nicht", "nlu_fallback", "deny"),
        ("Bitte nicht löschen", "request_recommendations", "deny"),
        ("nee, doch nicht, zeigen Sie mir lieber Excel-Kurse", "inform_skill_gap", "deny"),
        # a request that merely starts with "bitte"/"ok" is no yes: deleting needs a clear answer
        ("Bitte zeigen Sie mir Excel-Kurse", "inform_skill_gap", None),
        ("ok, zeig mir erstmal Kurse zu Datenschutz", "request_recommendations", None),
        ("Ja, aber vorher noch eine Frage zu den Kursen", "inform_skill_gap", None),
        # "ok" is a yes only where the classifier placed the message nowhere
        ("ok, weg damit", "out_of_scope", "affirm"),
        # a question instead of an answer: the confirmation question is asked again by the fallback
        ("ähm warte, gehen dann auch meine kursanmeldungen verloren?", "nlu_fallback", None),
        # intents that answer the question themselves stay as they are
        ("Ja", "affirm", None),
        ("Nein, ich möchte lieber mit einer Person sprechen", "request_human", None),
    ],
)
def test_an_answer_to_the_delete_question_is_read_as_yes_or_no(text, intent, expected):
    assert _answer(text, intent, ASKED_TO_DELETE) == expected
    # the same words without the question before them are no answer to it
    assert _answer(text, intent, []) is None


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("Und falls wir nächstes Jahr eine Person mehr haben, also 501?", "nlu_fallback", COUNT),
        ("ok angenommen 2001, was dann?", "out_of_scope", COUNT),
        # a count supposed ("auf 501") read as a course search
        ("ond wenn mir nächschts Johr auf 501 kommet, weil d'Kita no dazukommt?", "inform_skill_gap", COUNT),
        ("und bei 501 Leuten, gibt es da Kurse zu Führung?", "inform_skill_gap", None),
        # already the intent it has in context: left to the rules, never re-issued again
        ("und wenn wir auf 501 kommen?", COUNT, None),
        # a course search that names a team size stays a course search
        ("Wir sind 30 im Bürgeramt, was gibt es zu Excel?", "inform_skill_gap", None),
        ("Wie wird das Wetter morgen?", "out_of_scope", None),
        # a count supposed in words, read as a course search because of "Erzieherin"
        ("Nächstes Jahr stellen wir eine Erzieherin ein, dann wären wir einundfünfzig. Was wäre dann?",
         "inform_role", COUNT),
        # set 12 (CE-009): another municipality's count taken for the voting FAQ
        ("und unsere nachbarstadt hat 2001 beschäftigte, was wäre das bei denen?", "membership_faq", COUNT),
        # a FAQ question that gives a count but asks no tier keeps its answer
        ("Wir haben 2001 Beschäftigte, wie läuft der Beitritt ab?", "membership_faq", None),
        # set 10 (AE-006) after a retrain: the supposed count taken for a FAQ
        ("Und wenn wir bis dahin 52 sind? Da kommen noch zwei Stellen dazu.", "membership_faq", COUNT),
        ("Und wenn wir beitreten, wie läuft das ab?", "membership_faq", None),
        # set 13 (DC-008) after a retrain: a neighbour's count and "was es bedeuten würde" read as a need
        ("Da wir überlegen, den Beitritt gemeinsam mit einer kleinen Nachbargemeinde zu beschließen, die "
         "exakt 50 Beschäftigte hat, wüsste ich gern, was es für diese bedeuten würde.", "inform_skill_gap",
         COUNT),
    ],
)
def test_a_head_count_right_after_a_calculation_asks_for_its_tier(text, intent, expected):
    assert _answer(text, intent, CALCULATED) == expected
    assert _answer(text, intent, []) is None


MEMBERSHIP_ANSWERED = [
    {"event": "user", "text": "moin, kämmerei hier. wir haben ca. 1200 beschäftigte, was kostet das?"},
    {"event": "action", "name": "action_membership_cost"},
    {"event": "bot", "text": "Bei 1.200 …", "metadata": {"utter_action": "utter_membership_cost"}},
    {"event": "action", "name": "action_listen"},
]
OFFERS_LISTED = [
    {"event": "user", "text": "Ich brauche was zu Excel"},
    {"event": "action", "name": "action_recommend"},
    {"event": "bot", "text": "Diese 5 Angebote …", "metadata": {"utter_action": "utter_offers_intro"}},
    {"event": "action", "name": "action_listen"},
]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # set 13 (DH-009, DD-009, DE-003): follow-ups on money or leaving, taken for a need or not placed
        ("und laufend? ich muss das in den haushalt einplanen", "inform_skill_gap", "membership_unknown"),
        ("Ond sonscht? Kommet do no Koschte für Personal oder Betrieb auf ons zu?", "inform_skill_gap",
         "membership_unknown"),
        ("un muess mr des jedes Johr zahle oder nur eimol?", "nlu_fallback", "membership_unknown"),
        # set 14 (EC-003): "Das weiß ich nicht" without what is known (the financing)
        ("Un da kommt jeds Jahr nochmal was drauf oder wie? Irschendwo muss des Geld ja herkommn.",
         "nlu_fallback", "membership_unknown"),
        ("un wenn's uns nimmi gfallt, wie chömme mir wieder use?", "nlu_fallback", "membership_unknown"),
        # set 14 (EB-008): the price of the shares just counted, read as a course search
        ("also was kostet das dann", "request_recommendations", "ask_membership_cost"),
        # a course search after a membership answer stays one
        ("und gibt es Kurse zu laufenden Kosten im Haushalt?", "request_recommendations", None),
        ("Jetzt brauche ich noch was zu Excel", "inform_skill_gap", None),
    ],
)
def test_a_follow_up_on_money_or_leaving_after_a_membership_answer_is_about_it(text, intent, expected):
    assert _answer(text, intent, MEMBERSHIP_ANSWERED) == expected
    # after offers the same words are a course need ("laufende Kosten" is a subject in the Kämmerei)
    assert _answer(text, intent, OFFERS_LISTED) is None


OFFERS_SHOWN = [
    {"event": "user", "text": "Personenstandsrecht, ich bin ganz neu im Standesamt"},
    {"event": "action", "name": "action_recommend"},
    {"event": "action", "name": "action_listen"},
]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("Und ist das zweite davon online oder muss ich dafür reisen?", "refine", "ask_details"),
        ("wos is beim erstn genau dabei?", "refine", "ask_details"),
        # a wish about all offers, and a first time, are no question about one offer
        ("Gibt es das auch online?", "refine", None),
        ("Ich bin zum ersten Mal hier, gibt es was online?", "refine", None),
        # set 14 (EA-005): taken for a need, the question got new offers "wie gewünscht in Präsenz"
        ("Würden Sie mir zum ersten Vorschlag bitte noch genauere Informationen geben, insbesondere ob die "
         "Veranstaltung in Präsenz stattfindet und wie viele Stunden sie umfasst?", "inform_skill_gap",
         "ask_details"),
        # a need-like question about the first of something else stays a need
        ("Gibt es zum ersten Hilfe-Kurs auch was?", "inform_skill_gap", None),
    ],
)
def test_a_question_about_one_offer_just_shown_asks_its_details(text, intent, expected):
    assert _answer(text, intent, OFFERS_SHOWN) == expected
    assert _answer(text, intent, []) is None


def test_after_the_details_of_one_offer_a_question_about_another_asks_its_details():
    details_shown = [
        *OFFERS_SHOWN,
        {"event": "user", "text": "Was koschtet denn des zwoite?"},
        {"event": "action", "name": "action_show_details"},
        {"event": "action", "name": "action_listen"},
    ]
    assert _answer("Und ist das erste davon online?", "refine", details_shown) == "ask_details"
    # after something else (a membership answer) the same words are a wish again
    calculated = [*OFFERS_SHOWN, *CALCULATED]
    assert _answer("Und ist das erste davon online?", "refine", calculated) is None


def test_a_calculation_by_another_action_counts_as_the_last_step():
    # "… sind wir 2001, zählen die mit?" answered by the unknown-topic action with a calculation
    answered = [
        {"event": "user", "text": "mit den eigenbetrieben sind wir 2001, zählen die mit?"},
        {"event": "action", "name": "action_membership_unknown"},
        {"event": "bot", "text": "Bei 2.001 …", "metadata": {"utter_action": "utter_membership_cost"}},
        {"event": "action", "name": "action_listen"},
    ]
    assert _answer("ok angenommen 2001, was dann?", "out_of_scope", answered) == "inform_employee_count"


@pytest.mark.asyncio
async def test_the_action_re_issues_the_message_with_the_intent_in_context(make_tracker, dispatcher, domain):
    text = "Jo, dat is so. Allens weg, bitte."
    tracker = make_tracker(text=text, intent="inform_skill_gap", confidence=0.7, events=ASKED_TO_DELETE)
    tracker.events.append({"event": "user", "text": text, "parse_data": tracker.latest_message})
    events = await ActionAnswerInContext().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert [e["event"] for e in events] == ["rewind", "action", "user"]
    assert events[-1]["text"] == text
    assert events[-1]["parse_data"]["intent"]["name"] == "affirm"


@pytest.mark.asyncio
async def test_a_question_about_one_offer_sets_no_wish(make_tracker, dispatcher, domain):
    # set 14 (EA-005): "ob die Veranstaltung in Präsenz stattfindet" set the format wish for every later list
    text = "Würden Sie mir zum ersten Vorschlag genauere Informationen geben, ob sie in Präsenz stattfindet?"
    entities = [{"entity": "ordinal", "value": "1"}, {"entity": "format", "value": "praesenz"}]
    shown = [*OFFERS_SHOWN[:2], {"event": "bot", "text": "1. …"}, OFFERS_SHOWN[2]]
    tracker = make_tracker(text=text, intent="inform_skill_gap", entities=entities, events=shown)
    tracker.events.append({"event": "user", "text": text, "parse_data": tracker.latest_message})
    events = await ActionAnswerInContext().run(dispatcher, tracker, domain)
    parse_data = events[-1]["parse_data"]
    assert parse_data["intent"]["name"] == "ask_details"
    assert [e["entity"] for e in parse_data["entities"]] == ["ordinal"]


@pytest.mark.asyncio
async def test_the_action_asks_to_rephrase_when_nothing_is_in_context(make_tracker, dispatcher, domain):
    tracker = make_tracker(text="Jo, dat is so.", intent="inform_skill_gap")
    assert await ActionAnswerInContext().run(dispatcher, tracker, domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def _rasa_tracker(text: str, intent: str, asked: bool, answered_since: bool = False) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("Bitte löschen Sie meine Daten", intent={"name": "delete_my_data", "confidence": 0.9}),
        ActionExecuted("action_delete_my_data" if asked else "action_recommend"),
        BotUttered("Soll ich Ihre Angaben wirklich löschen?"),
        ActionExecuted("action_listen"),
        UserUttered(text, intent={"name": intent, "confidence": 0.7}),
        ActionExecuted("action_extract_slots"),
        SlotSet("role", None),
    ]
    if answered_since:
        events.append(ActionExecuted("action_recommend"))
    return DialogueStateTracker.from_events("policy-test", events)


def test_the_policy_finds_the_answer_on_rasa_events_and_only_before_the_first_action():
    text = "Jo, dat is so. Allens weg, bitte."
    found = intent_in_context(_rasa_tracker(text, "inform_skill_gap", asked=True))
    assert found is not None and found["name"] == "affirm"
    assert intent_in_context(_rasa_tracker(text, "inform_skill_gap", asked=False)) is None
    # once an action has answered the message the policy leaves the rest of the turn to the others
    assert intent_in_context(_rasa_tracker(text, "inform_skill_gap", asked=True, answered_since=True)) is None


def test_the_policy_action_is_in_the_domain():
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    assert ACTION_NAME in domain.action_names_or_texts
