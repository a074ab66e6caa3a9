"""Why a course was found: the query words (and course skill labels) the course really mentions.

A word counts when the course contains the word itself, or the modifier parts of a compound: a shared head
alone is no evidence ("Vergaberecht" and "Arbeitsrecht" share only "recht"), but the modifier is
("Vergaberecht" in an offer on "Bauvergabe").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from index import catalog as cat
from index import textprep
from index.loaded_index import LoadedIndex

MAX_MATCHED = 8
# A compound modifier found alone in an offer counts as evidence only if at most this share of the catalog
# holds it (a rare modifier such as "Bürger" in "Bürgerbeteiligung"; not "Verwaltung", "Arbeit", "Verkehr").
MAX_MODIFIER_SHARE = 0.03


class MatchExplainer:
    """Explains the courses of one query (the query's BM25 columns are cut out once)."""

    def __init__(self, idx: LoadedIndex, text: str, counts: dict[int, int]) -> None:
        self.idx = idx
        self.text = text
        self.tids = list(counts)
        sparse = idx.sparse
        self.sub = sparse.bm25[:, np.fromiter(counts, dtype=np.int64)].tocsr() if counts else None
        self.inv_terms = {tid: sparse.terms[tid] for tid in counts}

    def matched(self, course: dict[str, Any], pos: int) -> list[str]:
        """Skill labels and query words that this course mentions, at most ``MAX_MATCHED``."""
        if self.sub is None:
            return []
        present = {self.inv_terms[self.tids[j]] for j in self.sub[pos].indices}
        if not present:
            return []
        analyzer = self.idx.analyzer
        matched: list[str] = []
        for label in cat.skill_labels(course):
            if any(self._evident(t, present) for t in analyzer.base_terms(label)):
                matched.append(label)
        covered = {t for label in matched for t in self.idx.label_terms(label)}
        judged: set[str] = set()
        for term, surface in analyzer.terms_with_surface(self.text):
            if surface in judged:  # compound parts follow their word; the word was judged already
                continue
            judged.add(surface)
            evident = self._evident(term, present) or any(
                t in present for t in textprep.related_terms(term, surface)
            )
            if evident and term not in covered and surface not in matched:
                matched.append(surface)
                covered.add(term)
        return matched[:MAX_MATCHED]

    def _evident(self, term: str, present: set[str]) -> bool:
        """The course mentions this query word: the word itself, or the parts of a compound: all of them when
        one is rare in the catalog, or its modifiers alone when they are rare. A common modifier is no
        evidence: "Verwaltung" does not make an offer about "Verwaltungsvollstreckung", nor "Zahlungsverkehr"
        one about "Verkehrssicherung"."""
        if term in present:
            return True
        parts = self.idx.analyzer.split_compound(term)
        modifiers = parts[:-1]
        if not modifiers or not all(part in present for part in modifiers):
            return False
        limit = MAX_MODIFIER_SHARE * self.idx.n
        rare = [self.idx.sparse.document_frequency(part) <= limit for part in parts]
        if parts[-1] in present:
            return any(rare)  # "Arbeit" and "Stelle" somewhere in an offer do not make "Arbeitsstellen"
        return all(rare[:-1])


def result_record(course: dict[str, Any], score: float, matched: list[str], weak: bool) -> dict[str, Any]:
    """One entry of the /search response (see CONVENTIONS.md)."""
    return {
        "id": course["id"],
        "title": course["title"],
        "provider": course.get("provider"),
        "format": course.get("format"),
        "duration_hours": course.get("duration_hours"),
        "level": course.get("level"),
        "cost_eur": course.get("cost_eur"),
        "url": course.get("url"),
        "score": round(float(score), 4),
        "matched": matched,
        "description": course["description"],
        "weak": weak,
    }
