"""The merger: one relevance per course from the dense and the sparse hit lists.

Decision (measured with bench/bench_quality.py --cv on bench/data/devset.jsonl): "linear" fusion, min-max
scaled cosines (over the dense candidates) and max-scaled BM25 scores, weighted ``dense_weight`` :
1 - ``dense_weight``. "rrf", "dense" and "bm25" remain for comparison.
"""

from __future__ import annotations

from index.retrievers import Hits

METHODS = ("linear", "rrf", "dense", "bm25")
RRF_K = 60
DENSE_WEIGHT = 0.7  # chosen by 5-fold cross-validation (bench_quality.py --cv), see bench/data/README.md


class Fusion:
    """Fuses (positions, scores) lists into position -> relevance, scaled to ~[0, 1]."""

    def __init__(self, method: str = "linear", dense_weight: float = DENSE_WEIGHT) -> None:
        self.method = method
        self.dense_weight = dense_weight

    def fuse(self, dense: Hits, sparse: Hits) -> dict[int, float]:
        (d_pos, d_score), (l_pos, l_score) = dense, sparse
        out: dict[int, float] = {}
        if self.method == "rrf":
            top = 2.0 / (RRF_K + 1)
            for rank, p in enumerate(d_pos.tolist()):
                out[p] = out.get(p, 0.0) + 1.0 / (RRF_K + 1 + rank) / top
            for rank, p in enumerate(l_pos.tolist()):
                out[p] = out.get(p, 0.0) + 1.0 / (RRF_K + 1 + rank) / top
            return out
        if self.method == "dense":
            return {p: float(s) for p, s in zip(d_pos.tolist(), d_score.tolist(), strict=True)}
        if self.method == "bm25":
            mx = float(l_score[0]) if len(l_score) else 1.0
            return {p: float(s) / mx for p, s in zip(l_pos.tolist(), l_score.tolist(), strict=True)}
        return self.linear(dense, sparse)

    def linear(self, dense: Hits, sparse: Hits) -> dict[int, float]:
        """Linear score fusion: cosines mapped from [floor, best] of the candidates to [0, 1], BM25 scores
        divided by the best, weighted ``dense_weight`` : 1 - ``dense_weight``."""
        (d_pos, d_score), (l_pos, l_score) = dense, sparse
        out: dict[int, float] = {}
        if len(d_score):
            lo = float(d_score[-1])
            span = max(float(d_score[0]) - lo, 1e-6)
            for p, s in zip(d_pos.tolist(), d_score.tolist(), strict=True):
                out[p] = self.dense_weight * (s - lo) / span
        if len(l_score):
            mx = float(l_score[0])
            for p, s in zip(l_pos.tolist(), l_score.tolist(), strict=True):
                out[p] = out.get(p, 0.0) + (1 - self.dense_weight) * s / mx
        return out


def truncate(hits: Hits, n: int) -> Hits:
    return hits[0][:n], hits[1][:n]
