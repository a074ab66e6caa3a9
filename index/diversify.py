"""Maximal marginal relevance: a result list that is relevant and not five variants of one course."""

from __future__ import annotations

import numpy as np

MMR_POOL = 30
MMR_LAMBDA = 0.7
NEAR_COPY = 0.97


def mmr(
    candidates: list[int], relevance: dict[int, float], vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA
) -> list[int]:
    """Maximal marginal relevance on the embeddings; near-copies (cos >= NEAR_COPY) go to the end."""
    if len(candidates) <= 1:
        return candidates[:k]
    vecs = vectors[np.array(candidates)]
    sims = vecs @ vecs.T
    rel = np.array([relevance[p] for p in candidates])
    chosen: list[int] = []
    left = list(range(len(candidates)))
    while left and len(chosen) < k:
        if chosen:
            max_sim = sims[np.ix_(left, chosen)].max(axis=1)
            scores = lam * rel[left] - (1 - lam) * max_sim - (max_sim >= NEAR_COPY) * 10.0
        else:
            scores = rel[left]
        best = left[int(np.argmax(scores))]
        chosen.append(best)
        left.remove(best)
    return [candidates[i] for i in chosen]
