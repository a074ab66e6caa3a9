"""The parts of the search on their own: filters, preferences, fusion, feedback, MMR, the weak verdict."""

from __future__ import annotations

import numpy as np
import pytest

from index.diversify import mmr
from index.feedback import feedback_vector
from index.filters import QueryError, validate_filters
from index.fusion import Fusion
from index.preferences import SOFT_BONUS, preference_bonus, with_preferences
from index.verdict import weak_positions


def _hits(pairs: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p for p, _ in pairs], dtype=np.int64), np.array([s for _, s in pairs], dtype=np.float32)


def test_filters_accept_the_shared_format_words_and_refuse_unknown_values():
    assert validate_filters({"format": "Hybrid", "level": ["Einsteiger"]}) == {
        "format": ["blended"],
        "level": ["einsteiger"],
    }
    with pytest.raises(QueryError, match="filter 'level' accepts"):
        validate_filters({"level": "Anfänger"})
    with pytest.raises(QueryError, match="unknown filter"):
        validate_filters({"colour": "blau"})
    with pytest.raises(QueryError, match="non-negative"):
        validate_filters({"max_cost_eur": -1})


def test_soft_preferences_reward_fits_and_penalise_conflicts():
    online = {"format": "online", "level": "einsteiger", "cost_eur": 0, "duration_hours": 4}
    blended = {"format": "blended", "level": "experte", "cost_eur": 500, "duration_hours": 40}
    wish = {"format": "online", "level": "einsteiger", "max_cost_eur": 100.0, "short": True}
    assert preference_bonus(online, wish) == pytest.approx(4 * SOFT_BONUS)
    # blended is partly online; two levels off; over budget; far too long
    assert preference_bonus(blended, wish) == pytest.approx(SOFT_BONUS / 3 - 2 * SOFT_BONUS - 2 * SOFT_BONUS)
    assert preference_bonus({}, wish) == 0.0  # a course that does not say is neither
    facets = {1: online, 2: blended}
    assert with_preferences({1: 0.5, 2: 0.9}, {"format": "online"}, facets.__getitem__) == pytest.approx(
        {1: 0.5 + SOFT_BONUS, 2: 0.9 + SOFT_BONUS / 3}
    )


def test_linear_fusion_scales_both_lists_and_weights_them():
    dense = _hits([(1, 0.9), (2, 0.8), (3, 0.7)])
    sparse = _hits([(3, 10.0), (4, 5.0)])
    fused = Fusion("linear", dense_weight=0.7).fuse(dense, sparse)
    assert fused == pytest.approx({1: 0.7, 2: 0.35, 3: 0.3, 4: 0.15}, abs=1e-6)
    assert Fusion("bm25").fuse(dense, sparse) == pytest.approx({3: 1.0, 4: 0.5})
    rrf = Fusion("rrf").fuse(dense, sparse)
    assert max(rrf, key=rrf.get) == 3  # found by both


def test_feedback_moves_the_query_towards_the_best_courses():
    vectors = np.eye(4, dtype=np.float32)
    q = np.array([1, 0, 0, 0], dtype=np.float32)
    moved = feedback_vector(q, vectors, {1: 0.9, 2: 0.8, 3: 0.7, 0: 0.1}, weight=1.5)
    assert np.linalg.norm(moved) == pytest.approx(1.0)
    assert moved[1] > 0 and moved[2] > 0 and moved[3] > 0 and moved[0] < 1


def test_mmr_puts_near_copies_last():
    vectors = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    relevance = {0: 1.0, 1: 0.99, 2: 0.5}
    assert mmr([0, 1, 2], relevance, vectors, k=3) == [0, 2, 1]


def test_results_far_below_the_catalog_best_are_weak_whatever_the_filter():
    catalog_dense = _hits([(1, 0.9), (2, 0.85), (3, 0.5)])
    catalog_sparse = _hits([(1, 8.0), (2, 6.0)])
    weak = weak_positions(Fusion(), catalog_dense, catalog_sparse, [2, 3, 9], share=0.35, depth=100)
    assert weak == {3, 9}  # 9 is not even among the catalog's candidates
