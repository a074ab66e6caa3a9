"""action_recommend / action_show_details against a real local HTTP server that answers with canned JSON.

The search service is replaced at the HTTP level only: the actions use the real aiohttp client, so timeouts,
refused connections and error statuses are exercised for real. What the client sends and what the fake
answers are both checked against the service's JSON Schemas (index/schemas/), so the fake cannot drift from
the real service unnoticed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import pytest_asyncio
from aiohttp import web

from bot.actions.offers import relevant_results
from bot.actions.recommendations import (
    GENERIC_QUERY,
    ActionRecommend,
    ActionShowDetails,
    among_the_best,
    build_filters,
    build_query,
)
from index import schemas

ROOT = Path(__file__).resolve().parents[2]

COURSES: dict[str, dict[str, Any]] = {
    f"c{i}": {
        "id": f"c{i}",
        "title": title,
        "provider": "Akademie Nord",
        "format": fmt,
        "duration_hours": hours,
        "level": "einsteiger",
        "cost_eur": cost,
        "url": f"https://kurse.example.org/c{i}",
        "score": 0.9 - i / 100,
        "matched": matched,
        "description": f"Beschreibung von {title}.",
        "target_group": "Mitarbeitende im Bürgeramt",
    }
    for i, (title, fmt, hours, cost, matched) in enumerate(
        [
            ("Excel für Einsteiger*innen", "online", 6, 0, ["Excel", "Bürgeramt"]),
            ("Datenschutz im Bürgeramt", "praesenz", 8, 250, ["Datenschutz", "DSGVO"]),
            ("Tabellen und Diagramme", "online", 4, 90, ["Excel"]),
            ("DSGVO kompakt", "blended", 3, 120, ["DSGVO"]),
            ("Formeln und Funktionen", "online", 12, 300, []),
            ("Pivot-Tabellen", "online", 5, 80, ["Excel"]),
        ],
        start=1,
    )
}


# The fields of one search result, as the real service sends them (no target_group etc.).
RESULT_FIELDS = schemas.load("search_response")["$defs"]["result"]["required"]


def as_result(course: dict[str, Any]) -> dict[str, Any]:
    return {name: course.get(name) for name in RESULT_FIELDS} | {"weak": course.get("weak", False)}


class FakeSearch:
    """Canned search service; records what the action sent and every break of the service contract."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.contract_problems: list[str] = []
        self.mode = "ok"

    def answer(self, schema: str, body: dict[str, Any], status: int = 200) -> web.Response:
        self.contract_problems += [f"{schema}: {p}" for p in schemas.problems(schema, body)]
        return web.json_response(body, status=status)

    async def search(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.contract_problems += [f"search_request: {p}" for p in schemas.problems("search_request", body)]
        if self.mode == "slow":
            await asyncio.sleep(1.0)
        if self.mode == "error":
            return self.answer("error_response", {"error": "index not loaded"}, status=503)
        answer: dict[str, Any] = {
            "results": [],
            "preferences": {},
            "applied_filters": body.get("filters") or {},
            "no_good_match": self.mode == "no_good_match",
            "index_version": "fake-1",
        }
        if self.mode == "empty":
            return self.answer("search_response", answer)
        results = [as_result(c) for c in COURSES.values() if c["id"] not in body.get("exclude_ids", [])]
        # Like the real search, each query finds the offers about its need (the part before the role).
        words = {w.lower() for w in body["query"].split(" – ")[0].replace(",", " ").split()}
        about = [c for c in results if words & {w.lower() for w in [*c["title"].split(), *c["matched"]]}]
        results = results if body["query"] == GENERIC_QUERY or self.mode != "ok" else about
        formats = body.get("filters", {}).get("format")
        if formats:
            results = [c for c in results if c["format"] in formats]
        answer["results"] = results[: body.get("k", 5)]
        if self.mode == "role_only":  # the search matched only the role, not the topic
            answer["results"] = [{**c, "matched": ["Bürgeramt"]} for c in answer["results"]]
        if self.mode == "all_weak":  # nothing but loose fits
            answer["results"] = [{**c, "weak": True} for c in answer["results"]]
        if self.mode == "weak_tail":  # the last two offers only fill the list
            answer["results"] = [{**c, "weak": c["id"] in ("c5", "c6")} for c in answer["results"]]
        if self.mode == "steep" and not body.get("filters"):  # without constraints one offer stands out
            answer["results"] = [
                {**c, "score": 0.95 if i == 0 else 0.3} for i, c in enumerate(answer["results"])
            ]
        if self.mode == "two_on_topic":
            answer["results"] = [
                {**c, "matched": c["matched"] if i < 2 else []} for i, c in enumerate(results)
            ]
        return self.answer("search_response", answer)

    async def course(self, request: web.Request) -> web.Response:
        course_id = request.match_info["id"]
        if self.mode == "slow":
            await asyncio.sleep(1.0)
        if course_id not in COURSES:
            return self.answer("error_response", {"error": f"unknown course {course_id}"}, status=404)
        return self.answer("catalog_row", COURSES[course_id])


@pytest_asyncio.fixture
async def search_service(aiohttp_server, monkeypatch):
    fake = FakeSearch()
    app = web.Application()
    app.router.add_post("/search", fake.search)
    app.router.add_get("/courses/{id}", fake.course)
    server = await aiohttp_server(app)
    monkeypatch.setenv("KC_SEARCH_URL", str(server.make_url("")))
    monkeypatch.setenv("KC_SEARCH_TIMEOUT", "0.3")
    yield fake
    assert fake.contract_problems == [], "the client or the fake broke the search service contract"


PROFILE = {
    "role": "Sachbearbeiterin im Bürgeramt",
    "skill_gaps": ["Excel", "Datenschutz"],
    "format_pref": "any",
}


def texts(dispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def responses(dispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def render(domain: dict[str, Any], message: dict[str, Any]) -> str:
    """Fill a dispatched response template the way Rasa would (first variant)."""
    template = domain["responses"][message["response"]][0]["text"]
    values = {k: v for k, v in message.items() if k not in ("response", "buttons")}
    values.update(message.get("kwargs") or {})
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- plain functions ----------------------------------------------------------------------------------------


def test_one_query_per_need_with_the_role_unless_the_need_is_told():
    assert build_query("Kämmerei", "Doppik") == "Doppik – Kämmerei"
    assert build_query("__skipped__", "Excel") == "Excel"
    assert build_query("__skipped__", None) == GENERIC_QUERY
    told = "die Leute werden bei Kontrollen oft richtig laut"
    assert build_query("Ordnungsamt", told) == told


def test_filters_only_for_real_preferences():
    assert build_filters("online", "any", 0.0, None) == {"format": ["online"], "max_cost_eur": 0.0}
    assert build_filters("any", None, None, 8.0) == {"max_duration_hours": 8.0}
    assert build_filters(None, "einsteiger", None, None) == {"level": ["einsteiger"]}


# --- action_recommend ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_each_need_is_searched_and_shown_with_a_reason_of_its_own(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(slots=PROFILE, text="Excel und Datenschutz", intent="inform_skill_gap")
    events = await ActionRecommend().run(dispatcher, tracker, domain)

    # one search per need, each with the role; no filter the person did not ask for
    queries = sorted(r["query"] for r in search_service.requests if "query" in r)
    assert queries == ["Datenschutz – Sachbearbeiterin im Bürgeramt", "Excel – Sachbearbeiterin im Bürgeramt"]
    assert all(
        r["filters"] == {} and r["exclude_ids"] == [] and r["k"] == 10 for r in search_service.requests
    )

    items = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    # both needs are represented: the best offer of each first, then the next ones
    assert [m["course_title"] for m in items] == [COURSES[i]["title"] for i in ("c1", "c2", "c3", "c6")]
    first = render(domain, items[0])
    for fact in (
        "Excel für Einsteiger*innen",
        "Akademie Nord",
        "online",
        "6 Std.",
        "Einsteiger*innen",
        "kostenlos",
        "https://kurse.example.org/c1",
    ):
        assert fact in first
    assert "250 €" in render(domain, items[1])  # costs in German format
    whys = [m["why"] for m in items]
    assert whys[0] == (
        "Zu Ihrem Thema „Excel“: Es geht um Excel – gedacht für Mitarbeitende im Bürgeramt."
    )  # the role term matched in the offer is said as the target group, not as a topic
    assert whys[1].startswith("Zu Ihrem Thema „Datenschutz“: Es geht um Datenschutz und DSGVO")
    assert len(set(whys)) > 1
    assert not any("wie gewünscht" in w for w in whys)  # no wish was stated, none is named

    followup = dispatcher.messages[-1]
    titles = [b["title"] for b in followup["buttons"]]
    assert {"Mehr dazu", "Nur online", "Nur Präsenz", "Für Einsteiger*innen", "Andere Themen"} <= set(titles)
    assert "In welchem Bereich arbeiten Sie? Dann suche ich genauer" not in titles  # the role is known
    assert sum(t.startswith("Details zu Nr.") for t in titles) == len(items)
    slots = slots_of(events)
    assert slots["shown_course_ids"] == ["c1", "c2", "c3", "c6"]
    assert [r["id"] for r in slots["last_results"]] == slots["shown_course_ids"]


@pytest.mark.asyncio
async def test_without_role_the_role_question_is_offered_as_a_button(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(slots={"skill_gaps": ["Excel"]}, text="Excel", intent="inform_skill_gap")
    await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["query"] == "Excel"
    buttons = {b["title"]: b["payload"] for b in dispatcher.messages[-1]["buttons"]}
    assert buttons["In welchem Bereich arbeiten Sie? Dann suche ich genauer"] == "/inform_role"


@pytest.mark.asyncio
async def test_a_need_that_finds_nothing_is_named_next_to_the_offers_for_the_others(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        slots={"skill_gaps": ["Excel", "Gebärdensprache"]}, text="…", intent="inform_skill_gap"
    )
    await ActionRecommend().run(dispatcher, tracker, domain)
    items = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    assert items and all("Excel" in m["why"] for m in items)
    missing = [m for m in dispatcher.messages if m.get("response") == "utter_need_not_found"]
    assert len(missing) == 1 and missing[0]["topics"] == "Gebärdensprache"


@pytest.mark.asyncio
async def test_each_offer_carries_a_card_that_matches_its_text_and_the_schema(
    search_service, make_tracker, dispatcher, domain
):
    """Widget and Teams render offers from custom.kc_offer; it must say what the text says, in German."""
    tracker = make_tracker(slots=PROFILE, text="/skip", intent="skip")
    await ActionRecommend().run(dispatcher, tracker, domain)

    schema = json.loads((ROOT / "bot" / "schemas" / "offer_card.schema.json").read_text(encoding="utf-8"))
    items = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    assert items
    for item in items:
        card = item["custom"]["kc_offer"]
        jsonschema.validate(card, schema)
        course = COURSES[card["id"]]
        assert card["number"] == item["number"] and card["title"] == course["title"] == item["course_title"]
        assert card["why"] == item["why"] and card["url"] == course["url"]
        assert card["format"] == course["format"] and card["format_label"] == item["course_format"]
        assert [a["title"] for a in card["actions"]] == ["Details", "Mehr dazu"]
        assert card["actions"][0]["payload"] == f'/ask_details{{"ordinal": "{card["number"]}"}}'
        assert card["actions"][1]["payload"] == f'/more_like{{"ordinal": "{card["number"]}"}}'
    first = items[0]["custom"]["kc_offer"]
    assert (first["duration_label"], first["cost_label"]) == ("6 Std.", "kostenlos")


@pytest.mark.asyncio
async def test_online_refinement_sends_format_filter_and_drops_online_button(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        slots={**PROFILE, "format_pref": "online"},
        text="nur online",
        intent="refine",
        entities=[{"entity": "format", "value": "online"}],
    )
    await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["filters"]["format"] == ["online"]
    items = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    assert items and all(m["course_format"] == "online" for m in items)
    assert all(m["why"].endswith(", und es ist wie gewünscht online.") for m in items)
    titles = [b["title"] for b in dispatcher.messages[-1]["buttons"]]
    assert "Nur online" not in titles and "Nur Präsenz" in titles


@pytest.mark.asyncio
async def test_more_excludes_shown_offers_and_accumulates_them(
    search_service, make_tracker, dispatcher, domain
):
    shown = ["c1", "c2", "c3"]
    tracker = make_tracker(slots={**PROFILE, "shown_course_ids": shown}, text="Mehr dazu", intent="more_like")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert [r["exclude_ids"] for r in search_service.requests] == [shown, shown]
    slots = slots_of(events)
    assert slots["shown_course_ids"] == [*shown, "c6"]
    assert [r["id"] for r in slots["last_results"]] == ["c6"]
    missing = [m for m in dispatcher.messages if m.get("response") == "utter_need_no_more"]
    assert missing[0]["topics"] == "Datenschutz"  # nothing more on this one (not "nothing found")
    assert not [m for m in dispatcher.messages if m.get("response") == "utter_need_not_found"]


@pytest.mark.asyncio
async def test_more_on_a_named_need_searches_only_that_need(search_service, make_tracker, dispatcher, domain):
    shown = ["c1", "c2", "c3"]
    text = "Gibt es noch mehr Datenschutzkurse?"
    tracker = make_tracker(slots={**PROFILE, "shown_course_ids": shown}, text=text, intent="more_like")
    await ActionRecommend().run(dispatcher, tracker, domain)
    assert [r["query"].split(" – ")[0] for r in search_service.requests] == ["Datenschutz"]
    assert search_service.requests[0]["exclude_ids"] == shown


@pytest.mark.asyncio
async def test_more_for_a_described_problem_leaves_out_weak_offers(
    search_service, make_tracker, dispatcher, domain
):
    search_service.mode = "weak_tail"
    told = "die Leute werden bei Kontrollen oft richtig laut"
    slots = {**PROFILE, "role": "Ordnungsamt", "skill_gaps": [told], "shown_course_ids": ["c1", "c2"]}
    tracker = make_tracker(slots=slots, text="Mehr dazu", intent="more_like")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["query"] == told
    # The same search as before minus the shown offers: ranked by the search, weak fill-ups left out.
    assert [r["id"] for r in slots_of(events)["last_results"]] == ["c3", "c4"]


@pytest.mark.asyncio
async def test_more_like_offer_n_searches_with_that_offer(search_service, make_tracker, dispatcher, domain):
    last = [
        {"id": "c2", "title": "Datenschutz im Bürgeramt", "matched": ["DSGVO"]},
        {"id": "c4", "title": "DSGVO kompakt", "matched": []},
    ]
    tracker = make_tracker(
        slots={**PROFILE, "shown_course_ids": ["c2", "c4"], "last_results": last},
        text="mehr wie das erste",
        intent="more_like",
        entities=[{"entity": "ordinal", "value": "1"}],
    )
    await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["query"].startswith("Datenschutz im Bürgeramt")
    assert search_service.requests[0]["exclude_ids"] == ["c2", "c4"]


@pytest.mark.asyncio
async def test_raw_cost_and_duration_text_becomes_numbers(search_service, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={**PROFILE, "max_cost_eur": "unter 200 Euro", "max_duration_hours": "einen Tag"},
        text="unter 200 Euro und einen Tag",
        intent="refine",
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["filters"] == {"max_cost_eur": 200.0, "max_duration_hours": 8.0}
    assert slots_of(events)["max_cost_eur"] == 200.0


@pytest.mark.asyncio
async def test_unintelligible_constraint_is_reported_not_dropped(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(slots={**PROFILE, "max_cost_eur": "so mittel"}, text="so mittel", intent="refine")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_constraint_not_understood"
    assert dispatcher.messages[0]["value"] == "so mittel"
    assert "max_cost_eur" not in search_service.requests[0]["filters"]
    assert slots_of(events)["max_cost_eur"] is None


@pytest.mark.parametrize(
    ("mode", "profile"),
    [
        ("empty", PROFILE),
        ("role_only", PROFILE),
        ("no_good_match", {**PROFILE, "skill_gaps": ["__skipped__"]}),
        # a told problem: the search ranking decides; nothing but weak fits is nothing
        (
            "all_weak",
            {**PROFILE, "skill_gaps": ["ich soll ältere Menschen beraten, wie sie ihre Wohnung anpassen"]},
        ),
    ],
)
@pytest.mark.asyncio
async def test_nothing_fits_is_said_honestly(search_service, make_tracker, dispatcher, domain, mode, profile):
    search_service.mode = mode
    tracker = make_tracker(slots=profile, text="Excel", intent="inform_skill_gap")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_no_results"]
    expected = {"empty": "Excel und Datenschutz", "role_only": "Excel und Datenschutz"}.get(mode)
    expected = expected or (
        "Ihrem Thema" if profile["skill_gaps"] == ["__skipped__"] else "dem, was Sie schildern,"
    )
    assert expected in render(domain, dispatcher.messages[0])
    assert "Andere Themen" in [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "shown_course_ids" not in slots_of(events)


@pytest.mark.asyncio
async def test_nothing_fits_with_constraints_names_them_and_offers_to_drop_them(
    search_service, make_tracker, dispatcher, domain
):
    search_service.mode = "empty"
    tracker = make_tracker(
        slots={**PROFILE, "format_pref": "online", "max_cost_eur": 0}, text="kostenlos", intent="refine"
    )
    await ActionRecommend().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_no_results_constraints"
    assert "online" in message["constraints"] and "kostenlos" in message["constraints"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert any(p.startswith("/refine") and '"any"' in p for p in payloads)


@pytest.mark.asyncio
async def test_drawing_the_short_straw_is_no_wish_for_a_short_course(
    search_service, make_tracker, dispatcher, domain
):
    text = "Beim Excel-Reporting zieh ich gegen die Kämmerei meistens den Kürzeren."
    start = text.index("Kürzeren")
    entity = {"entity": "duration", "value": "Kürzeren", "start": start, "end": start + 8}
    profile = {**PROFILE, "skill_gaps": ["Excel"], "max_duration_hours": "Kürzeren"}
    tracker = make_tracker(slots=profile, text=text, intent="inform_skill_gap", entities=[entity])
    events = await ActionRecommend().run(dispatcher, tracker, domain)

    assert not any("max_duration_hours" in (r.get("filters") or {}) for r in search_service.requests)
    assert not any("Stunden" in m.get("why", "") for m in dispatcher.messages)
    assert slots_of(events)["max_duration_hours"] is None


@pytest.mark.asyncio
async def test_nothing_within_the_constraints_shows_the_nearest_offer_with_how_it_departs(
    search_service, make_tracker, dispatcher, domain
):
    profile = {**PROFILE, "skill_gaps": ["Datenschutz"], "format_pref": "online", "max_cost_eur": 100.0}
    tracker = make_tracker(slots=profile, text="nur online und höchstens 100 Euro", intent="refine")
    events = await ActionRecommend().run(dispatcher, tracker, domain)

    intro, offer = dispatcher.messages[0], dispatcher.messages[1]
    assert intro["response"] == "utter_no_results_constraints_near_one"
    assert "online" in intro["constraints"] and "100 €" in intro["constraints"]
    assert "Datenschutz" in render(domain, intro)
    assert offer["course_title"] == "Datenschutz im Bürgeramt"
    assert offer["why"].endswith(
        "Abweichend von Ihren Vorgaben: in Präsenz statt online und 250 € statt höchstens 100 €."
    )
    # searched first with the constraints, then without them
    assert [bool(r.get("filters")) for r in search_service.requests if "query" in r] == [True, False]
    assert slots_of(events)["shown_course_ids"] == ["c2"]


@pytest.mark.asyncio
async def test_a_told_problem_gets_no_leftovers_of_a_constraint_but_its_best_offer_as_a_near_miss(
    search_service, make_tracker, dispatcher, domain
):
    # Told: "Excel" offers first (c1, online), "Datenschutz im Bürgeramt" (c2, Präsenz) far behind. Within
    # "nur Präsenz" only c2 is left: a leftover, not a fit. The best offer is shown as a near miss.
    search_service.mode = "steep"
    told = "Excel-Tabellen und Datenschutz machen mir am Schalter Sorgen"
    profile = {**PROFILE, "skill_gaps": [told], "format_pref": "praesenz"}
    tracker = make_tracker(slots=profile, text="nur Präsenz bitte", intent="refine")
    events = await ActionRecommend().run(dispatcher, tracker, domain)

    assert responses(dispatcher)[0] == "utter_no_results_constraints_near_one"
    assert slots_of(events)["shown_course_ids"] == ["c1"]
    assert dispatcher.messages[1]["why"].endswith("Abweichend von Ihren Vorgaben: online statt in Präsenz.")


@pytest.mark.asyncio
async def test_a_near_miss_claims_only_the_wishes_it_meets(search_service, make_tracker, dispatcher, domain):
    profile = {**PROFILE, "skill_gaps": ["Excel"], "format_pref": "praesenz", "max_duration_hours": 5.0}
    tracker = make_tracker(slots=profile, text="in Präsenz, höchstens 5 Stunden", intent="refine")
    await ActionRecommend().run(dispatcher, tracker, domain)

    offers = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    whys = {m["course_title"]: m["why"] for m in offers}
    # c1 (online, 6 h) meets neither wish; c3 (online, 4 h) meets the time limit and says so
    assert "wie gewünscht" not in whys["Excel für Einsteiger*innen"]
    assert whys["Excel für Einsteiger*innen"].endswith(
        "Abweichend von Ihren Vorgaben: online statt in Präsenz und 6 Std. statt höchstens 5 Stunden."
    )
    assert "wie gewünscht höchstens 5 Stunden lang" in whys["Tabellen und Diagramme"]


def test_among_the_best_keeps_constrained_offers_that_also_rank_high_without_the_constraint():
    plain = {"results": [{"id": "a", "score": 0.9}, {"id": "b", "score": 0.5}, {"id": "c", "score": 0.2}]}
    constrained = [{"id": "c", "matched": ["Excel"]}, {"id": "b", "matched": ["Excel"]}]
    assert [h["id"] for h in among_the_best(constrained, plain)] == ["b"]


def test_when_the_constraints_remove_the_best_offer_a_leftover_must_share_a_subject():
    # "Vollstreckung, Pfändung … Da sind einige Kolleginnen neu" within 250 € and 4 hours: the Vollstreckung
    # course is out; "Feedback geben und annehmen unter Kolleg*innen" shares only "Kolleginnen" (EG-007)
    plain = {"results": [{"id": "vollstreckung", "score": 1.0}, {"id": "feedback", "score": 0.62}]}
    leftover = [{"id": "feedback", "matched": ["Kolleginnen"]}]
    assert among_the_best(leftover, plain) == []
    # while the best offer is still there, the ranking alone decides
    both = [{"id": "vollstreckung", "matched": []}, {"id": "feedback", "matched": ["Kolleginnen"]}]
    assert [h["id"] for h in among_the_best(both, plain)] == ["vollstreckung", "feedback"]


@pytest.mark.asyncio
async def test_near_misses_missing_fewer_constraints_come_first(
    search_service, make_tracker, dispatcher, domain
):
    profile = {**PROFILE, "skill_gaps": ["Excel"], "format_pref": "praesenz", "max_cost_eur": 85.0}
    tracker = make_tracker(slots=profile, text="lieber in Präsenz, bis 85 Euro", intent="refine")
    events = await ActionRecommend().run(dispatcher, tracker, domain)

    assert responses(dispatcher)[0] == "utter_no_results_constraints_near"
    # c1 (0 €) and c6 (80 €) miss only the format, c3 (90 €) the format and the budget
    assert slots_of(events)["shown_course_ids"] == ["c1", "c6", "c3"]
    offers = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    assert "online statt in Präsenz." in offers[0]["why"]
    assert "online statt in Präsenz und 90 € statt höchstens 85 €." in offers[2]["why"]


@pytest.mark.parametrize("mode", ["slow", "error"])
@pytest.mark.asyncio
async def test_search_down_or_slow_apologises_with_retry(
    search_service, make_tracker, dispatcher, domain, mode
):
    search_service.mode = mode
    tracker = make_tracker(slots=PROFILE, text="Vorschläge bitte", intent="request_recommendations")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_search_unavailable"]
    assert dispatcher.messages[0]["retry_payload"] == "/request_recommendations"
    assert not any("Error" in t or "Traceback" in t for t in texts(dispatcher))
    assert events == []


@pytest.mark.asyncio
async def test_search_unreachable_apologises(monkeypatch, make_tracker, dispatcher, domain, unused_tcp_port):
    monkeypatch.setenv("KC_SEARCH_URL", f"http://127.0.0.1:{unused_tcp_port}")
    tracker = make_tracker(slots=PROFILE, text="Vorschläge bitte", intent="request_recommendations")
    await ActionRecommend().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_search_unavailable"]


# --- action_show_details -----------------------------------------------------------------------------------

LAST = [
    {"id": "c1", "title": "Excel für Einsteiger*innen"},
    {"id": "c2", "title": "Datenschutz im Bürgeramt"},
]


@pytest.mark.asyncio
async def test_details_of_offer_n_show_full_description(search_service, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={**PROFILE, "last_results": LAST},
        text="Details zu Nr. 2",
        intent="ask_details",
        entities=[{"entity": "ordinal", "value": "2"}],
    )
    await ActionShowDetails().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_offer_details"
    shown = render(domain, message)
    assert "Datenschutz im Bürgeramt" in shown and "Beschreibung von Datenschutz im Bürgeramt." in shown
    assert "https://kurse.example.org/c2" in shown
    payloads = [b["payload"] for b in message["buttons"]]
    assert json.loads(payloads[0].removeprefix("/more_like")) == {"ordinal": "2"}


@pytest.mark.asyncio
async def test_details_of_an_offer_named_in_dialect_without_a_tagged_ordinal(
    search_service, make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        slots={**PROFILE, "last_results": LAST}, text="Was koschtet denn des zwoite?", intent="ask_details"
    )
    await ActionShowDetails().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_offer_details"
    assert "Datenschutz im Bürgeramt" in render(domain, message)


@pytest.mark.parametrize(
    ("slots", "ordinal", "mode", "expected"),
    [
        pytest.param(
            {"last_results": LAST},
            "7",
            "ok",
            {"response": "utter_ask_which_offer", "count": 2},
            id="no valid number: asks which",
        ),
        pytest.param({}, "1", "ok", {"response": "utter_no_offers_yet"}, id="before any offer"),
        pytest.param(
            {"last_results": [{"id": "gone", "title": "Alt"}]},
            None,
            "ok",
            {"response": "utter_offer_gone"},
            id="course the search no longer knows",
        ),
        pytest.param(
            {"last_results": LAST},
            "1",
            "slow",
            {"response": "utter_search_unavailable", "retry_payload": '/ask_details{"ordinal": "1"}'},
            id="search too slow: retry button",
        ),
    ],
)
@pytest.mark.asyncio
async def test_details_that_cannot_be_shown_say_why(
    search_service, make_tracker, dispatcher, domain, slots, ordinal, mode, expected
):
    search_service.mode = mode
    tracker = make_tracker(
        slots=slots,
        text=f"Details zu Nr. {ordinal}" if ordinal else "Details",
        intent="ask_details",
        entities=[{"entity": "ordinal", "value": ordinal}] if ordinal else [],
    )
    await ActionShowDetails().run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 1
    assert {key: dispatcher.messages[0].get(key) for key in expected} == expected
    assert search_service.requests == []


@pytest.mark.asyncio
async def test_only_offers_about_the_topic_are_shown(search_service, make_tracker, dispatcher, domain):
    search_service.mode = "two_on_topic"
    tracker = make_tracker(slots=PROFILE, text="Excel", intent="inform_skill_gap")
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    items = [m for m in dispatcher.messages if m.get("response") == "utter_offer_item"]
    assert [m["course_title"] for m in items] == [COURSES["c1"]["title"], COURSES["c2"]["title"]]
    assert dispatcher.messages[0]["count"] == 2
    assert len(slots_of(events)["last_results"]) == 2


def test_offers_naming_the_topic_come_before_loose_matches():
    def offer(i, matched):
        return {"id": f"o{i}", "matched": matched}

    results = [
        offer(1, ["Kinderschutz"]),
        offer(2, ["Datenschutz gewährleisten"]),
        offer(3, ["Ordnungsamt"]),
        offer(4, ["Datenschutz"]),
        offer(5, ["Schutz und Sicherheit der Öffentlichkeit sicherstellen"]),
        offer(6, ["DSGVO", "Datenschutz"]),
    ]
    kept = [r["id"] for r in relevant_results(results, "Ordnungsamt", ["Datenschutz"])]
    assert kept == ["o2", "o4", "o6"]  # three name the topic: no loose fill-up, role-only never
    kept = [r["id"] for r in relevant_results(results[:4], "Ordnungsamt", ["Datenschutz"])]
    assert kept == ["o1", "o2", "o4"]  # two name it: one loose match fills up to three, in search order
    assert relevant_results(results, "Ordnungsamt", ["__skipped__"]) == results


def test_a_verb_sharing_its_letters_with_a_noun_of_the_topic_does_not_name_it(domain):
    from bot.actions.offers import OfferText

    topic = "agiles Arbeiten / Scrum"
    results = [
        {"id": "o1", "matched": ["arbeiten"]},  # "Führen auf Distanz": the verb, not agile work
        {"id": "o2", "matched": ["Scrum", "arbeiten"]},
        {"id": "o3", "matched": ["agiles Projektmanagement"]},
    ]
    assert [r["id"] for r in relevant_results(results, None, [topic])] == ["o2", "o3"]
    why = OfferText(domain).why(results[1], None, topic, {})
    assert "Scrum" in why and "arbeiten" not in why
    # Written all in lower case, the words cannot be told apart: a match stays a match.
    assert [r["id"] for r in relevant_results(results[:1], None, ["agiles arbeiten"])] == ["o1"]


def test_an_adjective_of_a_capitalised_topic_does_not_name_it(domain):
    from bot.actions.offers import OfferText

    # set 14 EG-001: "Passt, weil es um kommunalen geht" on "Kommunalrecht für Auszubildende"
    topic = "kommunalen Abgabenrecht, am besten mit Bezug zur Grundsteuer"
    results = [
        {"id": "o1", "matched": ["kommunalen"]},
        {"id": "o2", "matched": ["Grundsteuer", "kommunalen"]},
    ]
    assert [r["id"] for r in relevant_results(results, None, [topic])] == ["o2"]
    why = OfferText(domain).why(results[1], None, topic, {})
    assert "Grundsteuer" in why and "kommunalen" not in why
    # all in lower case, the word classes cannot be told apart
    assert [r["id"] for r in relevant_results(results, None, ["kommunalen abgabenrecht"])] == ["o1", "o2"]


def test_described_problem_is_ranked_by_the_search():
    told = "die Leute werden bei Kontrollen oft richtig laut"
    results = [{"id": "o1", "matched": []}, {"id": "o2", "matched": ["Kontrollen"]}]
    # The words of a told problem rarely appear in an offer: the search ranking decides, not term overlap.
    assert relevant_results(results, "Ordnungsamt", [told], by_ranking=True) == results
    assert relevant_results(results, "Ordnungsamt", [told]) == [results[1]]


def test_weak_results_are_left_out_unless_they_name_the_topic():
    told = "die Leute werden bei Kontrollen oft richtig laut"
    results = [
        {"id": "o1", "matched": [], "weak": False},
        {"id": "o2", "matched": ["Kontrollen"], "weak": True},
        {"id": "o3", "matched": [], "weak": True},
    ]
    # Ranked by the search (described problem, or no topic): weak results are left out; asked for more, a weak
    # one that shares a noun with the description counts.
    assert [r["id"] for r in relevant_results(results, "Ordnungsamt", [told], by_ranking=True)] == ["o1"]
    more = relevant_results(results, "Ordnungsamt", [told], by_ranking=True, more=True)
    assert [r["id"] for r in more] == ["o1", "o2"]
    assert [r["id"] for r in relevant_results(results, "Ordnungsamt", ["__skipped__"])] == ["o1"]
    named = [
        {"id": "n1", "matched": ["Datenschutz"], "weak": False},
        {"id": "n2", "matched": ["DSGVO", "Datenschutz"], "weak": True},
        {"id": "n4", "matched": ["Kinderschutz"], "weak": True},
        {"id": "n5", "matched": ["Informationssicherheit"], "weak": False},
    ]
    # A weak offer that names the topic stays; a weak loose match does not fill up, a strong one does.
    kept = [r["id"] for r in relevant_results(named, "Ordnungsamt", ["Datenschutz"])]
    assert kept == ["n1", "n2", "n5"]


def test_a_free_offer_meets_a_budget_without_being_called_a_wish_for_free_courses(domain):
    from bot.actions.offers import OfferText

    text = OfferText(domain)
    course = {"matched": ["Excel"], "cost_eur": 0}
    within = text.why(course, None, "Excel", {"max_cost_eur": 150})
    assert within.endswith("wie gewünscht im Budget von 150 €.")
    assert text.why(course, None, "Excel", {"max_cost_eur": 0}).endswith("wie gewünscht kostenlos.")


def test_why_sentence_for_a_described_problem(domain):
    from bot.actions.offers import OfferText

    told = "Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"
    text = OfferText(domain)
    why = text.why({"matched": ["beschweren", "Papier"]}, "Sozialamt", told, {})
    assert why == "Passt zu dem, was Sie schildern: Es geht um Papier."  # nouns only, no claim about the role
    # a noun any offer shares says nothing ("Es geht um Person."): the offer's own focus instead
    told = "die Person am Schalter hat rumgebrüllt, wie bleib ich in solchen Situationen ruhig?"
    record = {"skills": ["Deeskalation"]}
    course = {"matched": ["Person", "Situationen"], "title": "Deeskalation am Schalter"}
    why = text.why(course, None, told, {}, record)
    assert why == "Passt zu dem, was Sie schildern – Schwerpunkt: Deeskalation."
    record = {"skills": ["Digitale Antragsverfahren"], "target_group": "Beschäftigte in Sozialämtern"}
    why = text.why(
        {"matched": ["beschweren"], "format": "online"}, "Sozialamt", told, {"format": ["online"]}, record
    )
    assert why == (
        "Passt zu dem, was Sie schildern – Schwerpunkt: Digitale Antragsverfahren – gedacht für "
        "Beschäftigte in Sozialämtern, und es ist wie gewünscht online."
    )


def test_several_needs_are_named_once_each_in_a_sentence(domain):
    from bot.actions.offers import OfferText

    text = OfferText(domain)
    told = "Die Leute beschweren sich, dass sie alles auf Papier einreichen müssen"
    other = "Ich verliere ständig den Überblick über meine Mails und Termine"
    assert text.topics([told, other]) == "dem, was Sie schildern,"
    assert text.topics([told, "Excel", "Datenschutz"]) == "Excel, Datenschutz und dem, was Sie schildern,"
    assert text.topics(["Excel"]) == "Excel"


def test_five_offers_on_one_topic_do_not_read_the_same(domain):
    from bot.actions.offers import OfferText

    text = OfferText(domain)
    offers = [
        ({"matched": ["Excel", "Pivot-Tabellen"]}, {}),
        ({"matched": ["Excel"]}, {"target_group": "Mitarbeitende in Kämmereien"}),
        ({"matched": ["Excel"], "level": "einsteiger"}, {}),
        ({"matched": [], "title": "Tabellen sicher nutzen: Kurs"}, {"skills": ["Tabellenkalkulation"]}),
    ]
    whys = [text.why(c, "Kämmerei", "Excel", {}, r) for c, r in offers]
    assert whys == [
        "Passt, weil es um Excel und Pivot-Tabellen geht.",
        "Passt, weil es um Excel geht – gedacht für Mitarbeitende in Kämmereien.",
        "Passt, weil es um Excel geht.",
        "Nah an Ihrem Thema „Excel“ – Schwerpunkt: Tabellenkalkulation.",
    ]
    level = text.why({"matched": ["Excel"], "level": "einsteiger"}, None, "Excel", {"level": ["einsteiger"]})
    assert level == "Passt, weil es um Excel geht, und es ist wie gewünscht für Einsteiger*innen."


@pytest.mark.asyncio
async def test_a_limit_tagged_in_part_is_read_from_the_whole_message(
    search_service, make_tracker, dispatcher, domain
):
    # "einsteiger, max 4 std": the NLU tagged only "max" as the duration
    tracker = make_tracker(
        slots={**PROFILE, "max_duration_hours": "max"}, text="einsteiger, max 4 std", intent="refine"
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert "utter_constraint_not_understood" not in [m.get("response") for m in dispatcher.messages]
    assert search_service.requests[0]["filters"]["max_duration_hours"] == 4.0
    assert slots_of(events)["max_duration_hours"] == 4.0


@pytest.mark.asyncio
async def test_a_word_of_the_duration_limit_tagged_as_a_cost_is_no_complaint(
    search_service, make_tracker, dispatcher, domain
):
    # set 12 (CE-007): "ich hab max 4 std zeit", the NLU tagged "max" as a cost
    text = "die sind mir zu lang, ich hab max 4 std zeit, mehr gibt mein ausbilder nicht frei"
    tracker = make_tracker(
        slots={**PROFILE, "max_cost_eur": "max", "max_duration_hours": "max 4 std"},
        text=text,
        intent="refine",
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert "utter_constraint_not_understood" not in [m.get("response") for m in dispatcher.messages]
    assert "max_cost_eur" not in search_service.requests[0]["filters"]
    assert search_service.requests[0]["filters"]["max_duration_hours"] == 4.0
    assert slots_of(events)["max_cost_eur"] is None


@pytest.mark.asyncio
async def test_unsure_entity_word_is_no_constraint(search_service, make_tracker, dispatcher, domain):
    # "kostenlos wäre super": DIET also tags "super" as a cost, unsure; the slot took the last value.
    tracker = make_tracker(
        slots={**PROFILE, "max_cost_eur": "super"},
        text="kostenlos wäre super",
        intent="refine",
        entities=[
            {"entity": "cost", "value": "kostenlos", "confidence_entity": 0.99},
            {"entity": "cost", "value": "super", "confidence_entity": 0.23},
        ],
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert "utter_constraint_not_understood" not in [m.get("response") for m in dispatcher.messages]
    assert search_service.requests[-1]["filters"]["max_cost_eur"] == 0
    assert slots_of(events)["max_cost_eur"] == 0


@pytest.mark.asyncio
async def test_a_format_the_sentence_wishes_is_not_replaced_by_one_it_rejects(
    search_service, make_tracker, dispatcher, domain
):
    # set 10 BD-004: both formats tagged, "praesenz" unsure: the search ran "wie gewünscht online"
    text = "Am liebsten wäre mir etwas in Präsenz, online ist das immer so steril."
    tracker = make_tracker(
        slots={**PROFILE, "format_pref": "praesenz"},
        text=text,
        intent="refine",
        entities=[
            {"entity": "format", "value": "praesenz", "confidence_entity": 0.3},
            {"entity": "format", "value": "online", "confidence_entity": 0.95},
        ],
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[-1]["filters"]["format"] == ["praesenz"]
    assert "format_pref" not in slots_of(events)  # the slot keeps "praesenz"
    assert not any("online" in str(m.get("why")) for m in dispatcher.messages)


def test_why_sentence_names_noun_topics_only(domain):
    from bot.actions.offers import OfferText

    course = {"matched": ["Datenschutz", "Datenschutz gewährleisten", "Bewertung der Datenqualität"]}
    why = OfferText(domain).why(course, "Ordnungsamt", "Datenschutz", {})
    assert "um Datenschutz und Bewertung der Datenqualität geht" in why and "gewährleisten" not in why


@pytest.mark.asyncio
async def test_a_tagged_level_the_sentence_does_not_state_is_no_wish_and_no_complaint(
    search_service, make_tracker, dispatcher, domain
):
    text = "Projektmanagement. Ich leite mein erstes Projekt, die Einführung eines neuen Fachverfahrens."
    tracker = make_tracker(
        slots={**PROFILE, "level_pref": "Einführung eines"}, text=text, intent="inform_skill_gap",
        entities=[{"entity": "level", "value": "Einführung eines", "confidence_entity": 0.9}],
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert "utter_constraint_not_understood" not in [m.get("response") for m in dispatcher.messages]
    assert "level" not in search_service.requests[0].get("filters", {})
    assert slots_of(events)["level_pref"] is None


@pytest.mark.asyncio
async def test_an_unsure_level_the_sentence_names_outright_is_a_wish(
    search_service, make_tracker, dispatcher, domain
):
    # set 13 (DD-005): DIET tagged "ohne Vorkenntnisse" unsurely; the wish was dropped, experts' courses came
    text = "Gibt's was zum Vergaberecht für Leute ohne Vorkenntnisse?"
    entities = [{"entity": "level", "value": "einsteiger", "confidence_entity": 0.3}]
    tracker = make_tracker(
        slots={**PROFILE, "level_pref": "einsteiger"}, text=text, intent="inform_skill_gap", entities=entities
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["filters"]["level"] == ["einsteiger"]
    assert slots_of(events).get("level_pref", "einsteiger") == "einsteiger"
    # an unsure level the sentence does not name stays no wish
    tracker = make_tracker(
        slots={**PROFILE, "level_pref": "einsteiger"}, text="Vergaberecht bitte", intent="inform_skill_gap",
        entities=entities,
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert slots_of(events)["level_pref"] is None


@pytest.mark.asyncio
async def test_an_unsure_piece_of_a_level_phrase_is_read_in_its_sentence(
    search_service, make_tracker, dispatcher, domain
):
    # set 13 (DD-005) after a retrain: DIET tagged only "Vorkenntnisse", unsurely, and the slot took it
    text = "Gibt's was zum Vergaberecht für Leute ohne Vorkenntnisse?"
    entities = [{"entity": "level", "value": "Vorkenntnisse", "confidence_entity": 0.35}]
    tracker = make_tracker(
        slots={**PROFILE, "level_pref": "Vorkenntnisse"}, text=text, intent="inform_skill_gap",
        entities=entities,
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert search_service.requests[0]["filters"]["level"] == ["einsteiger"]
    assert slots_of(events)["level_pref"] == "einsteiger"


@pytest.mark.asyncio
async def test_the_number_of_a_duration_is_no_budget(search_service, make_tracker, dispatcher, domain):
    # set 14 (EB-003): "8" of "8 std" tagged as a cost; the offers said "im Budget von 8 €"
    text = "höchstens ein tag also 8 std mehr kann ich nich weg"
    tracker = make_tracker(
        slots={**PROFILE, "max_cost_eur": "8", "max_duration_hours": "höchstens ein tag"}, text=text,
        intent="refine",
        entities=[{"entity": "cost", "value": "8"}, {"entity": "duration", "value": "höchstens ein tag"}],
    )
    events = await ActionRecommend().run(dispatcher, tracker, domain)
    assert "max_cost_eur" not in search_service.requests[0]["filters"]
    assert search_service.requests[0]["filters"]["max_duration_hours"] == 8.0
    assert slots_of(events)["max_cost_eur"] is None
    assert "utter_constraint_not_understood" not in responses(dispatcher)
