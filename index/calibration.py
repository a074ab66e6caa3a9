"""Calibration of the "nothing fits" threshold on a freshly built index, from off-topic probe queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index import catalog as cat

# Off-topic probe queries used to calibrate the "nothing fits" threshold on the built index
# (operator data: never shown to users).
OFF_TOPIC_PROBES = (
    "Rezept für Apfelkuchen mit Streuseln",
    "Wie wird das Wetter morgen in Hamburg?",
    "Ergebnisse der Fußball-Bundesliga am Wochenende",
    "günstige Flüge nach Mallorca buchen",
    "Mein Auto springt bei Kälte nicht an",
    "Welche Zimmerpflanzen brauchen wenig Licht?",
    "Wie trainiere ich für einen Marathon?",
    "Gitarre spielen lernen Akkorde",
    "Hausmittel gegen Erkältung und Halsschmerzen",
    "Urlaub mit Hund an der Ostsee",
    "Wann blühen Kirschbäume in Japan?",
    "Katze frisst nicht mehr",
    "Pizza Teig selber machen",
    "Songtext von einem Schlager aus den Siebzigern",
    "Reifenwechsel Winterreifen Termin",
    "Wie pflanze ich Tomaten auf dem Balkon?",
    "Schach Eröffnungen für Anfänger",
    "beste Serien zum Streamen",
    "Hochzeitsfeier planen Location",
    "Aquarium einrichten Fische",
    "Vulkanausbruch Island aktuell",
    "Kreuzfahrt Mittelmeer Angebote",
    "Sauerteig Brot backen",
    "Skiurlaub in den Alpen",
    "Geburtstagsgeschenk für meine Oma",
    "Fahrrad Kette ölen",
    "Strickmuster für einen Schal",
    "Mondfinsternis heute Nacht",
    "Lottozahlen vom Samstag",
    "Kinderlieder zum Mitsingen",
    "Grillen mit Holzkohle Tipps",
    "Yoga Übungen für den Rücken",
)


def calibrate_no_match(encoder: Any, index: Any, on_topic: Sequence[str]) -> dict[str, Any]:
    """Pick the 'nothing fits' cosine threshold from this index: the 90th percentile of the best scores of
    off-topic probes. On-topic probe queries (skill labels / short titles) are recorded for comparison."""
    off = encoder.encode_queries(list(OFF_TOPIC_PROBES))
    off_best = index.search(np.ascontiguousarray(off, dtype=np.float32), 1)[0][:, 0]
    on = encoder.encode_queries(list(on_topic))
    on_best = index.search(np.ascontiguousarray(on, dtype=np.float32), 1)[0][:, 0]
    off_hi = float(np.quantile(off_best, 0.9))
    on_lo = float(np.quantile(on_best, 0.05))
    # Real questions are often vaguer than the skill-label probes (colloquial dev queries reach only
    # ~0.82-0.84), so the threshold is the off-topic p90 itself: err on the side of showing courses.
    threshold = off_hi
    return {
        "threshold": round(threshold, 4),
        "off_topic_p90": round(off_hi, 4),
        "off_topic_max": round(float(off_best.max()), 4),
        "on_topic_p05": round(on_lo, 4),
        "on_topic_median": round(float(np.median(on_best)), 4),
        "n_off_topic": len(off_best),
        "n_on_topic": len(on_best),
    }


def on_topic_probes(courses: Sequence[dict[str, Any]], limit: int = 150, seed: int = 3) -> list[str]:
    """Short user-like queries from the catalog: first skill label, else the title's first words."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(courses), size=min(limit, len(courses)), replace=False)
    out = []
    for i in picks:
        skills = cat.skill_labels(courses[int(i)])
        out.append(skills[0] if skills else " ".join(courses[int(i)]["title"].split()[:4]))
    return out
