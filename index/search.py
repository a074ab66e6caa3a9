"""Hybrid course search: the ``Searcher`` ties the parts together for one query.

query text -> preferences (``index.preferences``) and filters (``index.filters``) -> speller
(``textprep.QuerySpeller``: umlauts restored, one or two typos corrected) -> topic words for a told problem
(``index.problem_terms``) -> dense and sparse retrievers
(``index.retrievers`` over the ``index.loaded_index``) -> fusion (``index.fusion``) -> pseudo-relevance
feedback and a second dense pass (``index.feedback``) -> soft-preference bonus -> MMR (``index.diversify``)
-> weak / "nothing fits" verdicts (``index.verdict``) -> match explanation (``index.explain``).

Filters apply to both passes. Offers already shown stay in retrieval and fusion and leave only the final list:
the scores keep their scale, so "weak" means the same for a follow-up page as for the first one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from index import build as bld
from index import versions
from index.diversify import MMR_POOL, mmr
from index.explain import MatchExplainer, result_record
from index.feedback import FEEDBACK_WEIGHT, feedback_vector
from index.filters import QueryError, validate_filters
from index.fusion import DENSE_WEIGHT, Fusion
from index.loaded_index import IndexUnavailable, LoadedIndex
from index.preferences import parse_preferences, with_preferences
from index.problem_terms import with_problem_terms
from index.verdict import WEAK_SHARE, no_good_match, weak_positions

log = logging.getLogger("kc.index.search")

CANDIDATES = 100
QUERY_CACHE_SIZE = 512

__all__ = ["IndexUnavailable", "QueryError", "Searcher"]


class Searcher:
    """Thread-safe search over ``index_dir/current``; reloads when the ``current`` link changes.

    ``fusion``, ``dense_weight``, ``feedback_weight``, ``weak_share``, ``mmr`` and ``problem_terms`` are plain
    settings that benchmarks may change between queries.
    """

    def __init__(
        self,
        index_dir: str | Path,
        encoder: Any = None,
        model_dir: str | Path | None = None,
        fusion: str = "linear",
        mmr: bool = True,
        dense_weight: float = DENSE_WEIGHT,
        feedback_weight: float = FEEDBACK_WEIGHT,
        weak_share: float = WEAK_SHARE,
        problem_terms: bool = True,
    ) -> None:
        import faiss

        # One query at a time: OpenMP threads only contend with the encoder on a small, shared machine.
        faiss.omp_set_num_threads(1)
        self.index_dir = Path(index_dir)
        self._encoder = encoder
        self.model_dir = model_dir
        self.merger = Fusion(fusion, dense_weight)
        self.mmr = mmr
        self.feedback_weight = feedback_weight
        self.weak_share = weak_share
        self.problem_terms = problem_terms
        self._lock = threading.RLock()  # index() loads the encoder while holding it
        self._loaded: LoadedIndex | None = None
        self._link: str | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def fusion(self) -> str:
        return self.merger.method

    @fusion.setter
    def fusion(self, method: str) -> None:
        self.merger.method = method

    @property
    def dense_weight(self) -> float:
        return self.merger.dense_weight

    @dense_weight.setter
    def dense_weight(self, weight: float) -> None:
        self.merger.dense_weight = weight

    # loading
    def _current_link(self) -> str | None:
        try:
            return os.readlink(self.index_dir / "current")
        except OSError:
            return None

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    try:
                        self._encoder = bld.load_query_encoder(self.model_dir)
                    except (OSError, bld.BuildError) as exc:
                        raise IndexUnavailable(f"embedding model unavailable: {exc}") from exc
                    log.info("query encoder: %s", self._encoder.name)
        return self._encoder

    def index(self) -> LoadedIndex:
        """The current index version (cheap readlink check per call; reload on change)."""
        link = self._current_link()
        loaded = self._loaded
        if loaded is not None and link == self._link:
            return loaded
        with self._lock:
            if self._loaded is not None and link == self._link:
                return self._loaded
            version = versions.current_version(self.index_dir)
            if version is None:
                if self._loaded is not None:  # keep serving what we have
                    log.error("index link %s/current is broken; serving the loaded version", self.index_dir)
                    return self._loaded
                raise IndexUnavailable(f"no index at {self.index_dir} (run 'kc-index build')")
            try:
                new = LoadedIndex(version)
                self._check_model(new)
            except Exception as exc:
                if self._loaded is not None:  # a bad new version never breaks a running service
                    log.error("cannot use index version %s (%s); keeping the old one", version.name, exc)
                    self._link = link  # do not retry this version on every request
                    return self._loaded
                if isinstance(exc, IndexUnavailable):
                    raise
                raise IndexUnavailable(f"index at {version} is unreadable: {exc}") from exc
            self._loaded, self._link = new, link
            log.info("loaded index version %s (%d courses)", version.name, new.n)
            return new

    def _check_model(self, loaded: LoadedIndex) -> None:
        have = bld.identity_key(self.encoder.identity)
        if have != loaded.manifest.get("model_identity_key"):
            raise IndexUnavailable("index was built with a different embedding model; rebuild it")

    def health(self) -> dict[str, Any]:
        idx = self.index()
        return {"status": "ok", "courses": idx.n, "index_version": idx.manifest["version"]}

    def get_course(self, course_id: str) -> dict[str, Any] | None:
        idx = self.index()
        p = idx.pos.get(course_id)
        return None if p is None else idx.records([p]).get(p)

    # searching
    def search(
        self,
        query: str,
        k: int = 5,
        filters: dict[str, Any] | None = None,
        exclude_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        idx = self.index()
        filters = validate_filters(filters)
        parsed = parse_preferences(query)
        applied = dict(filters)
        for key, values in parsed.hard.items():
            applied.setdefault(key, values)  # caller filters take precedence
        mask = idx.mask(applied, [])
        excluded = {idx.pos[cid] for cid in exclude_ids or () if cid in idx.pos}
        topic = idx.speller.normalize(parsed.text)
        if self.problem_terms:  # a told problem gets the catalog's words for its topic; named topics stay
            topic = with_problem_terms(topic, told=parsed.text)
        n_cand = max(CANDIDATES, 4 * k) + len(excluded)
        q = self._query_vector(topic or query)
        dense = idx.dense.search(q, mask, n_cand)
        counts = idx.sparse.term_counts(topic) if topic else {}
        bm25 = idx.sparse.scores(counts)
        sparse = idx.sparse.top(bm25, mask, n_cand)
        # first pass over the whole catalog: the scale on which results are judged weak
        catalog_dense = dense if mask is None else idx.dense.search(q, None, CANDIDATES)
        catalog_sparse = sparse if mask is None else idx.sparse.top(bm25, None, CANDIDATES)
        fused = self.merger.fuse(dense, sparse)
        best_cos = float(dense[1][0]) if len(dense[1]) else -1.0
        if fused and self.feedback_weight > 0 and self.fusion in ("linear", "rrf"):
            seeds = with_preferences(fused, parsed.soft, idx.facets)
            q2 = feedback_vector(q, idx.vectors, seeds, self.feedback_weight)
            dense = idx.dense.search(q2, mask, n_cand)
            fused = self.merger.fuse(dense, sparse)
        no_good = no_good_match(idx, best_cos, topic, sparse[0])
        fused = {p: v for p, v in fused.items() if p not in excluded}
        answer: dict[str, Any] = {
            "results": [],
            "preferences": parsed.soft,
            "applied_filters": applied,
            "no_good_match": True,
            "index_version": idx.manifest["version"],
        }
        if not fused:
            return answer
        scored = with_preferences(fused, parsed.soft, idx.facets)
        ranked = sorted(fused, key=lambda p: -scored[p])
        chosen = mmr(ranked[: max(MMR_POOL, k)], scored, idx.vectors, k) if self.mmr else ranked[:k]
        weak = weak_positions(self.merger, catalog_dense, catalog_sparse, chosen, self.weak_share, CANDIDATES)
        records = idx.records(chosen)
        explainer = MatchExplainer(idx, topic, counts)
        answer["results"] = [
            result_record(records[p], scored[p], explainer.matched(records[p], p), p in weak) for p in chosen
        ]
        answer["no_good_match"] = no_good
        return answer

    def _query_vector(self, text: str) -> np.ndarray:
        """e5 query vector; small LRU cache because follow-ups ("andere Themen") repeat the query."""
        with self._cache_lock:
            vec = self._qcache.get(text)
            if vec is not None:
                self._qcache.move_to_end(text)
                return vec
        vec = np.ascontiguousarray(self.encoder.encode_queries([text])[0], dtype=np.float32)
        with self._cache_lock:
            self._qcache[text] = vec
            while len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)
        return vec
