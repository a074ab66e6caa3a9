"""Conversations and reply checks shared by bench/bench_load.py and bench/profile_turn.py.

Every conversation of the load benchmark plays one of the profiles below (a role, a topic, a learning format)
through the same 20 turns: greeting, role, topic, format, details, "Mehr dazu", a membership cost question
with the conversation's own employee count, FAQ, thanks, refinements, more offers, a bot question, goodbye.
Employee counts are unique per conversation, so a cost answer shows whose conversation it belongs to; offer
lists are compared with what the same profile got when played alone (the reference run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# (role sentence, topic sentence, format answer); topics far apart, so their offer lists hardly overlap.
PROFILES: list[tuple[str, str, str]] = [
    ("Ich bin Sachbearbeiterin im Bürgeramt", "Ich brauche was zu Excel", "egal"),
    ("Ich arbeite in der Kämmerei", "Mir fehlt Wissen zur Doppik", "online"),
    ("Ich bin beim Ordnungsamt", "Ich möchte lernen, mit aggressiven Bürgern umzugehen", "egal"),
    ("Ich bin Sachbearbeiter im Bauamt", "Vergaberecht und Ausschreibungen", "in Präsenz"),
    ("Ich arbeite im Jugendamt", "Gesprächsführung mit schwierigen Eltern", "online"),
    ("Ich bin IT-Koordinator in einer kleinen Gemeinde", "Wir sollen die E-Akte einführen", "egal"),
    ("Ich bin Sachgebietsleiterin im Sozialamt", "Mitarbeitergespräche führen", "lieber vor Ort"),
    ("Ich bin Personalsachbearbeiterin", "TVöD Eingruppierung", "online"),
    ("Ich bin Projektleiter in der Stadtverwaltung", "Onlinezugangsgesetz und Digitalisierung von Anträgen",
     "egal"),
    ("Ich arbeite im Standesamt", "Datenschutz im Alltag", "online"),
    ("Ich bin Azubi zur Verwaltungsfachangestellten", "Bescheide schreiben", "egal"),
    ("Ich bin Teamleiter im Hauptamt", "Zeitmanagement und Selbstorganisation", "egal"),
]

GREETINGS = ["Hallo", "Guten Morgen", "Hi", "Guten Tag"]

# The turns after the profile; {count} is the conversation's employee count.
FOLLOW_UPS = [
    "Details zu Nr. 1",
    "Mehr dazu",
    "Was kostet die Mitgliedschaft?",
    "Wir haben {count} Beschäftigte",
    "Wie werde ich Mitglied?",
    "Danke",
    "Nur online bitte",
    "Details zu Nr. 2",
    "Was bringt uns die Mitgliedschaft?",
    "Was kostet das bei {count} Beschäftigten?",
    "Gibt es noch mehr Kurse?",
    "Bist du ein Bot?",
    "Eher für Einsteiger",
    "Wer finanziert die Genossenschaft?",
    "Vielen Dank, das hilft mir",
    "Tschüss",
]

# First lines of bot messages that tell the checks what a reply is (texts from bot/domain/*.yml).
OFFERS_INTRO = re.compile(r"Diese \d Angebote passen zu Ihnen|Dieses Angebot passt zu Ihnen")
COST_ANSWER = re.compile(r"Bei ([\d.]+) Beschäftigten gilt Stufe")
SEARCH_DOWN = "Kurssuche ist gerade nicht erreichbar"
ACTION_FAILED = "etwas ist schiefgelaufen"


@dataclass
class Script:
    profile: int
    count: int
    messages: list[str] = field(default_factory=list)


def german_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def employee_count(conversation: int) -> int:
    """A different employee count for every conversation of a phase (37, 90, 143, ... up to 52,984), across
    all tiers; phases number their conversations from multiples of 1,000."""
    return 37 + 53 * (conversation % 1000)


def script(conversation: int, turns: int = 20) -> Script:
    profile = conversation % len(PROFILES)
    role, topic, fmt = PROFILES[profile]
    count = employee_count(conversation)
    messages = [GREETINGS[conversation % len(GREETINGS)], role, topic, fmt]
    messages += [m.format(count=german_number(count)) for m in FOLLOW_UPS]
    return Script(profile, count, messages[:turns])


def single_user_scripts() -> list[Script]:
    """One conversation per profile (the profiler and the single-user figures)."""
    return [script(number) for number in range(len(PROFILES))]


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("text")) for r in replies if r.get("text")]


def offer_ids(replies: list[dict[str, Any]]) -> list[str]:
    """Course ids of an offer list (the widget's structured cards), in order; empty if no offers."""
    ids = []
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("kc_offer"), dict):
            ids.append(str(custom["kc_offer"].get("id")))
    return ids


def cost_counts(replies: list[dict[str, Any]]) -> list[int]:
    """Employee counts named in membership cost answers ("Bei 1.850 Beschäftigten gilt Stufe 5 ...")."""
    return [int(m.group(1).replace(".", "")) for t in texts(replies) for m in COST_ANSWER.finditer(t)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
