"""Topic words for a told problem: "die Leute werden am Schalter immer pampiger" -> "Deeskalation …".

A described problem and the course that helps with it often share no word, and the small e5 model does not
connect them reliably either (bench/data/README.md: colloquial queries trail keyword queries by 0.25 nDCG@5).
``index/data/problem_terms.yml`` lists how such problems are told (cues) and the catalog's words for the
topic that answers them; ``with_problem_terms`` appends those words to the query for both BM25 and the
query vector. A query that matches no cue is returned unchanged, so named topics ("Excel Pivot") are not
affected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from german.folding import fold

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "problem_terms.yml"


@dataclass(frozen=True)
class ProblemEntry:
    name: str
    cues: tuple[re.Pattern[str], ...]
    terms: str


class ProblemTermsError(ValueError):
    """The problem-terms file is malformed (operator-facing message)."""


def parse_entries(data: object, source: str = "problem terms") -> tuple[ProblemEntry, ...]:
    """Entries of the problem-terms YAML; raises ``ProblemTermsError`` naming the bad entry."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ProblemTermsError(f"{source}: expected a mapping with a list 'entries'")
    entries = []
    for i, raw in enumerate(data["entries"]):
        if not isinstance(raw, dict):
            raise ProblemTermsError(f"{source}: entry {i} is not a mapping")
        name, cues, terms = raw.get("name"), raw.get("cues"), raw.get("terms")
        if not isinstance(name, str) or not isinstance(terms, str) or not terms.strip():
            raise ProblemTermsError(f"{source}: entry {i} needs a 'name' and non-empty 'terms'")
        if not isinstance(cues, list) or not cues or not all(isinstance(c, str) and c for c in cues):
            raise ProblemTermsError(f"{source}: entry {name!r} needs a non-empty list of 'cues'")
        try:
            compiled = tuple(re.compile(r"(?<![\w-])" + cue) for cue in cues)
        except re.error as exc:
            raise ProblemTermsError(f"{source}: entry {name!r} has an invalid cue: {exc}") from exc
        entries.append(ProblemEntry(name, compiled, " ".join(terms.split())))
    return tuple(entries)


@lru_cache(maxsize=4)
def load_entries(path: str = str(DEFAULT_PATH)) -> tuple[ProblemEntry, ...]:
    with open(path, encoding="utf-8") as handle:
        return parse_entries(yaml.safe_load(handle), path)


def _normalised(text: str) -> str:
    """Lower case, umlauts spelled out, one space between words (cues are written for this form)."""
    return " ".join(fold(text).replace("ß", "ss").split())


def problem_topics(text: str, entries: tuple[ProblemEntry, ...] | None = None) -> list[str]:
    """The topic words of every entry one of whose cues the text matches, in file order."""
    normalised = _normalised(text)
    found = []
    for entry in load_entries() if entries is None else entries:
        if any(cue.search(normalised) for cue in entry.cues):
            found.append(entry.terms)
    return found


def with_problem_terms(
    text: str, told: str | None = None, entries: tuple[ProblemEntry, ...] | None = None
) -> str:
    """The query with the topic words of the problems it tells appended (unchanged if it tells none).
    ``told``: the text to look for cues in, if not ``text`` itself (the query before spelling correction)."""
    topics = problem_topics(text if told is None else told, entries)
    return f"{text} – {' '.join(topics)}" if topics else text
