"""Near-duplicate filter: no dev or test query, nor a close paraphrase of one, may be in the training data.

A training query is removed when, for any evaluation query, either

* the base model's cosine of the two (both with the "query: " prompt) is at least ``COSINE``, or at least
  ``COSINE_WITH_WORDING`` while at least ``WORDING`` of the evaluation query's 4-grams occur in the training
  text (same situation in partly the same words), or
* their character 4-gram sets (lower case, umlauts folded, punctuation dropped) overlap with a Jaccard
  index of at least ``JACCARD``, or the evaluation query's 4-grams are contained in the training text to at
  least ``CONTAINMENT`` (a training text that quotes the query inside a longer sentence).

The thresholds were set by reading the closest training/dev pairs (never test pairs): multilingual-e5-small
puts unrelated German sentences of this domain at cosines up to ~0.90, paraphrases of the same situation at
~0.90-0.93 ("ich bin 58 und komme mit dem Digitalkram nicht mehr mit" / "seit 25 Jahren hier und jetzt soll
alles digital laufen": 0.915). They err on the side of removing; the same thresholds apply to both splits.
The report names the evaluation query only by its id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from german.folding import fold

COSINE = 0.91
COSINE_WITH_WORDING = 0.89
WORDING = 0.3
JACCARD = 0.5
CONTAINMENT = 0.8
NGRAM = 4
_NON_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Match:
    """The closest evaluation query of one training text and why it counts as a near duplicate."""

    train_index: int
    split: str
    qid: str
    cosine: float
    jaccard: float
    containment: float

    @property
    def duplicate(self) -> bool:
        return (
            self.cosine >= COSINE
            or (self.cosine >= COSINE_WITH_WORDING and self.containment >= WORDING)
            or self.jaccard >= JACCARD
            or self.containment >= CONTAINMENT
        )


def ngrams(text: str, n: int = NGRAM) -> frozenset[str]:
    """Character n-grams of the folded text (words joined by single spaces, padded with one space)."""
    norm = " " + _NON_WORD.sub(" ", fold(text)).strip() + " "
    return frozenset(norm[i : i + n] for i in range(max(len(norm) - n + 1, 1)))


def closest(
    train_texts: Sequence[str],
    train_vectors: np.ndarray,
    eval_items: Sequence[tuple[str, str, str]],
    eval_vectors: np.ndarray,
) -> list[Match]:
    """For every training text, the strongest evidence against each evaluation query, reduced to the most
    duplicate-like one (``eval_items``: (split, qid, text))."""
    cosines = train_vectors @ eval_vectors.T
    eval_grams = [ngrams(text) for _, _, text in eval_items]
    out: list[Match] = []
    for i, text in enumerate(train_texts):
        grams = ngrams(text)
        best: Match | None = None
        for j, (split, qid, _) in enumerate(eval_items):
            common = len(grams & eval_grams[j])
            jaccard = common / max(len(grams | eval_grams[j]), 1)
            containment = common / max(len(eval_grams[j]), 1)
            match = Match(i, split, qid, float(cosines[i, j]), jaccard, containment)
            if best is None or _strength(match) > _strength(best):
                best = match
        if best is not None:
            out.append(best)
    return out


def _strength(m: Match) -> float:
    """How close a match is to any threshold (>= 1 means duplicate)."""
    wording = min(m.cosine / COSINE_WITH_WORDING, m.containment / WORDING)
    return max(m.cosine / COSINE, wording, m.jaccard / JACCARD, m.containment / CONTAINMENT)
