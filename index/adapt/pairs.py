"""(query, positive) pairs for the contrastive training, from three sources.

Two kinds of positive:

* ``text``: a short text (an ESCO definition, a skill concept, a course description). Trained with in-batch
  negatives, gradients through both sides.
* ``courses``: catalog courses with weights (a target distribution over the catalog). Trained against the
  whole catalog, so every other course is a negative and the closest wrong ones are the hard negatives
  mined from the catalog; the course vectors come from the model being trained, refreshed during training.

Sources (``source`` field): ``esco`` (alternative label -> preferred label + definition, preferred label ->
definition, occupation -> its description), ``catalog`` (course title -> description, skill label -> the
courses that teach it) and ``problems`` (a hand-written problem description -> the skill concepts it needs,
and -> the courses teaching those skills). Everything here is deterministic: same inputs, same pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index import catalog as cat
from index.adapt import esco

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(__file__).resolve().parent / "data"
PROBLEMS = DATA_DIR / "problems.jsonl"
# Written later from the same skill labels, as situations told without the course's words (data/README.md).
SITUATIONS = DATA_DIR / "problems_situations.jsonl"
PROBLEM_FILES = (PROBLEMS, SITUATIONS)
# Weight of a problem's 1st, 2nd, 3rd skill in its target distribution over courses (the 1st matters most).
SKILL_RANK_WEIGHTS = (1.0, 0.5, 0.33)
MAX_ALT_LABELS = 3  # per ESCO concept: the first alternative labels (more are mostly spelling variants)


@dataclass
class Pair:
    """One training example. ``positive`` is a text, or ``courses`` maps course ids to target weights."""

    query: str
    source: str
    kind: str  # e.g. "esco_alt_label", "problem_courses"
    positive: str | None = None
    courses: dict[str, float] = field(default_factory=dict)
    ref: str = ""  # where it came from (ESCO URI, course id, problem id)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}
        return out

    @staticmethod
    def from_json(data: dict[str, Any]) -> Pair:
        return Pair(
            query=data["query"],
            source=data["source"],
            kind=data["kind"],
            positive=data.get("positive"),
            courses=dict(data.get("courses") or {}),
            ref=data.get("ref", ""),
        )


def load_problems(paths: Sequence[Path] = PROBLEM_FILES) -> list[dict[str, Any]]:
    """The hand-written problem descriptions (``id``, ``text``, ``department``, ``register``, ``skills``) of
    all files, in file order; ids are unique across files."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not row.get("id") or not row.get("text") or not row.get("skills"):
                    raise ValueError(f"{path}:{n}: a problem needs 'id', 'text' and 'skills'")
                if row["id"] in seen:
                    raise ValueError(f"{path}:{n}: problem id {row['id']} occurs twice")
                seen.add(row["id"])
                rows.append(row)
    return rows


def esco_pairs() -> list[Pair]:
    """Alternative labels -> label + definition; labels -> definitions; occupations -> descriptions."""
    pairs: list[Pair] = []
    for kind in ("knowledge", "transversal"):
        for row in esco.shipped(kind):
            definition = row["definition_de"].strip()
            if not definition:
                continue
            label = row["prefLabel_de"].strip()
            pairs.append(
                Pair(label, "esco", f"esco_{kind}_definition", positive=definition, ref=row["exactMatch"])
            )
            for alt in esco.alt_labels(row)[:MAX_ALT_LABELS]:
                if alt.casefold() != label.casefold():
                    pairs.append(
                        Pair(
                            alt,
                            "esco",
                            f"esco_{kind}_alt_label",
                            positive=esco.concept_text(row),
                            ref=row["exactMatch"],
                        )
                    )
    for row in esco.shipped("occupations"):
        definition = row["definition_de"].strip()
        if not definition:
            continue
        label = row["prefLabel_de"].strip()
        pairs.append(Pair(label, "esco", "esco_occupation", positive=definition, ref=row["exactMatch"]))
        alts = [a for a in esco.alt_labels(row) if a.casefold() not in label.casefold()]
        if alts:
            pairs.append(
                Pair(
                    alts[0],
                    "esco",
                    "esco_occupation_alt_label",
                    positive=esco.concept_text(row),
                    ref=row["exactMatch"],
                )
            )
    return pairs


def course_description(course: dict[str, Any]) -> str:
    """A course's text without its title: what a title should find."""
    skills = cat.skill_labels(course)
    text = course["description"]
    return text + (" Kompetenzen: " + ", ".join(skills) + "." if skills else "")


def skill_index(courses: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Skill label -> ids of the courses that teach it."""
    out: dict[str, list[str]] = defaultdict(list)
    for course in courses:
        for label in dict.fromkeys(cat.skill_labels(course)):
            out[label].append(course["id"])
    return out


def catalog_pairs(courses: Sequence[dict[str, Any]]) -> list[Pair]:
    """Title -> description; skill label -> every course teaching it (equal weights)."""
    pairs = [
        Pair(c["title"], "catalog", "catalog_title", positive=course_description(c), ref=c["id"])
        for c in courses
    ]
    for label, ids in sorted(skill_index(courses).items()):
        pairs.append(
            Pair(label, "catalog", "catalog_skill_courses", courses={i: 1.0 for i in ids}, ref=label)
        )
    return pairs


def skill_concepts(courses: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Skill label -> ``label: ESCO definition`` where the catalog names the ESCO concept, else the label."""
    by_uri = {r["exactMatch"]: r for kind in ("knowledge", "transversal") for r in esco.shipped(kind)}
    out: dict[str, str] = {}
    for course in courses:
        for skill in course.get("skills") or []:
            label = skill["label"] if isinstance(skill, dict) else skill
            row = by_uri.get(skill["uri"]) if isinstance(skill, dict) else None
            if row is not None and row["definition_de"].strip():
                out[label] = f"{label}: {row['definition_de'].strip()}"
            else:
                out.setdefault(label, label)
    return out


def course_targets(skills: Sequence[str], by_skill: dict[str, list[str]]) -> dict[str, float]:
    """Target weights over courses for a list of needed skills (first = most important).

    Each skill spreads its rank weight evenly over the courses teaching it, so a course teaching a rare, exact
    skill gets more than one of twenty courses sharing a broad one; weights sum to 1.
    """
    weights: dict[str, float] = defaultdict(float)
    for rank, label in enumerate(skills[: len(SKILL_RANK_WEIGHTS)]):
        ids = by_skill.get(label, [])
        for cid in ids:
            weights[cid] += SKILL_RANK_WEIGHTS[rank] / len(ids)
    total = sum(weights.values())
    return {cid: round(w / total, 6) for cid, w in sorted(weights.items())} if total else {}


def problem_pairs(problems: Iterable[dict[str, Any]], courses: Sequence[dict[str, Any]]) -> list[Pair]:
    """Problem -> the concept of its most important skill; problem -> the courses teaching its skills."""
    concepts = skill_concepts(courses)
    by_skill = skill_index(courses)
    pairs: list[Pair] = []
    for p in problems:
        unknown = [s for s in p["skills"] if s not in concepts]
        if unknown:
            raise ValueError(f"problem {p['id']}: skills not in the catalog: {', '.join(unknown)}")
        pairs.append(
            Pair(p["text"], "problems", "problem_skill", positive=concepts[p["skills"][0]], ref=p["id"])
        )
        pairs.append(
            Pair(
                p["text"],
                "problems",
                "problem_courses",
                courses=course_targets(p["skills"], by_skill),
                ref=p["id"],
            )
        )
    return pairs


def all_pairs(courses: Sequence[dict[str, Any]], problems: Iterable[dict[str, Any]]) -> list[Pair]:
    return esco_pairs() + catalog_pairs(courses) + problem_pairs(problems, courses)


def write_pairs(path: Path, pairs: Iterable[Pair]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(json.dumps(pair.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8") as fh:
        return [Pair.from_json(json.loads(line)) for line in fh if line.strip()]
