"""Verdicts on relevance: is a result weak, does anything in the catalog fit the query at all?

- ``weak_positions``: a result is weak when its relevance is below ``WEAK_SHARE`` of the best course's in
  the whole catalog (unfiltered, offers already shown included), so a chat can leave out offers that only
  fill the list, also when a filter leaves only loose fits.
- ``no_good_match``: the query as a whole: the best cosine is below the threshold calibrated at build time
  and no BM25 hit contains most of the query's words.
"""

from __future__ import annotations

import math

import numpy as np

from index.fusion import Fusion, truncate
from index.loaded_index import LoadedIndex
from index.retrievers import Hits

# Calibrated with bench_quality.py --weak.
WEAK_SHARE = 0.35


def weak_positions(
    fusion: Fusion, catalog_dense: Hits, catalog_sparse: Hits, chosen: list[int], share: float, depth: int
) -> set[int]:
    """Chosen courses far below the best course of the whole catalog for this query.

    Judged on one scale for every search: the linear fusion of the unfiltered first-pass candidates (the
    top ``depth`` cosines and BM25 scores without filters). A course outside those candidates scores 0. So
    a filter ("nur online") that leaves only loose fits, or a follow-up page after the best offers were
    shown, marks those fits weak.
    """
    catalog = fusion.linear(truncate(catalog_dense, depth), truncate(catalog_sparse, depth))
    bar = share * max(catalog.values(), default=0.0)
    return {p for p in chosen if catalog.get(p, 0.0) < bar}


def strong_lexical(idx: LoadedIndex, text: str, l_pos: np.ndarray) -> bool:
    """The best BM25 hit contains at least 2/3 of the query's words (compound parts not counted),
    e.g. an acronym like "OZG" that the dense model scores low."""
    base = set(idx.analyzer.base_terms(text)) if text else set()
    if not base or not len(l_pos):
        return False
    tids = [idx.sparse.term_ids[t] for t in base if t in idx.sparse.term_ids]
    if not tids:
        return False
    found = idx.sparse.bm25[int(l_pos[0]), tids].nnz
    return found >= math.ceil(2 * len(base) / 3)


def no_good_match(idx: LoadedIndex, best_cosine: float, text: str, l_pos: np.ndarray) -> bool:
    """Nothing in the catalog fits: weak best cosine and no strong lexical hit."""
    return bool(best_cosine < idx.threshold and not strong_lexical(idx, text, l_pos))
