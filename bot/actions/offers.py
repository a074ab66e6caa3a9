"""What an offer is about and how it is told.

Relevance of search results to the user's topics, and the parts of an offer (labels, the "why it fits"
sentence, button titles) rendered from domain templates and label tables (``bot/domain/recommendations.yml``).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.types import DomainDict

from bot.actions import fill, render_response, response_custom
from bot.actions.parsing import MIN_GAP_WORDS, has_role, real_skills
from german.vocabulary import FORMATS

MIN_OFFERS = 3
MAX_TERM_WORDS = 3


def is_description(topic: str) -> bool:
    """A problem told in a sentence ("die Leute werden bei Kontrollen oft laut"), not a named topic."""
    return len(topic.split()) >= MIN_GAP_WORDS


def described(skills: Any) -> bool:
    return any(is_description(t) for t in real_skills(skills))


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
