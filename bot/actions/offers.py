"""What an offer is about and how it is told.

Relevance of search results to one need, the merge of the offers for several needs into one list, and the
parts of an offer (labels, the "why it fits" sentence, button titles) rendered from domain templates and label
tables (``bot/domain/recommendations.yml``). The "why" sentence names what this offer shares with the need:
the matched topic words, the offer's own focus, its target group when it matches the person's role, and the
stated wishes it meets, so that five offers do not read the same.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.types import DomainDict

from bot.actions import fill, render_response, response_custom
from bot.actions.needs import is_description
from bot.actions.parsing import has_role, real_skills
from german.folding import fold
from german.vocabulary import FORMATS

MIN_OFFERS = 3
MAX_TERM_WORDS = 3
MAX_MATCHED = 3
MAX_NEED_LABEL_CHARS = 40
# Role words that say nothing about a target group ("Mitarbeiterin in der Stadtverwaltung").
_GENERIC_ROLE_WORDS = frozenset(
    fold(w)
    for w in "verwaltung stadtverwaltung gemeinde stadt kommune kreis landkreis mitarbeiter mitarbeiterin "
    "mitarbeitende beschäftigte kollegin kollege team bereich abteilung".split()
)
MIN_STEM = 5


def described(skills: Any) -> bool:
    return any(is_description(t) for t in real_skills(skills))


def interleave(lists: list[list[dict[str, Any]]], limit: int) -> list[tuple[int, dict[str, Any]]]:
    """One list from the offers for several needs: the best of each need first, then the second best …

    Returns (need index, offer) pairs; an offer found for two needs counts for the first.
    """
    chosen: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for rank in range(max((len(found) for found in lists), default=0)):
        for index, found in enumerate(lists):
            if rank < len(found) and found[rank].get("id") not in seen and len(chosen) < limit:
                seen.add(str(found[rank].get("id")))
                chosen.append((index, found[rank]))
    return chosen


def need_label(need: str) -> str:
    """A need as quoted in a sentence, shortened at a word boundary."""
    if len(need) <= MAX_NEED_LABEL_CHARS:
        return need
    return need[:MAX_NEED_LABEL_CHARS].rsplit(" ", 1)[0] + " …"


def _stems(text: str) -> set[str]:
    words = re.findall(r"\w+", fold(text))
    kept = [w for w in words if len(w) >= MIN_STEM and w not in _GENERIC_ROLE_WORDS]
    return {w[: max(MIN_STEM, len(w) - 3)] for w in kept}


def shares_target_group(role: Any, target_group: Any) -> bool:
    """The offer's target group names the person's unit or job ("Kämmerei" ~ "Beschäftigte in Kämmereien")."""
    if not has_role(role) or not isinstance(target_group, str) or not target_group:
        return False
    target_words = re.findall(r"\w+", fold(target_group))
    return any(any(word.startswith(stem) for word in target_words) for stem in _stems(str(role)))


def focus(record: dict[str, Any]) -> str:
    """The offer's own main topic: its first plain skill label, else the first label that reads as a topic."""
    labels = [s if isinstance(s, str) else str(s.get("label", "")) for s in record.get("skills") or []]
    plain = [s for s in record.get("skills") or [] if isinstance(s, str) and s.strip()]
    for label in plain + [lbl for lbl in labels if _reads_as_topic(lbl)]:
        return label.strip()
    return ""


def topic_terms(course: dict[str, Any], role: Any) -> list[str]:
    """Terms the search matched in this offer, without those that only repeat the role ("Bürgeramt")."""
    matched = [m for m in (str(m).strip() for m in course.get("matched") or []) if m]
    if not has_role(role):
        return matched
    role_text = str(role).casefold()
    return [m for m in matched if m.casefold() not in role_text and role_text not in m.casefold()]


# Endings of an inflected adjective ("kommunalen", "öffentlichen", "digitale", "rechtssicheren").
_INFLECTED_ADJECTIVE = re.compile(r"(?:al|ig|lich|isch|iv|ell|är|ar|bar|sam|haft|los|er)(?:e|en|em|er|es)$")


def other_word_class(term: str, topics: list[str]) -> bool:
    """The term is one lower-case word that a topic writes capitalised: German capitals tell the verb
    "arbeiten" the search matched from the noun in "agiles Arbeiten", which it does not name. Nor is an
    inflected adjective a topic in a topic that capitalises its nouns ("zum kommunalen Abgabenrecht" made
    "Passt, weil es um kommunalen geht" on an offer about Kommunalrecht for trainees)."""
    if not term[:1].islower() or len(term.split()) != 1:
        return False
    folded = term.casefold()
    words = [w for t in topics for w in re.findall(r"\w+", t)]
    if any(w.casefold() == folded and w[:1].isupper() for w in words):
        return True
    capitalises = any(w[:1].isupper() for w in words)
    return capitalises and folded in words and bool(_INFLECTED_ADJECTIVE.search(folded))


def need_terms(course: dict[str, Any], role: Any, topics: list[str]) -> list[str]:
    """``topic_terms`` without words that only share their letters with a topic (``other_word_class``)."""
    return [t for t in topic_terms(course, role) if not other_word_class(t, topics)]


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
    results: list[dict[str, Any]], role: Any, skills: Any, by_ranking: bool = False, more: bool = False
) -> list[dict[str, Any]]:
    """Offers that are about the user's topics, in search order.

    When the user named topics, offers in which the search matched a term naming a topic come first;
    offers with only a looser match (a related skill, not the role) fill up to ``MIN_OFFERS`` unless the
    search marks them weak. A match on the role alone ("Ordnungsamt") never counts; if no offer has a topic
    match, nothing fits. Without topics, or ``by_ranking`` (a described problem: its words rarely appear in
    an offer), the search ranking decides and its weak results are left out; when the person asks for
    ``more`` after the best ones were shown, a weak one that shares a noun with the description still counts
    ("Fördermittel" in "… und dafür Fördermittel beim Bund beantragen").
    """
    topics = real_skills(skills)
    if not topics or by_ranking:
        told = {fold(w) for t in topics for w in re.findall(r"\w+", t) if w[:1].isupper() and len(w) > 3}
        return [r for r in results if not r.get("weak") or (more and _shares_noun(r, role, told))]
    loose = [r for r in results if need_terms(r, role, topics)]
    strict = [r for r in loose if any(_names_topic(t, topics) for t in need_terms(r, role, topics))]
    fill = [r for r in loose if r not in strict and not r.get("weak")][: max(0, MIN_OFFERS - len(strict))]
    return [r for r in loose if r in strict or r in fill]


def _shares_noun(course: dict[str, Any], role: Any, nouns: set[str]) -> bool:
    return any(fold(term) in nouns for term in topic_terms(course, role) if term[:1].isupper())


# Nouns of a told problem that any offer may share and that say nothing about it ("Passt zu dem, was Sie
# schildern: Es geht um Person." for "die Person am Schalter"): the offer's own focus is said instead.
_GENERIC_NOUNS = frozenset(
    fold(w)
    for w in "Person Personen Leute Menschen Mensch Situation Situationen Sache Sachen Ding Dinge Thema "
    "Themen Frage Fragen Problem Probleme Fall Fälle Zeit Tag Tage Woche Wochen Monat Monate Jahr Jahre Art "
    "Weise Teil Mal Moment Arbeit Job Kollegen Kolleginnen Kollege Kollegin Team Chef Chefin Stelle Bereich "
    "Seite Alltag Hilfe Tipps Idee Ideen Gefühl Grund Punkt Ende Anfang Verwaltung Amt Kommune Stadt "
    "Gemeinde Behörde".split()
)


def names_a_subject(course: dict[str, Any], role: Any) -> bool:
    """The search matched a noun of substance in this offer: not only the role or a word any offer may share
    ("Kolleginnen" in "Da sind einige Kolleginnen neu")."""
    return any(t[:1].isupper() and fold(t) not in _GENERIC_NOUNS for t in topic_terms(course, role))


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

    def topic(self, need: str) -> str:
        """A need in a sentence: a named topic as said, a told problem as "dem, was Sie schildern"."""
        if is_description(need):
            return str(self.labels.get("your_description") or need_label(need))
        return need_label(need)

    def topics(self, needs: list[str]) -> str:
        """Several needs in a sentence, each once; told problems (all "dem, was Sie schildern,") last, so
        that the phrase's comma closes the list: "Zu Excel und dem, was Sie schildern, habe ich …"."""
        named = [self.topic(n) for n in needs if not is_description(n)]
        told = [self.topic(n) for n in needs if is_description(n)]
        return self.and_join(list(dict.fromkeys(named + told)))

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
            if course["cost_eur"] == 0 and filters["max_cost_eur"] == 0:  # "kostenlos" only if that was asked
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

    def why(
        self,
        course: dict[str, Any],
        role: Any,
        need: str | None,
        filters: dict[str, Any],
        record: dict[str, Any] | None = None,
        several: bool = False,
        similar: bool = False,
    ) -> str:
        """One sentence why this offer fits this need: the need's words the offer contains (or its own focus
        when it was found by meaning), its target group when that matches the role, and the wishes it meets.

        ``need`` is the need this offer was found for (None: no need, e.g. "mehr wie Nr. 2"); ``several``
        names the need when the list serves several; ``record`` is the full catalog entry (skills, target
        group) if it could be fetched.
        """
        record = record or {}
        # Terms from the role ("Bürgeramt") are said in the target group, not as a topic; long skill labels
        # ("Grundsätze des Datenschutzes respektieren") read badly in the sentence and are left out.
        matched = [t for t in need_terms(course, role, [need] if need else []) if _reads_as_topic(t)]
        told = need is not None and is_description(need)
        if told:
            # Words of a told problem that the offer shares; only nouns ("Papier", not "beschweren").
            matched = [t for t in matched if t[:1].isupper() and fold(t) not in _GENERIC_NOUNS]
        matched = matched[:MAX_MATCHED]
        prefs = self.preferences(course, filters)
        target = record.get("target_group") if shares_target_group(role, record.get("target_group")) else None
        values = {
            "need": need_label(need or ""),
            "matched": self.and_join(matched),
            "focus": focus(record) or str(course.get("title") or "").split(":", 1)[0],
            "target": render_response(self.domain, "utter_offer_why_target", target_group=target)
            if target
            else "",
            "prefs": render_response(self.domain, "utter_offer_why_prefs_suffix", prefs=self.and_join(prefs))
            if prefs
            else "",
        }
        if similar:
            name = "utter_offer_why_similar"
        elif need is None:
            name = "utter_offer_why_generic"
        elif told:
            name = "utter_offer_why_described_matched" if matched else "utter_offer_why_described_focus"
        elif matched:
            name = "utter_offer_why_matched_need" if several else "utter_offer_why_matched"
        else:
            name = "utter_offer_why_related"
        return render_response(self.domain, name, **values)

    def deviations(self, course: dict[str, Any], filters: dict[str, Any]) -> list[str]:
        """How this offer departs from the person's constraints ("online und in Präsenz statt online")."""
        pairs = []
        if filters.get("format") and course.get("format") not in filters["format"]:
            wished = self.and_join([self.label("format_wish", f) for f in filters["format"]])
            pairs.append((self.label("format", course.get("format")), wished))
        if filters.get("level") and course.get("level") not in filters["level"]:
            wished = self.and_join([self.label("level_wish", lv) for lv in filters["level"]])
            pairs.append((self.label("level", course.get("level")), wished))
        if "max_cost_eur" in filters and not _within(course.get("cost_eur"), filters["max_cost_eur"]):
            limit = fill(str(self.labels.get("max_cost", "")), amount=_amount_text(filters["max_cost_eur"]))
            pairs.append((self.cost(course.get("cost_eur")), limit))
        if "max_duration_hours" in filters and not _within(
            course.get("duration_hours"), filters["max_duration_hours"]
        ):
            hours = _number_text(filters["max_duration_hours"])
            limit = fill(str(self.labels.get("max_time", "")), hours=hours)
            pairs.append((self.duration(course.get("duration_hours")), limit))
        template = str(self.labels.get("deviation", "{actual} / {wish}"))
        return [fill(template, actual=actual, wish=wish) for actual, wish in pairs]

    def item_values(
        self,
        number: int,
        course: dict[str, Any],
        why: str,
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
            "why": why,
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


def _within(value: Any, limit: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value <= limit


def met_constraints(course: dict[str, Any], filters: dict[str, Any]) -> dict[str, Any]:
    """The constraints this offer meets (a near miss names only these as met wishes)."""
    met: dict[str, Any] = {}
    for key in ("format", "level"):
        if filters.get(key) and course.get(key) in filters[key]:
            met[key] = filters[key]
    for key, field in (("max_cost_eur", "cost_eur"), ("max_duration_hours", "duration_hours")):
        if key in filters and _within(course.get(field), filters[key]):
            met[key] = filters[key]
    return met


def violated_constraints(course: dict[str, Any], filters: dict[str, Any]) -> int:
    """How many of the hard constraints this offer misses (near misses are shown fewest first)."""
    misses = 0
    for key in ("format", "level"):
        misses += bool(filters.get(key)) and course.get(key) not in filters[key]
    misses += "max_cost_eur" in filters and not _within(course.get("cost_eur"), filters["max_cost_eur"])
    misses += "max_duration_hours" in filters and not _within(
        course.get("duration_hours"), filters["max_duration_hours"]
    )
    return int(misses)


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
