"""validate_profile_form / clear / pause / resume actions on hand-built trackers.

What the form must do (issue #13): take every need a message states, in the person's words, tagged or
not; keep the needs stated before; ask only when there is nothing to search for, or for the role after the
role button; understand answers in any natural form; take a format only when the person asks for it.
(The need extraction itself: test_needs.py; parsing: test_parsing.py.)
"""

from __future__ import annotations

import pytest

from bot.actions.parsing import ANY, SKIPPED
from bot.actions.profile import (
    ActionClearSkillGaps,
    ActionPauseProfile,
    ActionResumeProfile,
    ValidateProfileForm,
)


def _slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _message(make_tracker, text, intent, entities=(), slots=None, set_now=None, requested=None):
    """Tracker as the form sees it: earlier slots, then the user message, then what its entities filled."""
    slots = dict(slots or {})
    earlier = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
    entities = [dict(e) for e in entities]
    parse_data = {"text": text, "intent": {"name": intent}, "entities": entities}
    events = earlier + [{"event": "action", "name": "action_listen"}]
    events += [{"event": "user", "text": text, "parse_data": parse_data}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (set_now or {}).items()]
    current = {**slots, **(set_now or {}), "requested_slot": requested}
    tracker = make_tracker(
        slots=current, text=text, intent=intent, entities=entities, active_loop="profile_form"
    )
    tracker.events = events
    return tracker


def _entity(text, name, value, confidence=0.9):
    start = text.index(value)
    return {
        "entity": name,
        "value": value,
        "start": start,
        "end": start + len(value),
        "confidence_entity": confidence,
    }


async def _run(tracker, dispatcher, domain):
    events = await ValidateProfileForm().run(dispatcher, tracker, domain)
    return _slot_events(events)


@pytest.mark.asyncio
async def test_role_topics_and_format_said_at_once_give_offers_without_a_question(
    make_tracker, dispatcher, domain
):
    text = "Ich bin Sachbearbeiterin im Bürgeramt und brauche was zu Excel und Datenschutz, gern online"
    entities = [_entity(text, "role", "Sachbearbeiterin im Bürgeramt"), _entity(text, "format", "online")]
    tracker = _message(
        make_tracker,
        text,
        "inform_skill_gap",
        entities,
        set_now={"role": "Sachbearbeiterin im Bürgeramt", "format_pref": "online"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Sachbearbeiterin im Bürgeramt"
    assert slots["skill_gaps"] == ["Excel", "Datenschutz"]
    assert slots["format_pref"] == "online"
    assert slots["requested_slot"] is None  # nothing to ask: offers come next
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_a_need_without_any_tagged_entity_is_taken_from_the_words(make_tracker, dispatcher, domain):
    text = (
        "Ab nächstem Jahr kommen fast nur noch XRechnungen rein und ich versteh das Format nicht. "
        "Gibt's da was?"
    )
    slots = await _run(_message(make_tracker, text, "inform_skill_gap"), dispatcher, domain)
    assert slots["skill_gaps"] == [
        "Ab nächstem Jahr kommen fast nur noch XRechnungen rein und ich versteh das Format nicht"
    ]
    assert "format_pref" not in slots  # "das Format" asks for no format
    assert slots["requested_slot"] is None


@pytest.mark.asyncio
async def test_a_need_before_the_role_survives_the_role(make_tracker, dispatcher, domain):
    first = "Welche Kurse gibt es zu künstlicher Intelligenz für die Verwaltung?"
    slots = await _run(_message(make_tracker, first, "request_recommendations"), dispatcher, domain)
    assert slots["skill_gaps"] == ["künstlicher Intelligenz"]
    text = "Ich bin übrigens im Hauptamt"
    tracker = _message(
        make_tracker,
        text,
        "inform_role",
        [_entity(text, "role", "Hauptamt")],
        slots={"skill_gaps": slots["skill_gaps"]},
        set_now={"role": "Hauptamt"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert "skill_gaps" not in slots  # the need stays as it was
    assert slots["role"] == "Hauptamt"
    assert slots["requested_slot"] is None


@pytest.mark.parametrize(
    ("text", "role", "needs"),
    [
        # a told problem with a trouble word needs fewer words than a description of the job
        (
            "Ich bin im Ordnungsamt im Außendienst, die Leute werden bei Kontrollen immer aggressiver.",
            "Ordnungsamt",
            ["die Leute werden bei Kontrollen immer aggressiver"],
        ),
        ("Ich arbeite im Bauamt und bin seit zwei Jahren dabei.", "Bauamt", None),
        ("Ich bin im Sozialamt und kümmere mich um Wohngeldanträge.", "Sozialamt", None),
    ],
)
@pytest.mark.asyncio
async def test_a_told_problem_next_to_the_role_is_a_need(text, role, needs, make_tracker, dispatcher, domain):
    tracker = _message(
        make_tracker, text, "inform_role", [_entity(text, "role", role)], set_now={"role": role}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots.get("skill_gaps") == needs


@pytest.mark.parametrize(
    ("text", "role", "needs"),
    [
        # terse keywords around a bare role word are topics (set 14 EB-002 got "Zu welchem Thema …?")
        ("verkehrssicherung arbeitsstellen bauhof", "bauhof", ["verkehrssicherung arbeitsstellen"]),
        # a role stated in words: the words next to it describe the role
        ("Ich bin in der Kämmerei, Haushaltsplanung", "Kämmerei", None),
        # how long someone has been there is no topic
        ("Bürgeramt Sachbearbeitung seit 2 Wochen neu", "Bürgeramt", None),
    ],
)
@pytest.mark.asyncio
async def test_keywords_next_to_a_bare_role_word_are_needs(
    text, role, needs, make_tracker, dispatcher, domain
):
    tracker = _message(
        make_tracker, text, "inform_role", [_entity(text, "role", role)], set_now={"role": role}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots.get("skill_gaps") == needs


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("max 300 euro pro person sonst gibt der kämmerer nix frei", "kämmerer"),
        ("Unser Bürgermeister will, dass alle das machen", "Bürgermeister"),
    ],
)
@pytest.mark.asyncio
async def test_somebody_elses_role_does_not_replace_the_persons_own(
    text, other, make_tracker, dispatcher, domain
):
    tracker = _message(
        make_tracker,
        text,
        "refine",
        [_entity(text, "role", other)],
        slots={"role": "Bauhof", "skill_gaps": ["Verkehrssicherung"]},
        set_now={"role": other},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Bauhof"


@pytest.mark.asyncio
async def test_ones_own_role_after_an_article_is_still_taken(make_tracker, dispatcher, domain):
    text = "Ich bin die neue Kämmerin und brauche was zur Doppik"
    tracker = _message(
        make_tracker, text, "inform_role", [_entity(text, "role", "Kämmerin")], set_now={"role": "Kämmerin"}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Kämmerin"


@pytest.mark.asyncio
async def test_a_further_need_is_added_and_searched_first(make_tracker, dispatcher, domain):
    text = "Und zusätzlich noch was dazu, wie ich Bescheide verständlicher formuliere"
    tracker = _message(make_tracker, text, "inform_skill_gap", slots={"skill_gaps": ["Aufenthaltsrecht"]})
    slots = await _run(tracker, dispatcher, domain)
    assert slots["skill_gaps"] == ["wie ich Bescheide verständlicher formuliere", "Aufenthaltsrecht"]


@pytest.mark.asyncio
async def test_a_refinement_keeps_the_needs_and_names_no_new_one(make_tracker, dispatcher, domain):
    text = "Wir sind nur zu viert, gerne in Präsenz"
    tracker = _message(
        make_tracker,
        text,
        "refine",
        [_entity(text, "format", "Präsenz")],
        slots={"skill_gaps": ["Deeskalation"]},
        set_now={"format_pref": "praesenz"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert "skill_gaps" not in slots
    assert slots["format_pref"] == "praesenz"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "tagged", "expected"),
    [
        ("Blended wäre ideal, also teils online, teils vor Ort.", "online", "blended"),
        ("Präsenz, online ist nix für mich.", "online", "praesenz"),
        ("Hm, ist mir egal ob online oder nicht. Gibt's noch andere?", "online", ANY),
        ("lieber online, wenn's geht", None, "online"),
    ],
)
async def test_format_answers_in_natural_form(make_tracker, dispatcher, domain, text, tagged, expected):
    entities = [_entity(text, "format", tagged)] if tagged else []
    set_now = {"format_pref": tagged} if tagged else {}
    tracker = _message(
        make_tracker, text, "refine", entities, slots={"skill_gaps": ["Excel"]}, set_now=set_now
    )
    assert (await _run(tracker, dispatcher, domain))["format_pref"] == expected
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_a_format_word_inside_the_topic_is_no_wish(make_tracker, dispatcher, domain):
    text = "Welche Kurse gibt es zum OZG? Unser Bürgeramt soll mehr Leistungen online anbieten."
    tracker = _message(
        make_tracker,
        text,
        "inform_skill_gap",
        [_entity(text, "format", "online")],
        slots={"format_pref": None},
        set_now={"format_pref": "online"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["format_pref"] is None  # back to what it was: no wish invented
    assert slots["skill_gaps"] == ["OZG"]


@pytest.mark.asyncio
async def test_an_untagged_level_in_a_short_answer_is_taken(make_tracker, dispatcher, domain):
    tracker = _message(
        make_tracker, "Expertenlevel bitte", "inform_skill_gap", slots={"skill_gaps": ["Cloud"]}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["level_pref"] == "experte"
    assert "skill_gaps" not in slots


@pytest.mark.asyncio
async def test_a_tagged_hint_is_read_in_its_sentence(make_tracker, dispatcher, domain):
    text = "Bitte bei beiden Themen nur Angebote für Fortgeschrittene, die Grundlagen haben wir."
    tracker = _message(
        make_tracker, text, "refine",
        entities=[_entity(text, "level", "Grundlagen")],
        slots={"skill_gaps": ["Vergaberecht", "Informationssicherheit"]},
        set_now={"level_pref": "einsteiger"},  # the synonym of the tagged "Grundlagen"
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["level_pref"] == "fortgeschritten"


@pytest.mark.asyncio
async def test_a_tagged_level_the_sentence_does_not_say_is_dropped(make_tracker, dispatcher, domain):
    text = "Ich möchte mein Wissen auffrischen, vor allem den Aufbau von Bescheiden."
    tracker = _message(
        make_tracker, text, "inform_skill_gap",
        entities=[_entity(text, "level", "Aufbau")], set_now={"level_pref": "fortgeschritten"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["level_pref"] is None  # as before the message: no wish invented


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Excel Grundlagen", "inform_skill_gap"),
        ("Aufenthaltsrecht Grundlagen, bin neu in der ABH", "inform_role"),
    ],
)
async def test_basics_named_with_the_topic_are_the_topic_not_a_level_wish(
    make_tracker, dispatcher, domain, text, intent
):
    # "Excel Grundlagen" names the course the person has in mind; "für Einsteiger*innen wie gewünscht" in the
    # reasons would be a wish nobody said.
    tracker = _message(
        make_tracker, text, intent,
        entities=[_entity(text, "level", "Grundlagen")], set_now={"level_pref": "einsteiger"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["level_pref"] is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "tagged", "slot_now"),
    [
        # A tagged hint in a long message counts (the slot took the synonym of "Grundlagen").
        (
            "Gibt es Kurse, wo man zumindest ein paar Grundlagen in Gebärdensprache lernt?",
            "Grundlagen",
            "einsteiger",
        ),
        # A tagged part of a level phrase is read in its sentence.
        (
            "Ich würde gerne lernen, mit QGIS zu arbeiten. Ich habe bisher keinerlei Vorkenntnisse.",
            "Vorkenntnisse",
            "Vorkenntnisse",
        ),
    ],
)
async def test_a_level_the_sentence_states_is_taken(make_tracker, dispatcher, domain, text, tagged, slot_now):
    tracker = _message(
        make_tracker, text, "inform_skill_gap",
        entities=[_entity(text, "level", tagged)], set_now={"level_pref": slot_now},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["level_pref"] == "einsteiger"


@pytest.mark.asyncio
async def test_a_number_limit_wins_over_a_tagged_short(make_tracker, dispatcher, domain):
    text = "Gerne etwas Kurzes, maximal 4 Stunden."
    tracker = _message(
        make_tracker, text, "refine", entities=[_entity(text, "duration", "Kurzes")],
        slots={"skill_gaps": ["Leichte Sprache"]}, set_now={"max_duration_hours": "Kurzes"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["max_duration_hours"] == "maximal 4 stunden"


@pytest.mark.asyncio
async def test_drawing_the_short_straw_is_no_wish_for_a_short_course(make_tracker, dispatcher, domain):
    text = "Ich muss mit Bauträgern verhandeln und zieh dabei meistens den Kürzeren."
    tracker = _message(
        make_tracker, text, "inform_skill_gap", entities=[_entity(text, "duration", "Kürzeren")],
        set_now={"max_duration_hours": "Kürzeren"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["max_duration_hours"] is None  # as before the message: no wish invented


@pytest.mark.asyncio
async def test_problem_told_next_to_the_role_is_the_need(make_tracker, dispatcher, domain):
    text = "Ich bin beim Ordnungsamt, die Leute werden bei Kontrollen oft richtig laut"
    tracker = _message(
        make_tracker,
        text,
        "inform_role",
        [_entity(text, "role", "Ordnungsamt")],
        set_now={"role": "Ordnungsamt"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Ordnungsamt"
    assert slots["skill_gaps"] == ["die Leute werden bei Kontrollen oft richtig laut"]


@pytest.mark.asyncio
async def test_untagged_topic_and_untagged_role_are_taken_from_the_sentence(make_tracker, dispatcher, domain):
    text = "Ich arbeite im Standesamt und brauche Hilfe bei Exel"
    slots = await _run(_message(make_tracker, text, "inform_skill_gap"), dispatcher, domain)
    assert slots["skill_gaps"] == ["Exel"]
    assert slots["role"] == "Standesamt"

    text = (
        "Wir müssen Anträge nach OZG digitalisieren, ich bin Projektleiter in der Stadtverwaltung. "
        "Was gibt es da?"
    )
    slots = await _run(_message(make_tracker, text, "inform_skill_gap"), dispatcher, domain)
    assert slots["role"] == "Projektleiter in der Stadtverwaltung"
    assert slots["skill_gaps"] == ["Wir müssen Anträge nach OZG digitalisieren"]


@pytest.mark.asyncio
async def test_role_only_asks_for_the_topic(make_tracker, dispatcher, domain):
    text = "Guten Morgen liebes Team, ich bin Kämmerin"
    tracker = _message(
        make_tracker, text, "inform_role", [_entity(text, "role", "Kämmerin")], set_now={"role": "Kämmerin"}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Kämmerin"
    assert "skill_gaps" not in slots
    assert slots["requested_slot"] == "skill_gaps"


@pytest.mark.asyncio
async def test_unsure_role_word_is_not_taken_as_role(make_tracker, dispatcher, domain):
    text = (
        "Ich bin Sachbearbeiter im Sozialamt. "
        "Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"
    )
    entities = [
        _entity(text, "role", "Sachbearbeiter im Sozialamt", 0.95),
        _entity(text, "role", "Papier", 0.37),
    ]
    tracker = _message(
        make_tracker,
        text,
        "inform_skill_gap",
        entities,
        set_now={"role": ["Sachbearbeiter im Sozialamt", "Papier"]},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Sachbearbeiter im Sozialamt"
    assert slots["skill_gaps"] == ["Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"]


@pytest.mark.asyncio
@pytest.mark.parametrize("tagged_both", [True, False])
async def test_a_topic_tagged_as_role_stays_the_need_and_is_no_role(
    make_tracker, dispatcher, domain, tagged_both
):
    text = (
        "Guten Tag, ich bin Sachbearbeiter in der Ausländerbehörde. "
        "Gibt es Schulungen zu den Neuerungen beim Fachkräfteeinwanderungsgesetz?"
    )
    topic = _entity(text, "role", "Fachkräfteeinwanderungsgesetz", 0.8)
    role = _entity(text, "role", "Sachbearbeiter in der Ausländerbehörde", 0.95)
    entities = [role, topic] if tagged_both else [topic]
    value = [e["value"] for e in entities] if tagged_both else topic["value"]
    tracker = _message(make_tracker, text, "request_recommendations", entities, set_now={"role": value})
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Sachbearbeiter in der Ausländerbehörde"
    assert slots["skill_gaps"] == ["Neuerungen beim Fachkräfteeinwanderungsgesetz"]


@pytest.mark.asyncio
@pytest.mark.parametrize("intent", ["refine", "inform_skill_gap"])
async def test_the_reason_for_a_wish_is_no_further_need(make_tracker, dispatcher, domain, intent):
    text = "Eher für Anfänger, ich mache das erst seit ein paar Wochen"
    tracker = _message(
        make_tracker, text, intent, [_entity(text, "level", "Anfänger")], slots={"skill_gaps": ["Wohngeld"]}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots.get("skill_gaps", ["Wohngeld"]) == ["Wohngeld"]


@pytest.mark.asyncio
async def test_a_further_told_need_with_a_wish_word_later_is_kept(make_tracker, dispatcher, domain):
    text = "Und noch was dazu, wie ich meinen Tag besser plane, am liebsten online"
    entities = [_entity(text, "duration", "Tag", 0.7), _entity(text, "format", "online")]
    tracker = _message(make_tracker, text, "inform_skill_gap", entities, slots={"skill_gaps": ["Wohngeld"]})
    slots = await _run(tracker, dispatcher, domain)
    assert slots["skill_gaps"][0].startswith("wie ich meinen Tag besser plane")
    assert slots["skill_gaps"][1:] == ["Wohngeld"]


@pytest.mark.parametrize(
    "text",
    [
        "Ich muss noch dazu sagen, dass unser Fortbildungsbudget sehr begrenzt ist; mehr als 200 Euro pro "
        "Kurs wird man mir vermutlich nicht genehmigen.",
        "wenns geht online, ich kann hier nich weg, samstags sind ja auch noch trauungen",
    ],
)
@pytest.mark.asyncio
async def test_a_told_reason_for_a_later_wish_is_no_further_need(text, make_tracker, dispatcher, domain):
    tracker = _message(make_tracker, text, "inform_skill_gap", [], slots={"skill_gaps": ["Doppik"]})
    slots = await _run(tracker, dispatcher, domain)
    assert slots.get("skill_gaps", ["Doppik"]) == ["Doppik"]


@pytest.mark.asyncio
async def test_a_named_topic_next_to_a_wish_is_a_further_need(make_tracker, dispatcher, domain):
    text = "Gern online, und außerdem was zum Datenschutz"
    tracker = _message(
        make_tracker, text, "inform_skill_gap", [_entity(text, "format", "online")],
        slots={"skill_gaps": ["Wohngeld"]}, set_now={"format_pref": "online"},
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["skill_gaps"] == ["Datenschutz", "Wohngeld"]


@pytest.mark.asyncio
async def test_a_role_without_a_role_word_stays_a_role(make_tracker, dispatcher, domain):
    text = "Ich arbeite in der Wirtschaftsförderung und brauche was zu Fördermitteln"
    entities = [_entity(text, "role", "Wirtschaftsförderung")]
    tracker = _message(
        make_tracker, text, "inform_skill_gap", entities, set_now={"role": "Wirtschaftsförderung"}
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Wirtschaftsförderung"
    assert slots["skill_gaps"] == ["Fördermitteln"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("Keine Ahnung ehrlich gesagt... vielleicht was mit Outlook und Word?", "skip", ["Outlook", "Word"]),
        ("was mit ki", "nlu_fallback", ["ki"]),
        ("Weiß ich noch nicht", "skip", [SKIPPED]),
        # no topic, whatever the NLU made of it: like the button "Weiß ich noch nicht"
        ("ist eigentlich egal, was habt ihr denn so?", "request_recommendations", [SKIPPED]),
    ],
)
async def test_answers_to_the_topic_question_in_any_form(
    make_tracker, dispatcher, domain, text, intent, expected
):
    tracker = _message(make_tracker, text, intent, requested="skill_gaps")
    slots = await _run(tracker, dispatcher, domain)
    assert slots["skill_gaps"] == expected
    assert slots["requested_slot"] is None
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_role_button_asks_for_the_role_and_any_answer_is_taken(make_tracker, dispatcher, domain):
    tracker = _message(make_tracker, "/inform_role", "inform_role", slots={"skill_gaps": ["Excel"]})
    assert (await _run(tracker, dispatcher, domain))["requested_slot"] == "role"

    tracker = _message(
        make_tracker,
        "Sozialamt, Teamleitung",
        "inform_skill_gap",
        slots={"skill_gaps": ["Excel"]},
        requested="role",
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == "Sozialamt"
    assert "skill_gaps" not in slots  # the answer is the role, not a further need
    assert slots["requested_slot"] is None

    tracker = _message(
        make_tracker,
        "Das möchte ich lieber nicht sagen",
        "skip",
        slots={"skill_gaps": ["Excel"]},
        requested="role",
    )
    slots = await _run(tracker, dispatcher, domain)
    assert slots["role"] == SKIPPED
    assert slots["requested_slot"] is None


@pytest.mark.asyncio
async def test_other_topics_forgets_the_needs_and_takes_a_new_one_from_the_same_message(
    make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        slots={"skill_gaps": ["Excel"]}, text="Andere Themen", intent="request_other_topics"
    )
    assert _slot_events(await ActionClearSkillGaps().run(dispatcher, tracker, domain)) == {
        "skill_gaps": None,
        "shown_course_ids": None,
    }
    tracker = _message(make_tracker, "Lieber was ganz anderes: Vergaberecht", "request_other_topics")
    assert (await _run(tracker, dispatcher, domain))["skill_gaps"] == ["Vergaberecht"]


@pytest.mark.asyncio
async def test_pause_and_resume_around_a_membership_question(make_tracker, dispatcher, domain):
    tracker = make_tracker(active_loop="profile_form", intent="ask_membership_cost")
    paused = await ActionPauseProfile().run(dispatcher, tracker, domain)
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in paused
    ]
    assert _slot_events(paused)["profile_interrupted"] is True
    resumed = await ActionResumeProfile().run(dispatcher, tracker, domain)
    assert _slot_events(resumed) == {"profile_interrupted": False}
    assert [m["response"] for m in dispatcher.messages] == ["utter_back_to_profile"]


@pytest.mark.asyncio
async def test_another_matter_forgets_the_needs_and_wishes_before_it_but_keeps_the_role(
    make_tracker, dispatcher, domain
):
    # set 12 (CC-011): the crisis-communication needs and the online wish were kept for the new matter
    text = (
        "Darf ich noch einmal ganz von vorn beginnen, mit einem völlig anderen Anliegen? Unsere Elternbriefe "
        "sind unverständlich, wir möchten Texte in Leichter Sprache schreiben lernen."
    )
    before = {
        "role": "Teamleitung Öffentlichkeitsarbeit",
        "skill_gaps": ["Krisenkommunikation", "Social Media"],
        "format_pref": "online",
        "max_cost_eur": "300",
    }
    tracker = _message(make_tracker, text, "inform_skill_gap", slots=before)
    slots = await _run(tracker, dispatcher, domain)
    assert slots["skill_gaps"] and not {"Krisenkommunikation", "Social Media"} & set(slots["skill_gaps"])
    assert any("Leichter Sprache" in need for need in slots["skill_gaps"])
    assert slots["format_pref"] is None and slots["max_cost_eur"] is None
    assert slots.get("role", before["role"]) == before["role"]


@pytest.mark.asyncio
async def test_a_further_need_keeps_the_needs_and_wishes_before_it(make_tracker, dispatcher, domain):
    before = {"skill_gaps": ["Krisenkommunikation"], "format_pref": "online"}
    tracker = _message(make_tracker, "Und noch was zu Social Media bitte", "inform_skill_gap", slots=before)
    slots = await _run(tracker, dispatcher, domain)
    assert "Krisenkommunikation" in slots["skill_gaps"] and "format_pref" not in slots
