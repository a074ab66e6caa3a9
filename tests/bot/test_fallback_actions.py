"""German two-stage fallback: clarification buttons and giving up with a handoff offer."""

from __future__ import annotations

import json

import pytest

from bot.actions.fallback import (
    STATUTE,
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
    affirmation_buttons,
    entity_payload,
)
from bot.actions.membership import load_terms

RANKING = [
    ("nlu_fallback", 0.5),
    ("out_of_scope", 0.2),
    ("inform_skill_gap", 0.15),
    ("chitchat", 0.05),
    ("ask_membership_cost", 0.05),
    ("help", 0.03),
    ("greet", 0.02),
]


def test_entity_payload_keeps_several_values_of_one_entity():
    payload = entity_payload(
        [
            {"entity": "skill", "value": "Excel"},
            {"entity": "skill", "value": "Word"},
            {"entity": "format", "value": "online"},
        ]
    )
    assert json.loads(payload) == {"skill": ["Excel", "Word"], "format": "online"}
    assert entity_payload([]) == ""


@pytest.mark.asyncio
async def test_ask_affirmation_offers_likely_meanings_in_german(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        text="Exel bla",
        intent="nlu_fallback",
        confidence=0.5,
        ranking=RANKING,
        entities=[{"entity": "skill", "value": "Excel"}],
    )
    assert await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain) == []
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_affirmation"
    titles = [b["title"] for b in message["buttons"]]
    # best three labelled intents, no fallback/out-of-scope/retrieval intents, then "none of these"
    assert titles == [
        "Ein Weiterbildungsthema nennen",
        "Kosten der Mitgliedschaft",
        "Was können Sie?",
        "Nichts davon",
    ]
    assert message["buttons"][0]["payload"] == '/inform_skill_gap{"skill": "Excel"}'
    assert message["buttons"][-1]["payload"] == "/out_of_scope"


@pytest.mark.asyncio
async def test_ask_affirmation_without_candidates_asks_to_rephrase(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        text="???", intent="nlu_fallback", ranking=[("nlu_fallback", 0.9), ("chitchat", 0.1)]
    )
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def test_labels_exist_for_every_intent_offered(domain):
    labels = domain["responses"]["utter_intent_labels"][0]["custom"]
    assert set(labels["intents"]) <= set(domain["intents"])
    ranking = {"intent_ranking": [{"name": n, "confidence": 0.1} for n in domain["intents"]], "entities": []}
    assert len(affirmation_buttons(ranking, labels)) == 4


@pytest.mark.asyncio
async def test_giving_up_in_the_two_stage_fallback_offers_a_person(make_tracker, dispatcher, domain):
    tracker = make_tracker(text="blorp", intent="nlu_fallback", active_loop="action_two_stage_fallback")
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert [e["event"] for e in events] == ["rewind", "followup"]
    assert events[1]["name"] == "utter_offer_handoff"


@pytest.mark.asyncio
async def test_a_no_to_the_delete_question_after_a_question_in_between_deletes_nothing(
    make_tracker, dispatcher, domain
):
    history = [
        {"event": "user", "text": "bitte meine daten löschen"},
        {"event": "action", "name": "action_delete_my_data"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "ähm warte, gehen dann auch meine kursanmeldungen verloren?"},
        {"event": "action", "name": "action_two_stage_fallback"},
        {"event": "action", "name": "action_listen"},
    ]
    text = "ok, dann lieber doch nicht löschen"
    tracker = make_tracker(
        text=text, intent="nlu_fallback", active_loop="action_two_stage_fallback", events=history
    )
    tracker.events.append({"event": "user", "text": text, "parse_data": tracker.latest_message})
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_delete_cancelled"]
    assert [e["event"] for e in events] == ["rewind"]
    # a yes at this point deletes nothing either: the fallback gives up as usual
    dispatcher.messages.clear()
    tracker.latest_message["text"] = "ja ok"
    await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


@pytest.mark.asyncio
async def test_core_fallback_outside_the_loop_only_apologises(make_tracker, dispatcher, domain):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker(intent="affirm"), domain)
    assert [e["event"] for e in events] == ["rewind"]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def _ambiguous_profile_message(make_tracker, active_loop=None):
    text = "Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft richtig laut"
    return make_tracker(
        text=text,
        intent="nlu_fallback",
        confidence=0.3,
        ranking=[("nlu_fallback", 0.3), ("inform_role", 0.45), ("inform_skill_gap", 0.41), ("help", 0.05)],
        entities=[{"entity": "role", "value": "Ordnungsamt", "start": 12, "end": 23}],
        active_loop=active_loop,
    )


@pytest.mark.asyncio
async def test_tie_between_two_profile_intents_is_taken_as_the_better_one(make_tracker, dispatcher, domain):
    events = await ActionDefaultAskAffirmation().run(
        dispatcher, _ambiguous_profile_message(make_tracker), domain
    )
    # No "Meinten Sie …?": both intents start the profile form, so the message is replayed as inform_role.
    assert dispatcher.messages == []
    assert [e["event"] for e in events] == ["rewind", "action", "user"]
    assert events[1]["name"] == "action_listen"
    replayed = events[2]
    assert replayed["text"].startswith("Ich bin beim Ordnungsamt")
    assert replayed["parse_data"]["intent"] == {"name": "inform_role", "confidence": 0.45}
    assert replayed["parse_data"]["entities"][0]["value"] == "Ordnungsamt"
    assert "nlu_fallback" not in [i["name"] for i in replayed["parse_data"]["intent_ranking"]]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(
            lambda make_tracker: make_tracker(
                text="Was kostet ein Kurs für uns?",
                intent="nlu_fallback",
                confidence=0.3,
                ranking=[
                    ("nlu_fallback", 0.3),
                    ("request_recommendations", 0.42),
                    ("ask_membership_cost", 0.4),
                ],
            ),
            id="tie with another kind of intent",
        ),
        pytest.param(
            lambda make_tracker: _ambiguous_profile_message(make_tracker, active_loop="membership_form"),
            id="tie between profile intents inside a running form",
        ),
    ],
)
@pytest.mark.asyncio
async def test_ties_that_still_ask(message, make_tracker, dispatcher, domain):
    assert await ActionDefaultAskAffirmation().run(dispatcher, message(make_tracker), domain) == []
    assert dispatcher.messages[0]["response"] == "utter_ask_affirmation"


def _reverted_to(events):
    """The intent the unclear message was re-read as (clarified_message), or None if the bot asked."""
    users = [e for e in events if e.get("event") == "user"]
    return users[0]["parse_data"]["intent"]["name"] if users else None


def _catalog(monkeypatch, no_good_match, matched):
    async def search(query, k=5, filters=None, exclude_ids=None):
        return {"no_good_match": no_good_match, "results": [{"id": "c1", "matched": matched}]}

    monkeypatch.setattr("bot.actions.search_client.search", search)


@pytest.mark.asyncio
async def test_an_unsure_message_that_states_a_need_is_taken_as_the_need(
    make_tracker, dispatcher, domain, monkeypatch
):
    _catalog(monkeypatch, False, ["Landesbauordnung"])  # unseen in training, known to the catalog
    tracker = make_tracker(
        text="Landesbauordnung Neuerungen, Abstandsflächen, Genehmigungsfreistellung",
        intent="nlu_fallback",
        confidence=1.0,
        ranking=[("nlu_fallback", 1.0), ("inform_skill_gap", 0.6), ("membership_faq", 0.14)],
    )
    assert (
        _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))
        == "inform_skill_gap"
    )
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_a_membership_intent_is_no_rival_for_a_need_that_says_nothing_of_the_cooperative(
    make_tracker, dispatcher, domain, monkeypatch
):
    _catalog(monkeypatch, False, ["Vollstreckung"])
    text = "Steueramt: Grundsteuer, Gewerbesteuer, und wie läuft die Vollstreckung, wenn keiner zahlt?"
    ranking = [("nlu_fallback", 0.3), ("inform_skill_gap", 0.43), ("membership_faq", 0.41)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert (
        _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))
        == "inform_skill_gap"
    )
    # with a word about the cooperative the tie stays a question
    text = "Grundsteuer und Gewerbesteuer: zahlt die Genossenschaft die auch?"
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) is None


@pytest.mark.asyncio
async def test_a_membership_faq_ranked_first_does_not_hide_a_need_without_a_word_of_the_cooperative(
    make_tracker, dispatcher, domain, monkeypatch
):
    _catalog(monkeypatch, False, ["Ergonomie"])
    text = "und was für die jungs wegen rücken heben und tragen die haben alle kreuzweh"
    ranking = [("nlu_fallback", 0.3), ("membership_faq", 0.28), ("inform_skill_gap", 0.23), ("greet", 0.05)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert (
        _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))
        == "inform_skill_gap"
    )
    # a word about money keeps the membership question in the running: the bot asks
    text = "und was zahlen die jungs wegen rücken heben und tragen"
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) is None


@pytest.mark.asyncio
async def test_after_offers_an_unsure_wish_for_more_is_taken(make_tracker, dispatcher, domain):
    ranking = [("nlu_fallback", 0.3), ("more_like", 0.27), ("refine", 0.12)]
    offers = {"last_results": [{"id": "c1", "title": "Sozialrecht kompakt"}]}
    tracker = make_tracker(
        slots=offers, text="Gibt's aach noch annere?", intent="nlu_fallback", confidence=0.3, ranking=ranking
    )
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == "more_like"
    # before any offer the same words are no wish for more: the bot asks
    tracker = make_tracker(
        text="Gibt's aach noch annere?", intent="nlu_fallback", confidence=0.3, ranking=ranking
    )
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) is None


@pytest.mark.parametrize("text", ["gibts no mehr?", "Noch weitere?"])
@pytest.mark.asyncio
async def test_after_offers_a_few_words_asking_for_more_are_taken_whatever_the_ranking(
    text, make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("chitchat", 0.25), ("deny", 0.2)]
    offers = {"last_results": [{"id": "c1", "title": "Professionell am Telefon"}]}
    tracker = make_tracker(slots=offers, text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == "more_like"
    # a topic after "mehr" is a new need, not more of the same
    tracker = make_tracker(
        slots=offers, text="mehr zu Excel?", intent="nlu_fallback", confidence=0.3, ranking=ranking
    )
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) != "more_like"


@pytest.mark.parametrize(
    ("text", "ranking"),
    [
        ("Am besten online, die sitzen eh alle am Rechner.", [("nlu_fallback", 0.3), ("inform_role", 0.25)]),
        (
            "Lieber was für Anfänger, ich bin ja ganz neu in der Rolle.",
            [("nlu_fallback", 0.3), ("refine", 0.2)],
        ),
        ("Danke! Was davon ist online?", [("nlu_fallback", 0.3), ("thank", 0.28), ("refine", 0.2)]),
        (
            "am liebsten online, dann können alle vom platz aus teilnehmen",
            [("nlu_fallback", 0.3), ("membership_faq", 0.36), ("refine", 0.32)],
        ),
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_wish_about_offers_for_a_known_need_refines_them(
    text, ranking, make_tracker, dispatcher, domain
):
    offers = {"last_results": [{"id": "c1", "title": "IT-Sicherheit kompakt"}], "skill_gaps": ["Phishing"]}
    tracker = make_tracker(slots=offers, text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == "refine"
    # without any need there is nothing to refine: the bot asks
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) != "refine"


@pytest.mark.asyncio
async def test_an_unsure_membership_question_with_a_wish_word_is_no_refinement(
    make_tracker, dispatcher, domain
):
    offers = {"last_results": [{"id": "c1", "title": "IT-Sicherheit kompakt"}], "skill_gaps": ["Phishing"]}
    ranking = [("nlu_fallback", 0.3), ("membership_faq", 0.29), ("refine", 0.2)]
    tracker = make_tracker(
        slots=offers, text="Ist die Mitgliedschaft kostenlos?", intent="nlu_fallback", ranking=ranking
    )
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) != "refine"


@pytest.mark.asyncio
async def test_a_tie_between_faq_and_cost_for_a_cost_question_is_the_cost_question(
    make_tracker, dispatcher, domain
):
    text = "Ich soll herausfinden, was eine Mitgliedschaft in der KommunalCampus eG kostet."
    ranking = [("nlu_fallback", 0.3), ("membership_faq", 0.42), ("ask_membership_cost", 0.4)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert (
        _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))
        == "ask_membership_cost"
    )
    # who pays for the cooperative is no cost question: the best guess, the FAQ, answers it
    tracker = make_tracker(
        text="Wer trägt die laufenden Kosten der Genossenschaft?", intent="nlu_fallback", ranking=ranking
    )
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert _reverted_to(events) == "membership_faq"


@pytest.mark.asyncio
async def test_gibberish_is_never_taken_as_a_need(make_tracker, dispatcher, domain, monkeypatch):
    _catalog(monkeypatch, False, [])  # neither the training data nor the catalog knows a word of it
    # The unknown-vocabulary verdict (confidence 1.0) above a ranking whose best real intent states a need.
    tracker = make_tracker(
        text="xqzv blorp fnord",
        intent="nlu_fallback",
        confidence=1.0,
        ranking=[("nlu_fallback", 1.0), ("inform_skill_gap", 0.6), ("greet", 0.1)],
    )
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert not any(e.get("event") == "user" for e in events)  # not re-read as a need
    assert [m["response"] for m in dispatcher.messages] in (["utter_ask_affirmation"], ["utter_ask_rephrase"])


COST = "ask_membership_cost"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aha. na guad, dann löschts bittschön ois, wos ihr über mi gspeichert habts", "delete_my_data"),
        ("Wie lösche ich eine E-Mail in Outlook?", None),
        ("Daten löschen nach DSGVO, gibt es da was?", None),
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_wish_to_delete_what_is_stored_is_the_delete_request(
    text, expected, make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("chitchat", 0.25), ("inform_skill_gap", 0.2)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert (_reverted_to(events) == "delete_my_data") is (expected == "delete_my_data")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("servus, mir san a gmoa mit fuchzig beschäftigten. wia vui anteile brauch ma?", COST),
        ("Wir sind 50 Leute im Team, gibt es Excel-Kurse?", None),
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_message_with_a_head_count_and_a_question_about_shares_is_the_calculation(
    text, expected, make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("inform_role", 0.28), ("chitchat", 0.2)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert _reverted_to(events) == expected


@pytest.mark.asyncio
async def test_a_question_during_the_delete_confirmation_is_never_a_yes(make_tracker, dispatcher, domain):
    # Re-read as "affirm" or as the delete request again, it would delete the person's data.
    asked = [
        {"event": "action", "name": "action_delete_my_data"},
        {"event": "action", "name": "action_listen"},
    ]
    text = "ähm warte, gehen dann auch meine kursanmeldungen verloren?"
    ranking = [("nlu_fallback", 0.3), ("delete_my_data", 0.29), ("affirm", 0.27)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking, events=asked)
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert _reverted_to(events) is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_delete_confirm"]


@pytest.mark.asyncio
async def test_an_unsure_faq_question_about_the_cooperative_gets_the_faq(make_tracker, dispatcher, domain):
    text = "Im Beitrittsformular steht, wir sollen eine Vertreterin benennen. Was macht die Person?"
    ranking = [("nlu_fallback", 0.3), ("membership_faq", 0.47), ("inform_skill_gap", 0.46)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert _reverted_to(events) == "membership_faq"
    # without a word about the cooperative the tie stays a question
    text = "Wen nehmen wir da am besten und was macht die Person?"
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) is None


@pytest.mark.parametrize(
    "text",
    [
        "Jo, kann ich da mal mit nem echten Menschen schnacken? Hab noch Fragen zur Anmeldung.",
        "Können Sie mich mit jemandem verbinden, der uns bei der Ratsvorlage unterstützt?",
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_wish_to_talk_to_a_person_is_the_hand_over(text, make_tracker, dispatcher, domain):
    ranking = [("nlu_fallback", 0.3), ("inform_skill_gap", 0.25), ("chitchat", 0.2)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert _reverted_to(events) == "request_human"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Keine Ahnung, irgendwas, was mir im Job hilft.", "skip"),
        ("ist eigentlich egal, was habt ihr denn so?", "skip"),
        # a topic in the answer is no "I don't know"
        ("Keine Ahnung, vielleicht was zu Excel?", None),
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_answer_to_the_topic_question_without_a_topic_is_the_skip_button(
    text, expected, make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("chitchat", 0.25), ("deny", 0.2)]
    tracker = make_tracker(
        text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking, active_loop="profile_form",
        slots={"requested_slot": "skill_gaps"},
    )
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == expected
    # asked for something else, the same words stay unclear
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) != "skip"


@pytest.mark.parametrize("text", ["Was koschtet denn des zwoite?", "wos is beim erstn genau dabei?"])
@pytest.mark.asyncio
async def test_after_offers_an_unsure_question_naming_an_offer_by_position_asks_its_details(
    text, make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("chitchat", 0.2), ("membership_faq", 0.15)]
    offers = {"last_results": [{"id": "c1", "title": "BIM kompakt"}, {"id": "c2", "title": "BIM vertieft"}]}
    tracker = make_tracker(slots=offers, text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == "ask_details"
    # before any offer there is nothing to ask details of: the bot asks
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) != "ask_details"


@pytest.mark.asyncio
async def test_an_unsure_question_about_yearly_money_gets_the_annual_fees_answer(
    make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("membership_faq", 0.44), ("membership_unknown", 0.39)]

    async def reread(text: str) -> str | None:
        tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
        return _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))

    assert await reread("un kommt dann jedes jahr noch was obbedruff?") == "membership_unknown"
    # course fees every year are no question about membership
    assert await reread("kostet der Kurs jedes Jahr was?") != "membership_unknown"


@pytest.mark.asyncio
async def test_an_unsure_question_whether_a_town_is_a_member_gets_the_unknown_answer(
    make_tracker, dispatcher, domain
):
    ranking = [("nlu_fallback", 0.3), ("membership_unknown", 0.47), ("membership_faq", 0.45)]

    async def reread(text: str) -> str | None:
        tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
        return _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))

    assert await reread("Ist die Stadt Weinheim eigentlich schon Mitglied bei Ihnen?") == (
        "membership_unknown"
    )
    # a question the FAQ answers is no unknown topic
    assert await reread("Wie wird man Mitglied bei Ihnen?") != "membership_unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # set 12 (CH-002, CH-011): the role alone got "Meinten Sie …?" instead of the topic question
        ("gleichstellungsbeauftragte hier", "inform_role"),
        ("friedhofsamt", "inform_role"),
        # a need next to the role, or no role at all, is not a role-only message
        ("wie geht es dir", None),
    ],
)
@pytest.mark.asyncio
async def test_an_unsure_message_that_only_names_the_role_is_the_role(
    text, expected, make_tracker, dispatcher, domain, monkeypatch
):
    # the unit's name need not be a word the NLU or the catalog knows ("friedhofsamt")
    monkeypatch.setattr("bot.actions.fallback.unknown_words", lambda parse_data: True)
    ranking = [("nlu_fallback", 0.3), ("chitchat", 0.25), ("out_of_scope", 0.2)]
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    assert _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)) == expected


@pytest.mark.asyncio
async def test_an_unsure_request_for_the_statute_gets_the_unknown_answer(make_tracker, dispatcher, domain):
    # set 12 (CC-003): the best guess was a course search, the person got "Meinten Sie …?"
    ranking = [("nlu_fallback", 0.3), ("request_recommendations", 0.28), ("membership_unknown", 0.25)]
    text = (
        "Verstehe. Dann wäre es außerordentlich hilfreich, wenn Sie mir den Satzungstext zukommen lassen "
        "könnten, damit unser Rechtsamt die Beschlussvorlage vorbereiten kann."
    )
    tracker = make_tracker(text=text, intent="nlu_fallback", confidence=0.3, ranking=ranking)
    reread = _reverted_to(await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain))
    assert reread == "membership_unknown"
    assert STATUTE in {topic.id for topic in load_terms().unknown_topics}
