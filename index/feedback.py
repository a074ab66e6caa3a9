"""Dense pseudo-relevance feedback (Rocchio).

Decision: the query vector is moved towards the mean vector of the ``FEEDBACK_DOCS`` best *fused* courses,
soft-preference bonus included (weight ``feedback_weight``); the dense candidates are retrieved again with
it and fused once more. Seeding from the fused list lets BM25's exact matches steer the dense side
(colloquial queries); seeding with the preference bonus keeps "lieber online" from being washed out by the
sharper second pass.
"""

from __future__ import annotations

import numpy as np

FEEDBACK_WEIGHT = 1.5  # Rocchio weight of the feedback centroid, chosen like fusion.DENSE_WEIGHT
FEEDBACK_DOCS = 3


def feedback_vector(
    q: np.ndarray, vectors: np.ndarray, ranked: dict[int, float], weight: float
) -> np.ndarray:
    """The query vector moved towards the centroid of the best ranked courses, re-normalised."""
    top = sorted(ranked, key=lambda p: -ranked[p])[:FEEDBACK_DOCS]
    moved = q + weight * vectors[np.array(top)].mean(axis=0)
    return np.ascontiguousarray(moved / max(float(np.linalg.norm(moved)), 1e-12), dtype=np.float32)
