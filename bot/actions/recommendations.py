"""Course recommendations: query the search service with the learner profile and present 3-5 offers.

All user-facing wording comes from the domain (``bot/domain/recommendations.yml``): whole messages are uttered
by response name; the parts of an offer (labels, the "why it fits" sentence, button titles) are rendered from
domain templates and label tables.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import fill, render_response, response_custom, search_client
from bot.actions.profile import (
    ANY,
    FORMATS,
    MIN_GAP_WORDS,
    SKIPPED,
    has_role,
    normalize_format,
    normalize_level,
    parse_cost_eur,
    parse_duration_hours,
    real_skills,
    shown_values,
    without_unsure_entities,
)

logger = logging.getLogger(__name__)

# Key of the structured offer in a message's custom payload (contract: bot/schemas/offer_card.schema.json).
OFFER_CARD_KEY = "kc_offer"
MAX_OFFERS = 5
MIN_OFFERS = 3
# Candidates asked from the search: more than shown, so that offers matching only the role can be skipped.
CANDIDATES = 10
MAX_TERM_WORDS = 3
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

_ORDINAL_WORDS = {
    "1": 1,
    "eins": 1,
    "ein": 1,
    "erste": 1,
    "ersten": 1,
    "erstes": 1,
    "erster": 1,
    "2": 2,
    "zwei": 2,
    "zweite": 2,
    "zweiten": 2,
    "zweites": 2,
    "zweiter": 2,
    "3": 3,
    "drei": 3,
    "dritte": 3,
    "dritten": 3,
    "drittes": 3,
    "dritter": 3,
    "4": 4,
    "vier": 4,
    "vierte": 4,
    "vierten": 4,
    "viertes": 4,
    "vierter": 4,
    "5": 5,
    "fünf": 5,
    "fuenf": 5,
    "fünfte": 5,
    "fünften": 5,
    "fünftes": 5,
    "fünfter": 5,
    "letzte": -1,
    "letzten": -1,
    "letztes": -1,
    "letzter": -1,
}


# ---------------------------------------------------------------------------------------------------------
# Plain functions (unit-tested without Rasa)
# ---------------------------------------------------------------------------------------------------------


def is_description(topic: str) -> bool:
    """A problem told in a sentence ("die Leute werden bei Kontrollen oft laut"), not a named topic."""
    return len(topic.split()) >= MIN_GAP_WORDS


def described(skills: Any) -> bool:
    return any(is_description(t) for t in real_skills(skills))


def build_query(role: Any, skills: Any) -> str:
    """Search text from skill gaps and role, e.g. "Excel, Datenschutz – Sachbearbeiterin im Bürgeramt".

    A described problem is searched on its own: the role words would outweigh it ("Ordnungsamt" finds
    every Ordnungsamt course, not the one on aggressive citizens).
    """
    topics = real_skills(skills)
    parts = []
    if topics:
        parts.append(", ".join(topics))
    if has_role(role) and not described(topics):
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


def parse_ordinal(value: Any, count: int) -> int | None:
    """1-based position from an ordinal ("2", "zweite", "letzte"); ``None`` if invalid for ``count``."""
    if value is None:
        return None
    text = str(value).strip().casefold().rstrip(".")
    text = re.sub(r"^(nr|nummer|no)\.?\s*", "", text)
    position = _ORDINAL_WORDS.get(text)
    if position is None:
        digits = re.search(r"\d+", text)
        position = int(digits.group(0)) if digits else None
    if position == -1:
        position = count
    if position is None or not 1 <= position <= count:
        return None
    return position


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


def topic_terms(course: dict[str, Any], role: Any) -> list[str]:
    """Terms the search matched in this offer, without those that only repeat the role ("Bürgeramt")."""
    matched = [m for m in (str(m).strip() for m in course.get("matched") or []) if m]
    if not has_role(role):
        return matched
    role_text = str(role).casefold()
    return [m for m in matched if m.casefold() not in role_text and role_text not in m.casefold()]


def _names_topic(term: str, topics: list[str]) -> bool:
    """The matched term contains one of the user's topics or a whole word of it ("Datenschutz gewährleisten"
    names "Datenschutz"; "Kinderschutz" does not)."""
    term_cf = term.casefold()
    term_words = set(re.findall(r"\w+", term_cf))
    for topic in topics:
        topic_cf = topic.casefold()
        if topic_cf in term_cf or term_cf in topic_cf:
            return True
        if any(len(w) >= 4 and w in term_words for w in re.findall(r"\w+", topic_cf)):
            return True
    return False


def relevant_results(
    results: list[dict[str, Any]], role: Any, skills: Any, by_ranking: bool = False
) -> list[dict[str, Any]]:
    """Offers that are about the user's topics, in search order.

    When the user named topics, offers in which the search matched a term naming a topic come first;
    offers with only a looser match (a related skill, not the role) fill up to ``MIN_OFFERS`` unless the
    search marks them weak. A match on the role alone ("Ordnungsamt") never counts; if no offer has a topic
    match, nothing fits. Without topics, or ``by_ranking`` (a described problem: its words rarely appear in
    an offer), the search ranking decides and its weak results are left out.
    """
    topics = real_skills(skills)
    if not topics or by_ranking:
        return [r for r in results if not r.get("weak")]
    loose = [r for r in results if topic_terms(r, role)]
    strict = [r for r in loose if any(_names_topic(t, topics) for t in topic_terms(r, role))]
    fill = [r for r in loose if r not in strict and not r.get("weak")][: max(0, MIN_OFFERS - len(strict))]
    return [r for r in loose if r in strict or r in fill]


def _reads_as_topic(term: str) -> bool:
    """Short noun phrases fit "es geht um …"; skill labels that are verb phrases ("Datenschutz gewährleisten":
    German nouns are capitalised, so a lower-case last word marks a verb) or long labels do not."""
    words = term.split()
    return len(words) <= MAX_TERM_WORDS and (len(words) == 1 or not words[-1][:1].islower())


def _join(items: list[str], and_word: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {and_word} {items[-1]}"


def _number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def _amount_text(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


class OfferText:
    """Renders the parts of an offer from the domain templates and label tables."""

    def __init__(self, domain: DomainDict) -> None:
        self.domain = domain
        self.labels = response_custom(domain, "utter_offer_labels")

    def label(self, table: str, key: Any) -> str:
        values = self.labels.get(table) or {}
        if key in values:
            return str(values[key])
        return str(key) if key not in (None, "") else str(self.labels.get("unknown", "–"))

    def duration(self, hours: Any) -> str:
        if not isinstance(hours, int | float) or hours <= 0:
            return str(self.labels.get("unknown", "–"))
        return fill(str(self.labels.get("duration", "{hours} h")), hours=_number_text(float(hours)))

    def cost(self, eur: Any) -> str:
        if not isinstance(eur, int | float) or eur < 0:
            return str(self.labels.get("unknown", "–"))
        if eur == 0:
            return str(self.labels.get("cost_free", "0 €"))
        return fill(str(self.labels.get("cost_amount", "{amount} €")), amount=_amount_text(float(eur)))

    def and_join(self, items: list[str]) -> str:
        return _join(items, str(self.labels.get("and", "und")))

    def preferences(self, course: dict[str, Any], filters: dict[str, Any]) -> list[str]:
        """Wishes of the user that this offer fulfils, as short German phrases."""
        phrases = []
        if filters.get("format") and course.get("format") in filters["format"]:
            phrases.append(self.label("format_wish", course.get("format")))
        if filters.get("level") and course.get("level") in filters["level"]:
            phrases.append(self.label("level_wish", course.get("level")))
        if "max_cost_eur" in filters and isinstance(course.get("cost_eur"), int | float):
            if course["cost_eur"] == 0:
                phrases.append(str(self.labels.get("cost_free", "0 €")))
            else:
                phrases.append(
                    fill(
                        str(self.labels.get("within_budget", "")),
                        amount=_amount_text(float(filters["max_cost_eur"])),
                    )
                )
        if "max_duration_hours" in filters and isinstance(course.get("duration_hours"), int | float):
            phrases.append(
                fill(
                    str(self.labels.get("within_time", "")),
                    hours=_number_text(float(filters["max_duration_hours"])),
                )
            )
        return [p for p in phrases if p]

    def why(self, course: dict[str, Any], role: Any, skills: Any, filters: dict[str, Any]) -> str:
        """One sentence why this offer fits this person (matched terms, role, fulfilled wishes)."""
        # Terms from the role ("Bürgeramt") are said in the role clause, not as a topic; long skill labels
        # ("Grundsätze des Datenschutzes respektieren") read badly in the sentence and are left out.
        topics = real_skills(skills)
        matched = [t for t in topic_terms(course, role) if _reads_as_topic(t)]
        if described(topics):
            # Words of a told problem that the offer shares; only nouns ("Papier", not "beschweren").
            matched = [t for t in matched if t[:1].isupper()]
        matched = matched[:3]
        prefs = self.preferences(course, filters)
        suffix = (
            render_response(self.domain, "utter_offer_why_prefs_suffix", prefs=self.and_join(prefs))
            if prefs
            else ""
        )
        values = {
            "role": role,
            "matched": self.and_join(matched),
            "topics": self.and_join(topics),
            "prefs": suffix,
        }
        if matched and has_role(role):
            name = "utter_offer_why_matched_role"
        elif matched:
            name = "utter_offer_why_matched"
        elif described(topics):
            name = "utter_offer_why_described_role" if has_role(role) else "utter_offer_why_described"
        elif topics:
            name = "utter_offer_why_topics"
        elif has_role(role):
            name = "utter_offer_why_role"
        else:
            name = "utter_offer_why_generic"
        return render_response(self.domain, name, **values)

    def item_values(
        self, number: int, course: dict[str, Any], role: Any, skills: Any, filters: dict[str, Any]
    ) -> dict[str, Any]:
        """Template variables of ``utter_offer_item`` (names avoid Rasa message keys like text/title)."""
        return {
            "number": number,
            "course_title": course.get("title") or course.get("id"),
            "provider": course.get("provider") or self.label("unknown", None),
            "course_format": self.label("format", course.get("format")),
            "duration": self.duration(course.get("duration_hours")),
            "course_level": self.label("level", course.get("level")),
            "cost": self.cost(course.get("cost_eur")),
            "link": course.get("url") or "",
            "why": self.why(course, role, skills, filters),
        }

    def card(self, values: dict[str, Any], course: dict[str, Any]) -> dict[str, Any]:
        """The structured offer for channels that show cards (bot/schemas/offer_card.schema.json).

        ``values`` are this offer's ``item_values``; every German word comes from the domain's labels.
        """
        number = int(values["number"])
        return {
            "number": number,
            "id": str(course.get("id") or ""),
            "title": str(values["course_title"]),
            "provider": str(values["provider"]),
            "format": course.get("format") if course.get("format") in FORMATS else None,
            "format_label": str(values["course_format"]),
            "duration_label": str(values["duration"]),
            "level_label": str(values["course_level"]),
            "cost_label": str(values["cost"]),
            "why": str(values["why"]),
            "url": str(values["link"]) or None,
            "actions": [self.button("card_details", n=number), self.button("card_more", n=number)],
        }

    def button(self, key: str, **values: Any) -> dict[str, str]:
        spec = (self.labels.get("buttons") or {}).get(key) or {}
        return {
            "title": fill(str(spec.get("title", key)), **values),
            "payload": fill(str(spec.get("payload", "")), **values),
        }


def result_summary(course: dict[str, Any]) -> dict[str, Any]:
    """What we remember about a shown offer (for details, "mehr wie das erste" and relative refinements)."""
    return {
        "id": course.get("id"),
        "title": course.get("title"),
        "matched": list(course.get("matched") or [])[:5],
        "format": course.get("format"),
        "duration_hours": course.get("duration_hours"),
        "cost_eur": course.get("cost_eur"),
    }


def constraint_phrases(text: OfferText, filters: dict[str, Any]) -> list[str]:
    """The user's active hard constraints in German (for the honest "nothing found" message)."""
    phrases = []
    for fmt in filters.get("format", []):
        phrases.append(text.label("format_wish", fmt))
    for level in filters.get("level", []):
        phrases.append(text.label("level_wish", level))
    if "max_cost_eur" in filters:
        if filters["max_cost_eur"] == 0:
            phrases.append(str(text.labels.get("cost_free", "0 €")))
        else:
            phrases.append(
                fill(str(text.labels.get("within_budget", "")), amount=_amount_text(filters["max_cost_eur"]))
            )
    if "max_duration_hours" in filters:
        phrases.append(
            fill(str(text.labels.get("within_time", "")), hours=_number_text(filters["max_duration_hours"]))
        )
    return [p for p in phrases if p]


# ---------------------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------------------


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
        "level_pref": normalize_level,
        "max_cost_eur": lambda v: parse_cost_eur(v, shown_values(last_results, "cost_eur")),
        "max_duration_hours": lambda v: parse_duration_hours(v, shown_values(last_results, "duration_hours")),
    }
    for slot, parser in parsers.items():
        raw = without_unsure_entities(tracker, PREFERENCE_ENTITIES[slot], tracker.get_slot(slot))
        value = parser(raw) if raw is not None else None
        if raw is not None and value is None:
            dispatcher.utter_message(response="utter_constraint_not_understood", value=str(raw))
        if value == ANY and slot in ("max_cost_eur", "max_duration_hours"):
            value = None
        parsed[slot] = value
        if value != tracker.get_slot(slot):
            events.append(SlotSet(slot, value))
    return parsed, events


class ActionRecommend(Action):
    """Search with the current profile and show 3-5 offers (or say honestly that nothing fits)."""

    def name(self) -> str:
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = OfferText(domain)
        prefs, events = _normalised_preferences(tracker, dispatcher)
        role = tracker.get_slot("role")
        skills = tracker.get_slot("skill_gaps")
        filters = build_filters(
            prefs["format_pref"], prefs["level_pref"], prefs["max_cost_eur"], prefs["max_duration_hours"]
        )
        shown = [i for i in tracker.get_slot("shown_course_ids") or [] if isinstance(i, str)]
        last_results = tracker.get_slot("last_results") or []

        trigger = latest_search_intent(tracker)
        exclude = shown if trigger in EXCLUDE_SHOWN_INTENTS else []
        query = build_query(role, skills)
        retry_payload = "/request_recommendations"
        base = None
        if trigger == "more_like":
            ordinal_value = next(tracker.get_latest_entity_values("ordinal"), None)
            position = parse_ordinal(ordinal_value, len(last_results))
            if position is not None:
                base = last_results[position - 1]
                query = " – ".join(filter(None, [base.get("title"), ", ".join(base.get("matched") or [])]))
                retry_payload = "/more_like" + json.dumps({"ordinal": str(position)})
            else:
                retry_payload = "/more_like"

        try:
            answer = await search_client.search(query, k=CANDIDATES, filters=filters, exclude_ids=exclude)
        except search_client.SearchUnavailable as exc:
            logger.warning("Search failed: %s", exc)
            dispatcher.utter_message(response="utter_search_unavailable", retry_payload=retry_payload)
            return events

        results = [r for r in answer.get("results", []) if isinstance(r, dict) and r.get("id")]
        # "Mehr wie Nr. 2" searches with that offer's title and terms; "Mehr dazu" without a number is the
        # same search again without the offers already shown, so the same relevance rules apply.
        query_skills = [query] if base is not None else skills
        by_ranking = base is None and described(skills)
        results = relevant_results(results, role, query_skills, by_ranking)[:MAX_OFFERS]
        # With named topics, "an offer matches a topic term" is the relevance test (the service's
        # no_good_match also reacts to the role words in the query); otherwise the service's verdict decides.
        named_topics = bool(real_skills(query_skills)) and not by_ranking
        if not results or (answer.get("no_good_match") and not named_topics):
            self._utter_nothing_found(dispatcher, text, filters, skills, more=bool(exclude))
            return events

        if len(results) < MIN_OFFERS:  # fewer, but only offers that really are about the topic
            logger.info("Only %d relevant offers for query %r with filters %s", len(results), query, filters)
        if len(results) == 1:
            dispatcher.utter_message(response="utter_offers_intro_one")
        else:
            dispatcher.utter_message(response="utter_offers_intro", count=len(results))
        for number, course in enumerate(results, start=1):
            values = text.item_values(number, course, role, skills, filters)
            card = {OFFER_CARD_KEY: text.card(values, course)}
            dispatcher.utter_message(response="utter_offer_item", json_message=card, **values)
        buttons = [text.button("more")]
        if prefs["format_pref"] != "online":
            buttons.append(text.button("online"))
        buttons.append(text.button("other"))
        buttons.extend(text.button("details", n=n) for n in range(1, len(results) + 1))
        dispatcher.utter_message(response="utter_offers_followup", buttons=buttons)

        new_ids = [r["id"] for r in results]
        shown_ids = (exclude + [i for i in new_ids if i not in exclude]) if exclude else new_ids
        return events + [
            SlotSet("shown_course_ids", shown_ids),
            SlotSet("last_results", [result_summary(r) for r in results]),
        ]

    @staticmethod
    def _utter_nothing_found(
        dispatcher: CollectingDispatcher, text: OfferText, filters: dict[str, Any], skills: Any, more: bool
    ) -> None:
        topics = text.and_join(real_skills(skills)) or str(text.labels.get("your_topic", ""))
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
        values = text.item_values(
            position, course, tracker.get_slot("role"), tracker.get_slot("skill_gaps"), {}
        )
        values["description"] = course.get("description") or ""
        values["target_group"] = course.get("target_group") or text.label("unknown", None)
        buttons = [text.button("similar", n=position), text.button("other")]
        dispatcher.utter_message(response="utter_offer_details", buttons=buttons, **values)
        return []


__all__ = ["ActionRecommend", "ActionShowDetails", "SKIPPED"]
