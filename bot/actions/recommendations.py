"""Course recommendations: one search per need, merged into one list of 3-5 offers with each need represented.

All user-facing wording comes from the domain (``bot/domain/recommendations.yml``): whole messages are uttered
by response name; the parts of an offer are rendered by ``bot.actions.offers``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import render_response, search_client
from bot.actions.needs import content_words, is_description
from bot.actions.offers import (
    MIN_OFFERS,
    OfferText,
    constraint_phrases,
    interleave,
    met_constraints,
    names_a_subject,
    relevant_results,
    result_summary,
    violated_constraints,
)
from bot.actions.parsing import (
    ANY,
    SKIPPED,
    has_role,
    normalize_format,
    normalize_level,
    parse_cost_eur,
    parse_duration_hours,
    parse_ordinal,
    real_skills,
    shown_values,
)
from bot.actions.profile import (
    duration_said,
    format_said,
    level_said,
    slot_before_message,
    without_unsure_entities,
)
from german import quantities
from german.folding import fold
from german.numbers import ordinal_in_text
from german.vocabulary import level_in_answer, without_topic_basics

logger = logging.getLogger(__name__)

# Key of the structured offer in a message's custom payload (contract: bot/schemas/offer_card.schema.json).
OFFER_CARD_KEY = "kc_offer"
MAX_OFFERS = 5
# Candidates asked from the search: more than shown, so that offers matching only the role can be skipped.
CANDIDATES = 10
# Offers shown when nothing met all of the person's constraints (each says how it departs from them).
NEAR_MISSES = 3
# A constrained offer for a told problem counts only if, without the constraints, it scores at least this
# share of the best offer (the search marks results far below its best as weak in the same way).
TOLD_MIN_SHARE = 0.5
# Search query when the user skipped both role and topics (not shown to users).
GENERIC_QUERY = "Weiterbildung für Mitarbeitende der Kommunalverwaltung"

# Preference slot -> the entity that fills it (bot/domain/profile.yml).
PREFERENCE_ENTITIES = {
    "format_pref": "format",
    "level_pref": "level",
    "max_cost_eur": "cost",
    "max_duration_hours": "duration",
}

# Intents that start a search; the most recent one decides whether offers already shown are excluded.
SEARCH_INTENTS = {
    "request_recommendations",
    "refine",
    "more_like",
    "request_other_topics",
    "inform_role",
    "inform_skill_gap",
}
EXCLUDE_SHOWN_INTENTS = {"more_like", "request_other_topics", "request_recommendations"}


# ---------------------------------------------------------------------------------------------------------
# Plain functions (unit-tested without Rasa)
# ---------------------------------------------------------------------------------------------------------


def build_query(role: Any, need: str | None) -> str:
    """Search text for one need, e.g. "Excel – Sachbearbeiterin im Bürgeramt".

    A described problem is searched on its own: the role words would outweigh it ("Ordnungsamt" finds
    every Ordnungsamt course, not the one on aggressive citizens).
    """
    parts = []
    if need:
        parts.append(need)
    if has_role(role) and not (need and is_description(need)):
        parts.append(str(role))
    return " – ".join(parts) if parts else GENERIC_QUERY


def build_filters(
    format_pref: Any, level_pref: Any, max_cost_eur: Any, max_duration_hours: Any
) -> dict[str, Any]:
    """Hard filters for POST /search from normalised preferences (``ANY``/``None`` mean no filter)."""
    filters: dict[str, Any] = {}
    fmt = normalize_format(format_pref)
    if fmt and fmt != ANY:
        filters["format"] = [fmt]
    level = normalize_level(level_pref)
    if level and level != ANY:
        filters["level"] = [level]
    if isinstance(max_cost_eur, int | float) and not isinstance(max_cost_eur, bool):
        filters["max_cost_eur"] = max_cost_eur
    if isinstance(max_duration_hours, int | float) and not isinstance(max_duration_hours, bool):
        filters["max_duration_hours"] = max_duration_hours
    return filters


def latest_search_intent(tracker: Tracker) -> str | None:
    """Most recent user intent that can start a search (skips small talk and form answers like ``skip``)."""
    for event in reversed(tracker.events):
        if event.get("event") == "restart":
            return None
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in SEARCH_INTENTS:
            return intent
    return None


# Topic words shorter than this are no evidence that a need is named ("IT" in "mit").
MIN_NAMING_WORD = 4


def needs_named(text: str, needs: list[str]) -> list[str]:
    """The known needs a message names ("mehr zu Datenschutz bitte" with needs Excel and Datenschutz ->
    Datenschutz): a content word of the need (at least ``MIN_NAMING_WORD`` letters) starts a word of the
    message, so "Datenschutzkurse" names "Datenschutz" too."""
    words = [fold(w) for w in content_words(text)]
    named = []
    for need in needs:
        keys = [fold(w) for w in content_words(need) if len(w) >= MIN_NAMING_WORD]
        if any(
            word.startswith(key) or (key.startswith(word) and len(word) >= MIN_NAMING_WORD)
            for key in keys
            for word in words
        ):
            named.append(need)
    return named


# ---------------------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------------------


# The cost or duration limit a message states in its own words ("max 4 std"), for an entity the NLU cut short.
WISH_IN_OWN_WORDS = {"max_cost_eur": quantities.cost_wish, "max_duration_hours": quantities.duration_wish}


def _part_of_other_limit(tracker: Tracker, slot: str, raw: Any) -> bool:
    """``raw`` (a tagged piece of a limit) belongs to the limit of the other kind the message words."""
    others = [words for name, words in WISH_IN_OWN_WORDS.items() if name != slot]
    text = str((tracker.latest_message or {}).get("text") or "")
    said = [words(text) for words in others]
    return any(phrase and str(raw).lower() in phrase.lower() for phrase in said)


_OTHER_UNIT = {
    "max_cost_eur": r"(?:std|stunden?|stund|stond|h|tage?|tag|min|minuten)\b",
    "max_duration_hours": r"(?:€|eur\b|euro)",
}


def _number_of_other_limit(tracker: Tracker, slot: str, raw: Any) -> bool:
    """The NLU took the number of the other limit for this one: "8" of "also 8 std" as a cost."""
    text = str((tracker.latest_message or {}).get("text") or "")
    unit = _OTHER_UNIT.get(slot)
    if unit is None or not str(raw or "").strip():
        return False
    return re.search(rf"(?<![\d.,]){re.escape(str(raw).strip())}\s*{unit}", text, re.IGNORECASE) is not None


def level_stated_outright(tracker: Tracker, slot_value: Any) -> Any:
    """A level the NLU tagged unsurely, kept when the sentence names it outright ("Gibt's was zum
    Vergaberecht für Leute ohne Vorkenntnisse?"), also when only a piece of the phrase was tagged
    ("Vorkenntnisse"): then the level the sentence names; None otherwise."""
    if slot_value is None or slot_value == slot_before_message(tracker, "level_pref"):
        return None
    text = str((tracker.latest_message or {}).get("text") or "")
    stated = level_in_answer(fold(without_topic_basics(text)), explicit_only=True)
    if stated is None:
        return None
    tagged = normalize_level(slot_value)
    if tagged == stated:
        return slot_value
    return stated if tagged is None else None


def _normalised_preferences(
    tracker: Tracker, dispatcher: CollectingDispatcher
) -> tuple[dict[str, Any], list[EventType]]:
    """Parse the preference slots (raw entity text -> numbers/canonical values) and write them back.

    A value that cannot be understood is reported to the user and dropped, never silently.
    """
    last_results = tracker.get_slot("last_results")
    parsed: dict[str, Any] = {}
    events: list[EventType] = []
    parsers = {
        "format_pref": normalize_format,
        "level_pref": lambda v: level_said(tracker, v),
        "max_cost_eur": lambda v: parse_cost_eur(v, shown_values(last_results, "cost_eur")),
        "max_duration_hours": lambda v: parse_duration_hours(v, shown_values(last_results, "duration_hours")),
    }
    for slot, parser in parsers.items():
        raw = without_unsure_entities(tracker, PREFERENCE_ENTITIES[slot], tracker.get_slot(slot))
        if slot == "level_pref" and raw is None:
            raw = level_stated_outright(tracker, tracker.get_slot(slot))
        if slot == "max_duration_hours":
            raw = duration_said(tracker, raw)
        if slot == "format_pref":
            raw = format_said(tracker, raw)
        if raw is not None and _number_of_other_limit(tracker, slot, raw):
            raw = slot_before_message(tracker, slot)  # "höchstens ein tag also 8 std" is no budget of 8 €
        value = parser(raw) if raw is not None else None
        if raw is not None and value is None and slot in WISH_IN_OWN_WORDS:
            # The NLU tagged a piece of the limit ("max" of "einsteiger, max 4 std"): the limit as the
            # message words it, if it has one.
            said = WISH_IN_OWN_WORDS[slot](str((tracker.latest_message or {}).get("text") or ""))
            value = parser(said) if said else None
        # A tagged level the sentence does not state is no wish (``level_said``), not a misunderstanding; nor
        # is a word of the other limit ("max" of "ich hab max 4 std zeit" tagged as a cost).
        misunderstood = raw is not None and value is None and slot != "level_pref"
        if misunderstood and not _part_of_other_limit(tracker, slot, raw):
            dispatcher.utter_message(response="utter_constraint_not_understood", value=str(raw))
        if value == ANY and slot in ("max_cost_eur", "max_duration_hours"):
            value = None
        parsed[slot] = value
        if value != tracker.get_slot(slot):
            events.append(SlotSet(slot, value))
    return parsed, events


class ActionRecommend(Action):
    """One search per need, 3-5 offers with each need represented (or honestly: nothing fits)."""

    def name(self) -> str:
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = OfferText(domain)
        prefs, events = _normalised_preferences(tracker, dispatcher)
        role = tracker.get_slot("role")
        needs = real_skills(tracker.get_slot("skill_gaps"))
        filters = build_filters(
            prefs["format_pref"], prefs["level_pref"], prefs["max_cost_eur"], prefs["max_duration_hours"]
        )
        shown = [i for i in tracker.get_slot("shown_course_ids") or [] if isinstance(i, str)]
        last_results = tracker.get_slot("last_results") or []

        trigger = latest_search_intent(tracker)
        exclude = shown if trigger in EXCLUDE_SHOWN_INTENTS else []
        searches: list[tuple[str | None, str]] = [(need, build_query(role, need)) for need in needs]
        if not searches:
            searches = [(None, build_query(role, None))]
        retry_payload = "/request_recommendations"
        similar = False
        if trigger == "more_like":
            ordinal_value = next(tracker.get_latest_entity_values("ordinal"), None)
            position = parse_ordinal(ordinal_value, len(last_results))
            if position is not None:
                base = last_results[position - 1]
                query = " – ".join(filter(None, [base.get("title"), ", ".join(base.get("matched") or [])]))
                searches, similar = [(query, query)], True
                retry_payload = "/more_like" + json.dumps({"ordinal": str(position)})
            else:
                retry_payload = "/more_like"
                # "Mehr zu Datenschutz bitte": more of the named need only, not of every need.
                named = needs_named(str((tracker.latest_message or {}).get("text") or ""), needs)
                if named:
                    searches = [(need, build_query(role, need)) for need in named]

        try:
            answers = await asyncio.gather(
                *(
                    search_client.search(query, k=CANDIDATES, filters=filters, exclude_ids=exclude)
                    for _, query in searches
                )
            )
        except search_client.SearchUnavailable as exc:
            logger.warning("Search failed: %s", exc)
            dispatcher.utter_message(response="utter_search_unavailable", retry_payload=retry_payload)
            return events

        found = [
            relevant(answer, role, need, more=bool(exclude))
            for (need, _), answer in zip(searches, answers, strict=True)
        ]
        plain: list[dict[str, Any]] | None = None  # the same searches without the constraints
        if filters and not exclude and not similar and any(_told(need) for need, _ in searches):
            try:
                plain = await _unconstrained(searches)
            except search_client.SearchUnavailable as exc:
                logger.warning("Search without the constraints failed: %s", exc)
            if plain is not None:
                found = [
                    among_the_best(hits, answer, role) if _told(need) else hits
                    for (need, _), hits, answer in zip(searches, found, plain, strict=True)
                ]
        chosen = interleave(found, MAX_OFFERS)
        near_miss = False
        if not chosen and filters and not exclude and not similar:
            try:
                plain = plain or await _unconstrained(searches)
                chosen = near_misses(searches, role, filters, plain)
            except search_client.SearchUnavailable as exc:
                logger.warning("Search without the constraints failed: %s", exc)
            near_miss = bool(chosen)
        if not chosen:
            self._utter_nothing_found(dispatcher, text, filters, needs, more=bool(exclude))
            return events
        if len(chosen) < MIN_OFFERS:  # fewer, but only offers that really are about the needs
            # Counts only: the needs and the filters are what the person typed (no personal data in logs).
            logger.info(
                "Only %d relevant offers for %d needs (fewer than %d)",
                len(chosen),
                len(needs),
                MIN_OFFERS,
            )
        records = await _records([course for _, course in chosen])
        if near_miss:
            topics = text.topics(needs) or str(text.labels.get("your_topic", ""))
            dispatcher.utter_message(
                response="utter_no_results_constraints_near_one"
                if len(chosen) == 1
                else "utter_no_results_constraints_near",
                topics=topics,
                constraints=text.and_join(constraint_phrases(text, filters)),
            )
        elif len(chosen) == 1:
            dispatcher.utter_message(response="utter_offers_intro_one")
        else:
            dispatcher.utter_message(response="utter_offers_intro", count=len(chosen))
        several = len({index for index, _ in chosen}) > 1
        for number, ((index, course), record) in enumerate(zip(chosen, records, strict=True), start=1):
            need = None if similar else searches[index][0]
            met = met_constraints(course, filters) if near_miss else filters
            why = text.why(course, role, need, met, record, several=several, similar=similar)
            if near_miss:
                why += render_response(
                    domain,
                    "utter_offer_why_deviation_suffix",
                    deviations=text.and_join(text.deviations(course, filters)),
                )
            values = text.item_values(number, course, why)
            card = {OFFER_CARD_KEY: text.card(values, course)}
            dispatcher.utter_message(response="utter_offer_item", json_message=card, **values)
        missing = [n for (n, _), hits in zip(searches, found, strict=True) if n and not hits]
        if missing and not similar and not near_miss:
            # after "mehr" a need may have had its offers already: "nothing more", not "nothing found"
            response = "utter_need_no_more" if exclude else "utter_need_not_found"
            dispatcher.utter_message(response=response, topics=text.topics(missing))
        buttons = followup_buttons(text, prefs, role, len(chosen))
        if near_miss:
            buttons.insert(1, text.button("no_filters"))
        dispatcher.utter_message(response="utter_offers_followup", buttons=buttons)

        new_ids = [str(course["id"]) for _, course in chosen]
        shown_ids = (exclude + [i for i in new_ids if i not in exclude]) if exclude else new_ids
        return events + [
            SlotSet("shown_course_ids", shown_ids),
            SlotSet("last_results", [result_summary(course) for _, course in chosen]),
        ]

    @staticmethod
    def _utter_nothing_found(
        dispatcher: CollectingDispatcher,
        text: OfferText,
        filters: dict[str, Any],
        needs: list[str],
        more: bool,
    ) -> None:
        topics = text.topics(needs) or str(text.labels.get("your_topic", ""))
        constraints = constraint_phrases(text, filters)
        buttons = []
        if constraints:
            buttons.append(text.button("no_filters"))
        buttons.extend([text.button("other"), text.button("human")])
        if more:
            dispatcher.utter_message(response="utter_no_more_results", topics=topics, buttons=buttons)
        elif constraints:
            dispatcher.utter_message(
                response="utter_no_results_constraints",
                topics=topics,
                constraints=text.and_join(constraints),
                buttons=buttons,
            )
        else:
            dispatcher.utter_message(response="utter_no_results", topics=topics, buttons=buttons)


def _told(need: str | None) -> bool:
    return bool(need) and is_description(need or "")


async def _unconstrained(searches: list[tuple[str | None, str]]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(search_client.search(query, k=CANDIDATES) for _, query in searches)))


def among_the_best(
    hits: list[dict[str, Any]], plain: dict[str, Any], role: Any = None
) -> list[dict[str, Any]]:
    """The offers of a constrained search for a told problem that are also among the best without the
    constraints. A constraint narrows the ranking to whatever is left: "Bauträger verhandeln besser" within
    400 € ranked "Digitale Souveränität" first (a third of the best score without the budget). When the
    constraints removed the best offer, one that is left for words it shares must share a noun of substance
    with the problem (within 250 € and 4 hours, "Vollstreckung, Pfändung … Da sind einige Kolleginnen neu"
    kept only "Feedback geben und annehmen unter Kolleg*innen")."""
    results = [
        r for r in plain.get("results", []) if isinstance(r, dict) and isinstance(r.get("score"), int | float)
    ]
    best = max((float(r["score"]) for r in results), default=0.0)
    good = {r.get("id") for r in results if best > 0 and float(r["score"]) >= TOLD_MIN_SHARE * best}
    kept = [h for h in hits if h.get("id") in good]
    top = results[0].get("id") if results else None
    if top is not None and all(h.get("id") != top for h in hits):
        kept = [h for h in kept if not h.get("matched") or names_a_subject(h, role)]
    return kept


def near_misses(
    searches: list[tuple[str | None, str]], role: Any, filters: dict[str, Any], plain: list[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """Nothing met all constraints: the offers about the needs found without them (``plain``), those that
    miss the fewest constraints first (a human advisor says "rein online gibt es das nicht, aber teils
    online …")."""
    ranked = []
    for (need, _), answer in zip(searches, plain, strict=True):
        hits = relevant(answer, role, need)
        hits = among_the_best(hits, answer, role) if _told(need) else hits
        # an offer that meets every constraint was judged no fit already; the search rank decides next
        misses = [(violated_constraints(course, filters), course) for course in hits]
        ranked.append([course for count, course in sorted(misses, key=lambda m: m[0]) if count])
    return interleave(ranked, NEAR_MISSES)


def relevant(answer: dict[str, Any], role: Any, need: str | None, more: bool = False) -> list[dict[str, Any]]:
    """The offers of one search that are about its need (none if the search says nothing fits a told need)."""
    results = [r for r in answer.get("results", []) if isinstance(r, dict) and r.get("id")]
    if need is None and answer.get("no_good_match"):
        return []
    # A named topic: "an offer matches a topic term" is the relevance test (the service's no_good_match also
    # reacts to the role words in the query). A told problem: the search ranking decides, without weak
    # fill-ups; its no_good_match is no verdict (long colloquial descriptions score low against the calibrated
    # threshold while their best offers fit: "die Leute werden bei uns immer öfter laut" -> Deeskalation).
    told = need is None or is_description(need)
    return relevant_results(results, role, [need] if need else [], by_ranking=told, more=more)


def followup_buttons(text: OfferText, prefs: dict[str, Any], role: Any, count: int) -> list[dict[str, str]]:
    """ "Mehr dazu", the refinements not chosen yet (Nur online / Nur Präsenz / Für Einsteiger, the role
    question), "Andere Themen" and "Details zu Nr. N"."""
    buttons = [text.button("more")]
    if prefs.get("format_pref") != "online":
        buttons.append(text.button("online"))
    if prefs.get("format_pref") != "praesenz":
        buttons.append(text.button("praesenz"))
    if prefs.get("level_pref") in (None, ANY):
        buttons.append(text.button("beginner"))
    if not has_role(role):
        buttons.append(text.button("role"))
    buttons.append(text.button("other"))
    buttons.extend(text.button("details", n=n) for n in range(1, count + 1))
    return buttons


async def _records(courses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalog entries of the offers shown (skills, target group); {} where the service cannot say."""

    async def one(course_id: str) -> dict[str, Any]:
        try:
            return await search_client.get_course(course_id)
        except (search_client.CourseNotFound, search_client.SearchUnavailable):
            return {}

    return list(await asyncio.gather(*(one(str(c["id"])) for c in courses)))


class ActionShowDetails(Action):
    """ "Details zu Nr. N": full description of offer N from the last results (GET /courses/{id})."""

    def name(self) -> str:
        return "action_show_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        last_results = [
            r for r in tracker.get_slot("last_results") or [] if isinstance(r, dict) and r.get("id")
        ]
        if not last_results:
            dispatcher.utter_message(response="utter_no_offers_yet")
            return []
        ordinal_value = next(tracker.get_latest_entity_values("ordinal"), None)
        if ordinal_value is None:  # "Was koschtet denn des zwoite?": a dialect ordinal the NLU did not tag
            ordinal_value = ordinal_in_text(str((tracker.latest_message or {}).get("text") or ""))
        position = parse_ordinal(ordinal_value, len(last_results))
        if position is None and ordinal_value is None and len(last_results) == 1:
            position = 1
        if position is None:
            dispatcher.utter_message(response="utter_ask_which_offer", count=len(last_results))
            return []
        course_id = last_results[position - 1]["id"]
        try:
            course = await search_client.get_course(course_id)
        except search_client.CourseNotFound:
            logger.warning("Course %s from last results is unknown to the search service", course_id)
            dispatcher.utter_message(response="utter_offer_gone", number=position)
            return []
        except search_client.SearchUnavailable as exc:
            logger.warning("Course details failed: %s", exc)
            payload = "/ask_details" + json.dumps({"ordinal": str(position)})
            dispatcher.utter_message(response="utter_search_unavailable", retry_payload=payload)
            return []
        text = OfferText(domain)
        values = text.item_values(position, course, "")
        values["description"] = course.get("description") or ""
        values["target_group"] = course.get("target_group") or text.label("unknown", None)
        buttons = [text.button("similar", n=position), text.button("other")]
        dispatcher.utter_message(response="utter_offer_details", buttons=buttons, **values)
        return []


__all__ = ["ActionRecommend", "ActionShowDetails", "SKIPPED"]
