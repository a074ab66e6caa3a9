"""Blind conversation benchmark: does the assistant meet people who never saw its training data?

    .venv/rasa/bin/python bench/bench_blind_dialogue.py [FILE] [--transcript] [--json PATH] [--only A-001 ...]

FILE is a conversation set in the format of ``bench/data/blind/dialogues_dev.yml`` (written to the brief
quoted in ``bench/data/README.md``; default: the dev set). Without ``--rasa-url`` the real stack (search
service, action server, Rasa) is started on free ports with a temporary tracker store, as ``make run`` would,
and stopped afterwards. Every user message is sent over the REST channel; each reply is classified by the
domain response it was rendered from (``bot/domain/*.yml``), and every offer card is fetched again from the
search service (GET /courses/{id}) to judge what it is about.

Printed figures (no asserts):
- fitting offers: share of conversations with needs in which every need is covered at some point by a shown
  offer (one of the need's ``evidence`` words in the course's title, description or skill labels) and no
  offer reason names a wish the person did not state. A need whose evidence appears in no catalog course is
  "not in catalog"; for it an honest "nothing fits" answer counts instead. Likewise, a turn expecting offers
  (or ``covers``) for needs that no catalog course meets together with the wishes stated so far ("kostenlos"
  where every course on the topic costs) is met by an honest "nothing fits".
- first offers: the message that brought the first offers against the first message that states a need (the
  first turn expecting offers); share of conversations where they are the same.
- "nicht verstanden" (rephrase, clarification, not-understood responses) to messages marked ``reply_to``.
- ``expect`` per turn (offers / question with ``asks`` / answer with ``says_any``/``says_none`` /
  handoff_offer / deleted), ``covers`` per turn, stated wishes honoured by the offers shown after them, offer
  lists whose reasons are all the same sentence, and the time per turn (p50/p95/max).
Every failing conversation is listed with one line per reason; ``--transcript`` prints their transcripts;
``--json PATH`` also writes the figures and the failing conversations' reasons as JSON.

Wishes are judged from the reason sentences: the part after the domain's "wie gewünscht" marker
(``utter_offer_why_prefs_suffix``) names the wishes an offer meets, and the "nothing found with your
requirements" answer names the active ones. A duration phrase counts as stated when the person asked for
something short in their own words ("eher was Kurzes"), which the set's ``wish`` field cannot hold (it
has no number).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import stack as stack_module  # noqa: E402

from german.vocabulary import format_value  # noqa: E402

DEFAULT_SET = ROOT / "bench" / "data" / "blind" / "dialogues_dev.yml"
OFFER_CARD_KEY = "kc_offer"

# Which domain responses answer an ``expect``/``asks`` of the set. Prefixes end with "*".
ASKS = {
    # The greeting ends by asking for a topic ("Nennen Sie mir zum Beispiel ein Thema, …").
    "topic": {"utter_ask_skill_gaps", "utter_ask_need", "utter_greet"},
    "role": {"utter_ask_role"},
    "format": {"utter_ask_format_pref"},
    "level": {"utter_ask_level_pref"},
    "employee_count": {"utter_ask_employee_count"},
    "confirm": {"utter_ask_delete_confirm", "utter_offer_handoff", "utter_ask_handoff_consent"},
    "which_offer": {"utter_ask_which_offer"},
}
HANDOFF_OFFER = {"utter_offer_handoff", "utter_ask_handoff_consent"}
DELETED = {"utter_data_deleted"}
NOTHING_FITS = ("utter_no_results*", "utter_no_more_results*", "utter_need_not_found*")
NOT_UNDERSTOOD = (
    "utter_ask_rephrase",
    "utter_default",
    "utter_ask_affirmation",
    "utter_*_not_understood",
    "utter_membership_count_invalid",
    "utter_handoff_consent_unclear",
)
NOT_UNDERSTOOD_TEXT = re.compile(r"nicht verstanden|nicht sicher, ob ich Sie richtig verstehe", re.IGNORECASE)
SHORT_WISH = re.compile(r"\bkurz|\bkompakt|wenig zeit|stunden?\b|\btag\b|halbtag|schnell", re.IGNORECASE)

Say = Callable[[str, str], list[dict]]


# --- the set ----------------------------------------------------------------------------------------------


def load_set(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    conversations = data.get("conversations")
    if not isinstance(conversations, list) or not conversations:
        sys.exit(f"error: {path} has no 'conversations' list")
    for number, item in enumerate(conversations, start=1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("turns"):
            sys.exit(f"error: conversation {number} in {path} needs an 'id' and 'turns'")
        for turn in item["turns"]:
            if not isinstance(turn, dict) or not isinstance(turn.get("user"), str):
                sys.exit(f"error: {item['id']}: every turn needs a 'user' message")
            _canonical_format(turn.get("wish"))
        _canonical_format(item.get("wishes"))
    return conversations


def _canonical_format(wishes: Any) -> None:
    """A writer's format name in the catalog's values ("hybrid" -> "blended"; the brief of sets 4 and 5
    offered "hybrid"), by the same reading the catalog uses (``german.vocabulary.format_value``)."""
    if isinstance(wishes, dict) and isinstance(wishes.get("format"), str):
        wishes["format"] = format_value(wishes["format"]) or wishes["format"]


# --- text matching ----------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, umlauts as ae/oe/ue, ß as ss, hyphens and dashes as spaces (for evidence matching)."""
    text = unicodedata.normalize("NFC", text).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = re.sub(r"[-‐–—_/]", " ", text)
    return re.sub(r"\s+", " ", text)


def evidence_pattern(evidence: Iterable[str]) -> re.Pattern[str]:
    """Any evidence phrase at the start of a word ("Pflege" finds "Pflegezeit", not "Krankenpflege");
    phrases of three letters or fewer ("KI", "BSI") only as whole words."""
    parts = []
    for phrase in evidence:
        folded = re.escape(fold(str(phrase)).strip())
        if not folded:
            continue
        parts.append(rf"\b{folded}\b" if len(folded) <= 3 else rf"\b{folded}")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


def course_text(record: dict[str, Any]) -> str:
    skills = " ".join(
        s if isinstance(s, str) else str(s.get("label", "")) for s in record.get("skills") or []
    )
    return fold(f"{record.get('title', '')} {record.get('description', '')} {skills}")


# --- replies ----------------------------------------------------------------------------------------------


class ResponseMatcher:
    """Tells which domain response a bot text was rendered from (placeholders match anything)."""

    def __init__(self, domain_dir: Path) -> None:
        self.templates: list[tuple[str, re.Pattern[str], int]] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(domain_dir.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for name, variants in (data.get("responses") or {}).items():
                self.responses[name] = variants
                for variant in variants or []:
                    text = variant.get("text") if isinstance(variant, dict) else None
                    if not text:
                        continue
                    pieces = re.split(r"{[^{}\n]+}", text.strip())
                    pattern = r"(?:.|\n)*?".join(re.escape(p) for p in pieces)
                    literal = sum(len(p) for p in pieces)
                    self.templates.append((name, re.compile(pattern + r"\Z"), literal))

    def name(self, text: str) -> str | None:
        best: tuple[int, str] | None = None
        for name, pattern, literal in self.templates:
            if pattern.match(text.strip()) and (best is None or literal > best[0]):
                best = (literal, name)
        return best[1] if best else None

    def text(self, name: str) -> str:
        variants = self.responses.get(name) or [{}]
        return str(variants[0].get("text") or "")

    def custom(self, name: str) -> dict[str, Any]:
        variants = self.responses.get(name) or [{}]
        custom = variants[0].get("custom") if isinstance(variants[0], dict) else None
        return custom if isinstance(custom, dict) else {}


def name_in(name: str | None, names: Iterable[str]) -> bool:
    if name is None:
        return False
    for wanted in names:
        if wanted.endswith("*") and name.startswith(wanted[:-1]):
            return True
        if "*" in wanted and not wanted.endswith("*"):
            head, tail = wanted.split("*", 1)
            if name.startswith(head) and name.endswith(tail):
                return True
        if name == wanted:
            return True
    return False


@dataclass
class Turn:
    user: str
    spec: dict[str, Any]
    replies: list[dict[str, Any]]
    seconds: float
    names: list[str | None] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    courses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [str(r["text"]) for r in self.replies if r.get("text")]

    @property
    def joined(self) -> str:
        return "\n".join(self.texts)

    @property
    def shows_offers(self) -> bool:
        return bool(self.cards)

    def has(self, names: Iterable[str]) -> bool:
        return any(name_in(n, names) for n in self.names)

    @property
    def not_understood(self) -> bool:
        return self.has(NOT_UNDERSTOOD) or bool(NOT_UNDERSTOOD_TEXT.search(self.joined))


# --- wishes -----------------------------------------------------------------------------------------------


class WishReader:
    """Reads the wishes a reason or a "nothing found with your requirements" answer names."""

    def __init__(self, matcher: ResponseMatcher) -> None:
        labels = matcher.custom("utter_offer_labels")
        suffix = matcher.text("utter_offer_why_prefs_suffix")
        self.marker = fold(suffix.split("{", 1)[0]).strip(" ,") if "{" in suffix else ""
        # A near miss says how it departs from the wishes ("Abweichend von Ihren Vorgaben: in Präsenz statt
        # online"): that names what the offer is and what was wished, it claims no wish.
        deviation = matcher.text("utter_offer_why_deviation_suffix")
        self.deviation_marker = fold(deviation.split("{", 1)[0]).strip(" ,:") if "{" in deviation else ""
        phrases: list[tuple[str, Any, re.Pattern[str]]] = []
        for key, table in (("format", "format_wish"), ("level", "level_wish")):
            for value, label in sorted((labels.get(table) or {}).items(), key=lambda kv: -len(str(kv[1]))):
                phrases.append((key, value, re.compile(re.escape(fold(str(label))))))
        if labels.get("cost_free"):
            phrases.append(("max_cost_eur", 0.0, re.compile(re.escape(fold(str(labels["cost_free"]))))))
        for key, label in (("max_cost_eur", "within_budget"), ("max_duration_hours", "within_time")):
            template = str(labels.get(label) or "")
            if "{" in template:
                pieces = [re.escape(fold(p)) for p in re.split(r"{[^{}]+}", template)]
                phrases.append((key, None, re.compile(r"([\d.,]+)".join(pieces))))
        self.phrases = phrases

    def named(self, text: str) -> list[tuple[str, Any]]:
        """(key, value) of every wish phrase in ``text``; a phrase inside a longer one counts once."""
        found: list[tuple[str, Any]] = []
        rest = fold(text)
        for key, value, pattern in self.phrases:
            match = pattern.search(rest)
            if not match:
                continue
            if value is None:
                value = float(match.group(1).replace(".", "").replace(",", "."))
            found.append((key, value))
            rest = rest[: match.start()] + " " + rest[match.end():]
        return found

    def in_reason(self, why: str) -> list[tuple[str, Any]]:
        folded = fold(why)
        if self.deviation_marker:
            folded = folded.split(self.deviation_marker, 1)[0]
        if not self.marker or self.marker not in folded:
            return []
        return self.named(folded.split(self.marker, 1)[1])


def stated_wishes(conversation: dict[str, Any], upto: int) -> dict[str, Any]:
    """Wishes stated in turns 0..upto (``wish``); a conversation-level wish that no turn marks counts from
    the start (the writer put it only there)."""
    stated: dict[str, Any] = {}
    marked = set()
    for turn in conversation["turns"]:
        marked |= set((turn.get("wish") or {}).keys())
    for key, value in (conversation.get("wishes") or {}).items():
        if key not in marked:
            stated[key] = value
    for turn in conversation["turns"][: upto + 1]:
        stated.update(turn.get("wish") or {})
    return stated


def wish_invented(key: str, value: Any, stated: dict[str, Any], said: str) -> bool:
    if key == "max_duration_hours" and (key in stated or SHORT_WISH.search(said)):
        return False
    if key not in stated:
        return True
    if key in ("max_cost_eur", "max_duration_hours"):
        return float(value) > float(stated[key]) + 1e-6
    return str(value) != str(stated[key])


def honours(course: dict[str, Any], key: str, value: Any) -> bool:
    if key == "format":
        return course.get("format") == value
    if key == "level":
        return course.get("level") == value
    if key == "max_cost_eur":
        return isinstance(course.get("cost_eur"), int | float) and course["cost_eur"] <= float(value)
    if key == "max_duration_hours":
        hours = course.get("duration_hours")
        return isinstance(hours, int | float) and hours <= float(value)
    return True


# --- running and judging ----------------------------------------------------------------------------------


@dataclass
class Result:
    conversation: dict[str, Any]
    turns: list[Turn]
    reasons: list[str] = field(default_factory=list)
    needs_total: int = 0
    needs_covered: int = 0
    not_in_catalog: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    first_offers: int | None = None
    first_need: int | None = None
    fitting: bool | None = None
    # turn number (1-based) -> what failed there: expect, covers, reply, wish
    failed: dict[int, set[str]] = field(default_factory=dict)

    def fail(self, number: int, tag: str, reason: str) -> None:
        self.failed.setdefault(number, set()).add(tag)
        self.reasons.append(f"turn {number}: {reason}")

    @property
    def id(self) -> str:
        return str(self.conversation["id"])


class Judge:
    def __init__(
        self, matcher: ResponseMatcher, catalog: list[dict[str, Any]], course: Callable[[str], dict]
    ) -> None:
        self.matcher = matcher
        self.wishes = WishReader(matcher)
        self.catalog = catalog
        self.catalog_texts = [course_text(c) for c in catalog]
        self.course = course
        self._cache: dict[str, dict[str, Any]] = {}

    def in_catalog(self, need: dict[str, Any]) -> bool:
        pattern = evidence_pattern(need.get("evidence") or [])
        return any(pattern.search(text) for text in self.catalog_texts)

    def available(self, need: dict[str, Any], stated: dict[str, Any]) -> bool:
        """Some catalog course is about the need and meets every wish stated so far."""
        pattern = evidence_pattern(need.get("evidence") or [])
        return any(
            pattern.search(text) and all(honours(course, k, v) for k, v in stated.items())
            for course, text in zip(self.catalog, self.catalog_texts, strict=True)
        )

    def annotate(self, turn: Turn) -> None:
        turn.names = [self.matcher.name(t) for t in turn.texts]
        turn.cards = [r["custom"][OFFER_CARD_KEY] for r in turn.replies
                      if isinstance(r.get("custom"), dict) and OFFER_CARD_KEY in r["custom"]]
        turn.courses = []
        for card in turn.cards:
            cid = str(card.get("id"))
            if cid not in self._cache:
                self._cache[cid] = self.course(cid)
            turn.courses.append(self._cache[cid])

    def judge(self, conversation: dict[str, Any], turns: list[Turn]) -> Result:
        result = Result(conversation, turns)
        needs = {str(n["name"]): n for n in conversation.get("needs") or []}
        patterns = {name: evidence_pattern(n.get("evidence") or []) for name, n in needs.items()}
        covered: set[str] = set()
        said = ""
        for index, turn in enumerate(turns):
            spec = turn.spec
            said += " " + turn.user
            texts = [course_text(c) for c in turn.courses]
            now = {name for name, p in patterns.items() if any(p.search(t) for t in texts)}
            covered |= now
            number = index + 1
            expect = spec.get("expect", "any")
            stated = stated_wishes(conversation, index)
            wanted = [needs[c] for c in spec.get("covers") or [] if c in needs] or list(needs.values())
            # No catalog course meets the needs of this turn with the wishes stated so far: an honest
            # "nothing fits" is the right answer.
            impossible = bool(wanted) and not any(self.available(n, stated) for n in wanted)
            if expect == "offers" and not turn.shows_offers:
                if not (impossible and turn.has(NOTHING_FITS)):
                    result.fail(number, "expect", f"expected offers, got {self.describe(turn)}")
            elif expect == "offers":
                missing = [c for c in spec.get("covers") or [] if c in needs and c not in now
                           and self.available(needs[c], stated)]
                if missing:
                    titles = "; ".join(str(c.get("title")) for c in turn.courses)
                    result.fail(number, "covers", f"offers do not cover {', '.join(missing)} ({titles})")
            elif expect == "question":
                asks = spec.get("asks")
                if not turn.has(ASKS.get(str(asks), set())):
                    result.fail(number, "expect", f"expected question '{asks}', got {self.describe(turn)}")
            elif expect == "answer":
                reply = turn.joined
                any_of = [str(s) for s in spec.get("says_any") or []]
                none_of = [str(s) for s in spec.get("says_none") or []]
                if any_of and not any(s.casefold() in reply.casefold() for s in any_of):
                    result.fail(number, "expect", f"answer lacks any of {any_of}: {self.describe(turn)}")
                wrong = [s for s in none_of if s.casefold() in reply.casefold()]
                if wrong:
                    result.fail(number, "expect", f"answer says {wrong}")
                if not turn.texts or turn.not_understood:
                    result.fail(number, "expect", f"expected an answer, got {self.describe(turn)}")
            elif expect == "handoff_offer" and not turn.has(HANDOFF_OFFER):
                result.fail(number, "expect", f"expected a handoff offer, got {self.describe(turn)}")
            elif expect == "deleted" and not turn.has(DELETED):
                result.fail(number, "expect", f"expected deletion, got {self.describe(turn)}")
            if spec.get("reply_to") and turn.not_understood:
                result.fail(number, "reply", f"'nicht verstanden' to a reply ({spec['reply_to']})")
            for card in turn.cards:
                for key, value in self.wishes.in_reason(str(card.get("why") or "")):
                    if wish_invented(key, value, stated, said):
                        why = card.get("why")
                        result.invented.append(f"turn {number}: reason names {key}={value} ({why})")
            for text, name in zip(turn.texts, turn.names, strict=False):
                if name_in(name, NOTHING_FITS):
                    for key, value in self.wishes.named(text):
                        if wish_invented(key, value, stated, said):
                            result.invented.append(f"turn {number}: answer names {key}={value}")
            for key, value in (spec.get("wish") or {}).items():
                if turn.shows_offers and not all(honours(c, key, value) for c in turn.courses):
                    result.fail(number, "wish", f"offers ignore {key}={value}")
            if turn.shows_offers and result.first_offers is None:
                result.first_offers = index + 1
            if expect == "offers" and result.first_need is None:
                result.first_need = index + 1
        result.reasons += result.invented
        if needs:
            result.needs_total = len(needs)
            nothing_said = any(t.has(NOTHING_FITS) for t in turns)
            for name, need in needs.items():
                if not self.in_catalog(need):
                    result.not_in_catalog.append(name)
                    if nothing_said:
                        result.needs_covered += 1
                    else:
                        result.reasons.append(f"need '{name}' is not in the catalog, but no 'nothing fits'")
                elif name in covered:
                    result.needs_covered += 1
                else:
                    result.reasons.append(f"need '{name}' never covered by a shown offer")
            result.fitting = result.needs_covered == result.needs_total and not result.invented
        return result

    @staticmethod
    def describe(turn: Turn) -> str:
        if turn.shows_offers:
            return f"{len(turn.cards)} offers"
        names = [n or "?" for n in turn.names]
        first = turn.texts[0][:70].replace("\n", " ") if turn.texts else "(no reply)"
        return f"{'+'.join(names) or 'nothing'} «{first}»"


def run_conversation(say: Say, judge: Judge, conversation: dict[str, Any]) -> Result:
    sender = f"blind-{uuid.uuid4().hex[:12]}"
    turns = []
    for spec in conversation["turns"]:
        started = time.perf_counter()
        replies = say(sender, spec["user"])
        turn = Turn(spec["user"], spec, replies, time.perf_counter() - started)
        judge.annotate(turn)
        turns.append(turn)
    return judge.judge(conversation, turns)


# --- report -----------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def print_transcript(result: Result) -> None:
    for number, turn in enumerate(result.turns, start=1):
        marks = " ".join(f"{k}={v}" for k, v in turn.spec.items() if k not in ("user",))
        print(f"  {number}> {turn.user}    [{marks}]")
        for text, name in zip(turn.texts, turn.names, strict=False):
            print(f"     ({name or '?'}) " + text.replace("\n", "\n       "))


def summarize(results: list[Result]) -> dict[str, Any]:
    """The figures of a run (what ``report`` prints and ``--json`` writes)."""
    with_needs = [r for r in results if r.needs_total]
    fitting = [r for r in with_needs if r.fitting]
    firsts = [r for r in with_needs if r.first_need is not None]
    at_once = [r for r in firsts if r.first_offers == r.first_need]
    turns = [t for r in results for t in r.turns]
    replies = [t for t in turns if t.spec.get("reply_to")]
    extra = [r.first_offers - r.first_need for r in firsts if r.first_offers is not None]
    by_kind: Counter[str] = Counter()
    ok_kind: Counter[str] = Counter()
    covers = covers_ok = wished = wished_ok = 0
    for result in results:
        for number, turn in enumerate(result.turns, start=1):
            tags = result.failed.get(number, set())
            kind = str(turn.spec.get("expect", "any"))
            if kind != "any":
                by_kind[kind] += 1
                ok_kind[kind] += "expect" not in tags
            if turn.spec.get("covers"):
                covers += 1
                covers_ok += not tags & {"expect", "covers"}
            if turn.spec.get("wish") and turn.shows_offers:
                wished += 1
                wished_ok += "wish" not in tags
    lists = [t for t in turns if len(t.cards) >= 2]
    same = [t for t in lists if len({str(c.get("why")) for c in t.cards}) == 1]
    answers = [(r, n) for r in results for n, t in enumerate(r.turns, 1)
               if t.spec.get("says_any") or t.spec.get("says_none")]
    times = [t.seconds for t in turns]
    return {
        "conversations": len(results),
        "with_needs": len(with_needs),
        "needs": sum(r.needs_total for r in with_needs),
        "needs_not_in_catalog": sum(len(r.not_in_catalog) for r in with_needs),
        "fitting": [len(fitting), len(with_needs)],
        "needs_never_covered": sum(r.needs_total - r.needs_covered for r in with_needs),
        "invented_wishes": [line for r in results for line in r.invented],
        "first_offers_at_first_need": [len(at_once), len(firsts)],
        "messages_after_first_need_mean": statistics.mean(extra) if extra else None,
        "messages_after_first_need_max": max(extra) if extra else None,
        "never_offers": sum(r.first_offers is None for r in firsts),
        "not_understood_replies": [sum(t.not_understood for t in replies), len(replies)],
        "expect": {k: [ok_kind[k], by_kind[k]] for k in sorted(by_kind)},
        "covers": [covers_ok, covers],
        "wishes_honoured": [wished_ok, wished],
        "same_reason_lists": [len(same), len(lists)],
        "answers": [sum("expect" not in r.failed.get(n, set()) for r, n in answers), len(answers)],
        "passed": [sum(not r.reasons for r in results), len(results)],
        "turn_ms": {
            "n": len(times),
            "p50": round(percentile(times, 0.5) * 1000) if times else None,
            "p95": round(percentile(times, 0.95) * 1000) if times else None,
            "max": round(max(times) * 1000) if times else None,
        },
        "failing": {r.id: {"kind": r.conversation.get("kind"), "reasons": r.reasons}
                    for r in results if r.reasons},
    }


def report(results: list[Result], transcript: str) -> dict[str, Any]:
    figures = summarize(results)

    def ratio(pair: list[int]) -> str:
        return share(pair[0], pair[1])

    print(f"\nconversations: {figures['conversations']}, with needs: {figures['with_needs']}, "
          f"needs: {figures['needs']} (not in catalog: {figures['needs_not_in_catalog']})")
    print(f"reach fitting offers:                  {ratio(figures['fitting'])}")
    print(f"  needs never covered:                 {figures['needs_never_covered']}")
    print(f"  invented wishes (reasons/answers):   {len(figures['invented_wishes'])}")
    print(f"first offers at the first need message: {ratio(figures['first_offers_at_first_need'])}")
    if figures["messages_after_first_need_mean"] is not None:
        print(f"  messages after it to first offers:   mean {figures['messages_after_first_need_mean']:.2f}, "
              f"max {figures['messages_after_first_need_max']}; never offers: {figures['never_offers']}")
    not_understood, marked = figures["not_understood_replies"]
    print(f"'nicht verstanden' to replies:         {not_understood} of {marked} messages marked reply_to")
    print("expect per turn:                       " + ", ".join(
        f"{k} {ok}/{n}" for k, (ok, n) in figures["expect"].items()))
    print(f"covers per turn:                       {ratio(figures['covers'])}")
    print(f"stated wishes honoured by the offers:  {ratio(figures['wishes_honoured'])}")
    print(f"offer lists with one reason for all:   {ratio(figures['same_reason_lists'])}")
    print(f"answers with says_any/says_none:       {ratio(figures['answers'])}")
    print(f"conversations without any failure:     {ratio(figures['passed'])}")
    ms = figures["turn_ms"]
    if ms["n"]:
        print(f"time per turn (n={ms['n']}):            p50 {ms['p50']} ms, p95 {ms['p95']} ms, "
              f"max {ms['max']} ms")
    failing = [r for r in results if r.reasons]
    if failing:
        print("\nfailing conversations:")
    for result in failing:
        print(f"{result.id} ({result.conversation.get('kind')}): {result.conversation.get('note', '')}")
        for reason in result.reasons:
            print(f"   - {reason}")
        if transcript in ("failing", "all"):
            print_transcript(result)
    if transcript == "all":
        for result in results:
            if not result.reasons:
                print(f"{result.id} (passed)")
                print_transcript(result)
    return figures


# --- plumbing ---------------------------------------------------------------------------------------------


def rest_say(rasa_url: str) -> Say:
    def say(sender: str, text: str) -> list[dict]:
        status, replies = stack_module.http_json(
            f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}, 60
        )
        if status != 200 or not isinstance(replies, list):
            raise stack_module.StackError(f"Rasa answered HTTP {status}: {replies}")
        return replies

    return say


def course_getter(search_url: str) -> Callable[[str], dict]:
    def get(course_id: str) -> dict:
        try:
            with urllib.request.urlopen(f"{search_url}/courses/{course_id}", timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return {"id": course_id, "title": f"(unknown course, HTTP {error.code})"}

    return get


def load_catalog(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dialogues", nargs="?", type=Path, default=DEFAULT_SET, help="set (YAML)")
    parser.add_argument("--catalog", type=Path, default=ROOT / "index" / "data" / "catalog.jsonl",
                        help="the catalog the index was built from (for 'not in catalog')")
    parser.add_argument("--rasa-url", help="use a running assistant (needs --search-url too)")
    parser.add_argument("--search-url", help="its search service, e.g. http://127.0.0.1:8765")
    parser.add_argument("--transcript", nargs="?", const="failing", choices=["failing", "all"],
                        help="print transcripts of failing (default) or all conversations")
    parser.add_argument("--only", nargs="+", help="run only these conversation ids")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write the figures and the failing conversations' reasons as JSON to PATH")
    args = parser.parse_args(argv)
    conversations = load_set(args.dialogues)
    if args.only:
        conversations = [c for c in conversations if str(c["id"]) in set(args.only)]
    if bool(args.rasa_url) != bool(args.search_url):
        sys.exit("error: --rasa-url and --search-url go together")
    matcher = ResponseMatcher(ROOT / "bot" / "domain")
    catalog = load_catalog(args.catalog)

    running: stack_module.Stack | None = None
    if args.rasa_url:
        say, search_url = rest_say(args.rasa_url.rstrip("/")), args.search_url.rstrip("/")
    else:
        base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
        config = replace(
            base,
            ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
            var_dir=Path(tempfile.mkdtemp(prefix="kc-bench-blind-")),
            support_token=None,
        )
        running = stack_module.Stack(config, echo=lambda line: print(line, file=sys.stderr))
        try:
            running.start()
        except stack_module.StackError as error:
            sys.exit(f"error: the assistant did not start: {error}")
        say, search_url = running.say, config.search_url
    judge = Judge(matcher, catalog, course_getter(search_url))
    results = []
    try:
        for text in ("Hallo", "Ich suche eine Fortbildung zu Excel"):  # warm-up, not timed
            say(f"warmup-{uuid.uuid4().hex[:8]}", text)
        for conversation in conversations:
            results.append(run_conversation(say, judge, conversation))
    finally:
        if running is not None:
            running.stop()
    print(f"set: {args.dialogues}")
    figures = report(results, args.transcript or "")
    if args.json:
        figures["set"] = str(args.dialogues)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
