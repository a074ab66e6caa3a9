"""The two retrievers over one loaded index version: dense (e5 vectors in FAISS) and sparse (BM25 matrix).

Both answer "the top-n courses within a mask" as (positions, scores), best first; a mask is a boolean array
over the courses (None: all allowed). Fusion of the two lists is ``index.fusion``'s job.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from index import textprep

# Up to this many allowed courses, a filtered dense search scores them exactly instead of asking HNSW.
SUBSET_BRUTE_FORCE = 20000

Hits = tuple[np.ndarray, np.ndarray]


def top_positions(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores, best first (stable for ties)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")]


class DenseRetriever:
    """Cosine search on the normalised course vectors (exact flat index or HNSW)."""

    def __init__(self, faiss_index: Any, vectors: np.ndarray, kind: str) -> None:
        self.faiss = faiss_index
        self.vectors = vectors  # zero-copy view of the stored vectors, kept alive by faiss_index
        self.kind = kind

    def search(self, q: np.ndarray, mask: np.ndarray | None, n: int) -> Hits:
        """Top-n (positions, cosines) within mask."""
        import faiss

        if mask is None:
            scores, ids = self.faiss.search(q[None, :], min(n, len(self.vectors)))
            keep = ids[0] >= 0
            return ids[0][keep], scores[0][keep]
        allowed = np.flatnonzero(mask)
        if len(allowed) == 0:
            return allowed, np.zeros(0, dtype=np.float32)
        if len(allowed) <= SUBSET_BRUTE_FORCE or self.kind == "flat_ip":
            scores = self.vectors[allowed] @ q
            top = top_positions(scores, n)
            return allowed[top], scores[top]
        # faiss's stubs lack SearchParametersHNSW and the Python wrapper IDSelectorBitmap(bitmap array)
        selector = faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))  # type: ignore[call-arg,arg-type]
        params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
            sel=selector, efSearch=max(int(self.faiss.hnsw.efSearch), n)
        )
        scores, ids = self.faiss.search(q[None, :], min(n, len(allowed)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


class SparseRetriever:
    """BM25 over the precomputed course x term score matrix (``index.build``)."""

    def __init__(self, bm25: sp.csc_matrix, terms: list[str], analyzer: textprep.Analyzer) -> None:
        self.bm25 = bm25
        self.terms = terms
        self.term_ids = {t: i for i, t in enumerate(terms)}
        self.analyzer = analyzer

    def document_frequency(self, term: str) -> int:
        """How many courses hold ``term`` (0 for a term outside the vocabulary)."""
        tid = self.term_ids.get(term)
        return 0 if tid is None else int(self.bm25.indptr[tid + 1] - self.bm25.indptr[tid])

    def term_counts(self, text: str) -> dict[int, int]:
        """Known term id -> count in the query text (compound parts included)."""
        counts: dict[int, int] = {}
        for t in self.analyzer.terms(text):
            tid = self.term_ids.get(t)
            if tid is not None:
                counts[tid] = counts.get(tid, 0) + 1
        for term, surface in self.analyzer.terms_with_surface(text):
            for related in textprep.related_terms(term, surface):
                tid = self.term_ids.get(related)
                if tid is not None and tid not in counts:
                    counts[tid] = 1  # "ausschreiben" also finds "Ausschreibung", "Ausbilderinnen" "Ausbilder"
        return counts

    def scores(self, counts: dict[int, int]) -> np.ndarray | None:
        """BM25 score of every course for the query term counts; None without known terms."""
        if not counts:
            return None
        tids = np.fromiter(counts, dtype=np.int64)
        weights = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.bm25[:, tids] @ weights).ravel()

    def top(self, scores: np.ndarray | None, mask: np.ndarray | None, n: int) -> Hits:
        """Top-n (positions, BM25 scores > 0) within mask, from ``scores``."""
        if scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = top_positions(scores, n)
        top = top[scores[top] > 0]
        return top, scores[top]
