"""One immutable index version in memory: both retrievers, the filter arrays and the course records."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from german.vocabulary import FORMATS, LEVELS
from index import build as bld
from index import textprep
from index.retrievers import DenseRetriever, SparseRetriever


class IndexUnavailable(Exception):
    """No usable index (missing, unreadable or built with another model)."""


class LoadedIndex:
    """One immutable index version in memory."""

    def __init__(self, version_dir: Path) -> None:
        import faiss

        self.dir = version_dir
        self.manifest = bld.read_manifest(version_dir)
        # Any: faiss's stubs type this as the base Index, without the attributes of the concrete SWIG
        # classes (IndexHNSWFlat.hnsw, .storage, IndexFlat.get_xb) used below.
        self.faiss: Any = cast(Any, faiss.read_index(str(version_dir / "vectors.faiss")))
        kind = self.manifest["index"]["type"]
        storage: Any = self.faiss if kind == "flat_ip" else faiss.downcast_index(self.faiss.storage)
        n, d = self.faiss.ntotal, self.faiss.d
        # zero-copy view of the stored vectors (kept alive by self.faiss), used for MMR and subsets
        self.vectors = faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
        if "ef_search" in self.manifest["index"]:
            self.faiss.hnsw.efSearch = int(self.manifest["index"]["ef_search"])
        self.dense = DenseRetriever(self.faiss, self.vectors, kind)
        with open(version_dir / "terms.json", encoding="utf-8") as fh:
            terms = json.load(fh)
        self.analyzer = textprep.Analyzer(terms["vocabulary"])
        bm25: sp.csc_matrix = sp.load_npz(version_dir / "bm25.npz").tocsc()
        self.sparse = SparseRetriever(bm25, terms["terms"], self.analyzer)
        self.speller = textprep.QuerySpeller(terms.get("surface_forms", {}), self.analyzer)
        with open(version_dir / "meta.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        self.ids: list[str] = meta["ids"]
        self.pos = {cid: i for i, cid in enumerate(self.ids)}
        self.providers = {p: i for i, p in enumerate(meta["providers"])}
        self.languages = {lang: i for i, lang in enumerate(meta["languages"])}
        f = np.load(version_dir / "filters.npz")
        self.f_format, self.f_level = f["format"], f["level"]
        self.f_cost, self.f_duration = f["cost"], f["duration"]
        self.f_provider, self.f_language = f["provider"], f["language"]
        self.db = sqlite3.connect(
            f"file:{version_dir / 'courses.sqlite'}?mode=ro", uri=True, check_same_thread=False
        )
        self.db_lock = threading.Lock()
        self.threshold = float(self.manifest["no_match"]["threshold"])
        self._label_cache: dict[str, set[str]] = {}

    @property
    def n(self) -> int:
        return len(self.ids)

    def facets(self, pos: int) -> dict[str, Any]:
        """format/level/cost/duration of one course from the filter arrays (no record decoding)."""
        f, lv = int(self.f_format[pos]), int(self.f_level[pos])
        cost, dur = float(self.f_cost[pos]), float(self.f_duration[pos])
        return {
            "format": FORMATS[f] if f >= 0 else None,
            "level": LEVELS[lv] if lv >= 0 else None,
            "cost_eur": None if math.isnan(cost) else cost,
            "duration_hours": None if math.isnan(dur) else dur,
        }

    def label_terms(self, label: str) -> set[str]:
        terms = self._label_cache.get(label)
        if terms is None:
            terms = set(self.analyzer.terms(label))
            if len(self._label_cache) < 50000:
                self._label_cache[label] = terms
        return terms

    def records(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        if not positions:
            return {}
        marks = ",".join("?" * len(positions))
        with self.db_lock:
            rows = self.db.execute(
                f"SELECT pos, record FROM courses WHERE pos IN ({marks})", positions
            ).fetchall()
        return {pos: json.loads(rec) for pos, rec in rows}

    def mask(self, filters: dict[str, Any], exclude_ids: list[str]) -> np.ndarray | None:
        """Boolean mask of allowed courses, None when everything is allowed."""
        m = np.ones(self.n, dtype=bool)
        if "format" in filters:
            m &= np.isin(self.f_format, [bld.FORMAT_CODES[v] for v in filters["format"]])
        if "level" in filters:
            m &= np.isin(self.f_level, [bld.LEVEL_CODES[v] for v in filters["level"]])
        if "provider" in filters:
            m &= np.isin(self.f_provider, [self.providers.get(v, -2) for v in filters["provider"]])
        if "language" in filters:
            m &= np.isin(self.f_language, [self.languages.get(v, -2) for v in filters["language"]])
        if "max_cost_eur" in filters:  # unknown cost does not pass a cost limit
            m &= self.f_cost <= filters["max_cost_eur"]
        if "max_duration_hours" in filters:
            m &= self.f_duration <= filters["max_duration_hours"]
        for cid in exclude_ids:
            p = self.pos.get(cid)
            if p is not None:
                m[p] = False
        return None if m.all() else m
