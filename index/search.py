"""Hybrid course search: e5 dense retrieval (FAISS) fused with BM25, hard filters, German preference
phrases as soft preferences, MMR diversification and a calibrated "nothing fits" flag.

Preference phrases in the query text (decisions):
- "nur online", "ausschließlich online", "nur in Präsenz", "nur vor Ort" are HARD filters on ``format``
  ("nur" is an explicit exclusion); explicit ``filters`` from the caller take precedence over them.
- Everything else ("lieber online", "in Präsenz", "vor Ort", "für Einsteiger", "Anfänger", "Fortgeschrittene",
  "kostenlos", "gratis", "kurz", "unter 200 Euro", ...) is SOFT: matching courses get a bonus, conflicting
  ones a penalty, nobody is excluded.
All recognised phrases are stripped from the text used for retrieval.

Retrieval (decisions, measured with bench/bench_quality.py --cv on bench/data/devset.jsonl):
- Query words are normalised to the catalog's spelling first (``textprep.QuerySpeller``: umlauts
  restored, one or two typos corrected); BM25 and the dense encoder both see the normalised text.
- "linear" fusion: min-max scaled cosines (over the dense candidates) and max-scaled BM25 scores,
  weighted ``dense_weight`` : 1 - ``dense_weight``.
- Dense pseudo-relevance feedback: the query vector is moved towards the mean vector of the
  ``FEEDBACK_DOCS`` best *fused* courses, soft-preference bonus included (Rocchio, weight
  ``feedback_weight``); the dense candidates are retrieved again with it and fused once more. Seeding
  from the fused list lets BM25's exact matches steer the dense side (colloquial queries); seeding with
  the preference bonus keeps "lieber online" from being washed out by the sharper second pass. Filters
  apply to both passes.
- Every result carries ``weak``: its relevance is below ``WEAK_SHARE`` of the best course's in the whole
  catalog (unfiltered, offers already shown included), so a chat can leave out offers that only fill the
  list, also when a filter leaves only loose fits. The query-level ``no_good_match`` flag stays the verdict
  on the query as a whole.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from index import build as bld
from index import catalog as cat
from index import textprep

log = logging.getLogger("kc.index.search")

FILTER_KEYS = ("format", "level", "max_cost_eur", "max_duration_hours", "provider", "language")
RRF_K = 60
CANDIDATES = 100
MMR_POOL = 30
MMR_LAMBDA = 0.7
DENSE_WEIGHT = 0.7  # chosen by 5-fold cross-validation (bench_quality.py --cv), see bench/data/README.md
FEEDBACK_WEIGHT = 1.5  # Rocchio weight of the feedback centroid, chosen like DENSE_WEIGHT
FEEDBACK_DOCS = 3
NEAR_COPY = 0.97
SOFT_BONUS = 0.2
SHORT_HOURS = 8.0
SUBSET_BRUTE_FORCE = 20000
QUERY_CACHE_SIZE = 512
# A result is "weak" when its relevance (linear fusion of the unfiltered first pass, no preference bonus)
# is below this share of the best course's in the whole catalog; calibrated with bench_quality.py --weak.
WEAK_SHARE = 0.35


class IndexUnavailable(Exception):
    """No usable index (missing, unreadable or built with another model)."""


class QueryError(ValueError):
    """The request is invalid (bad filter value, ...)."""


# -- preference phrases --------------------------------------------------------------------------
_U = {"ae": "(?:ä|ae)", "oe": "(?:ö|oe)", "ue": "(?:ü|ue)", "ss": "(?:ß|ss)"}


def _rx(pattern: str) -> re.Pattern[str]:
    for k, v in _U.items():
        pattern = pattern.replace("{" + k + "}", v)
    return re.compile(r"(?<![\w-])" + pattern + r"(?![\w-])", re.IGNORECASE)


_F = r"(?:f{ue}r\s+)?"
# (pattern, kind, key, value); hard ones first so they win over the soft forms they contain.
PREFERENCE_PATTERNS: list[tuple[re.Pattern[str], str, str, Any]] = [
    (
        _rx(
            r"(?:nur|ausschlie{ss}lich|bitte\s+nur)\s+(?:als\s+)?online(?:[-\s]?(?:kurse?|angebote?|format))?"
        ),
        "hard",
        "format",
        "online",
    ),
    (
        _rx(r"(?:nur|ausschlie{ss}lich|bitte\s+nur)\s+(?:in\s+|als\s+)?(?:pr{ae}senz\w*|vor\s+ort)"),
        "hard",
        "format",
        "praesenz",
    ),
    (
        _rx(r"(?:lieber|am\s+liebsten|gerne?|bevorzugt|vorzugsweise|m{oe}glichst)\s+(?:als\s+)?online\w*"),
        "soft",
        "format",
        "online",
    ),
    (
        _rx(
            r"(?:als\s+)?online[-\s]?(?:kurse?|format|angebote?|seminare?|schulung(?:en)?|training)|webinare?|"
            r"e-learning|online"
        ),
        "soft",
        "format",
        "online",
    ),
    (
        _rx(
            r"(?:lieber\s+|gerne?\s+|am\s+liebsten\s+|bevorzugt\s+)?(?:in\s+pr{ae}senz|vor\s+ort|"
            r"pr{ae}senz(?:kurs|veranstaltung|seminar|schulung|format)?(?:e|en|n)?)"
        ),
        "soft",
        "format",
        "praesenz",
    ),
    (_rx(r"(?:als\s+)?(?:blended[-\s]learning|blended|hybrid\w*)"), "soft", "format", "blended"),
    (
        _rx(
            _F + r"(?:einsteiger(?:\*?innen)?|anf{ae}nger(?:\*?innen)?|neueinsteiger\w*|ohne\s+vorkenntnisse|"
            r"neu\s+im\s+thema)"
        ),
        "soft",
        "level",
        "einsteiger",
    ),
    (
        _rx(_F + r"(?:fortgeschrittenen?(?:\*?innen)?|fortgeschritten|mit\s+vorkenntnissen)"),
        "soft",
        "level",
        "fortgeschritten",
    ),
    (_rx(_F + r"(?:expert(?:en|innen|\*innen)|profis)"), "soft", "level", "experte"),
    (
        _rx(r"(?:kostenlos\w*|kostenfrei\w*|gratis|umsonst|geb{ue}hrenfrei|ohne\s+kosten)"),
        "soft",
        "max_cost_eur",
        0.0,
    ),
    (
        _rx(r"(?:unter|bis|max\.?|maximal|h{oe}chstens)\s+(\d+(?:[.,]\d+)?)\s*(?:€|euro|eur)"),
        "soft",
        "max_cost_eur",
        "group1",
    ),
    (
        _rx(r"(?:eher\s+|m{oe}glichst\s+)?(?:kurz|kurze[nmrs]?|kompakt\w*|wenig\s+zeit)"),
        "soft",
        "short",
        True,
    ),
]
_FILLER = _rx(
    r"(?:ich\s+)?(?:suche|m{oe}chte|h{ae}tte\s+gern|brauche)|bitte|kurs(?:e|angebot|angebote)?|"
    r"angebot(?:e)?|etwas|was|am|als|und|oder|f{ue}r|in|ein(?:en|e)?"
)


@dataclass
class ParsedQuery:
    text: str  # retrieval text (preference phrases stripped)
    soft: dict[str, Any] = field(default_factory=dict)
    hard: dict[str, list[str]] = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)


def parse_preferences(query: str) -> ParsedQuery:
    """Recognise German preference phrases; returns the cleaned retrieval text and the preferences."""
    parsed = ParsedQuery(text=query)
    text = query
    for pattern, kind, key, value in PREFERENCE_PATTERNS:
        for m in list(pattern.finditer(text)):
            parsed.phrases.append(m.group(0))
            val = cat.parse_number(m.group(1)) if value == "group1" else value
            if kind == "hard":
                parsed.hard.setdefault(key, [])
                if val not in parsed.hard[key]:
                    parsed.hard[key].append(val)
            elif key == "max_cost_eur":
                parsed.soft[key] = min(parsed.soft.get(key, math.inf), val)
            elif key not in parsed.hard:
                parsed.soft.setdefault(key, val)
        text = pattern.sub(" ", text)
    stripped = re.sub(r"\s+", " ", text).strip(" ,.;:!?-")
    if parsed.phrases:
        # Only stopword-like leftovers ("Ich suche einen Kurs ...")? Then there is no topic.
        topic = _FILLER.sub(" ", stripped).strip(" ,.;:!?-")
        stripped = stripped if topic else ""
    parsed.text = stripped
    return parsed


# -- filters -------------------------------------------------------------------------------------
def validate_filters(filters: Any) -> dict[str, Any]:
    """Normalise caller filters; raises QueryError with an English message."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise QueryError("'filters' must be an object")
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise QueryError(f"unknown filter(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in ("format", "level", "provider", "language"):
        value = filters.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise QueryError(f"filter '{key}' must be a string or a list of strings")
        if key == "format":
            norm = [cat.normalize_format(v) for v in values]
            if None in norm:
                raise QueryError(f"filter 'format' accepts {', '.join(cat.FORMATS)}")
            values = norm  # type: ignore[assignment]
        elif key == "level":
            values = [textprep.fold(v.strip()) for v in values]
            if any(v not in cat.LEVELS for v in values):
                raise QueryError(f"filter 'level' accepts {', '.join(cat.LEVELS)}")
        elif key == "language":
            values = [v.strip().lower() for v in values]
        if values:
            out[key] = values
    for key in ("max_cost_eur", "max_duration_hours"):
        value = filters.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise QueryError(f"filter '{key}' must be a non-negative number")
        out[key] = float(value)
    return out


# -- loaded index --------------------------------------------------------------------------------
class LoadedIndex:
    """One immutable index version in memory."""

    def __init__(self, version_dir: Path) -> None:
        import faiss

        self.dir = version_dir
        self.manifest = bld.read_manifest(version_dir)
        self.faiss = faiss.read_index(str(version_dir / "vectors.faiss"))
        storage = (
            self.faiss
            if self.manifest["index"]["type"] == "flat_ip"
            else faiss.downcast_index(self.faiss.storage)
        )
        n, d = self.faiss.ntotal, self.faiss.d
        # zero-copy view of the stored vectors (kept alive by self.faiss), used for MMR and subsets
        self.vectors = faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
        if "ef_search" in self.manifest["index"]:
            self.faiss.hnsw.efSearch = int(self.manifest["index"]["ef_search"])
        self.bm25: sp.csc_matrix = sp.load_npz(version_dir / "bm25.npz").tocsc()
        with open(version_dir / "terms.json", encoding="utf-8") as fh:
            terms = json.load(fh)
        self.terms: list[str] = terms["terms"]
        self.term_ids = {t: i for i, t in enumerate(self.terms)}
        self.analyzer = textprep.Analyzer(terms["vocabulary"])
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

    def facets(self, pos: int) -> dict[str, Any]:
        """format/level/cost/duration of one course from the filter arrays (no record decoding)."""
        f, lv = int(self.f_format[pos]), int(self.f_level[pos])
        cost, dur = float(self.f_cost[pos]), float(self.f_duration[pos])
        return {
            "format": cat.FORMATS[f] if f >= 0 else None,
            "level": cat.LEVELS[lv] if lv >= 0 else None,
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

    @property
    def n(self) -> int:
        return len(self.ids)

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

    def dense(self, q: np.ndarray, mask: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-n (positions, cosines) within mask."""
        import faiss

        if mask is None:
            scores, ids = self.faiss.search(q[None, :], min(n, self.n))
            keep = ids[0] >= 0
            return ids[0][keep], scores[0][keep]
        allowed = np.flatnonzero(mask)
        if len(allowed) == 0:
            return allowed, np.zeros(0, dtype=np.float32)
        if len(allowed) <= SUBSET_BRUTE_FORCE or self.manifest["index"]["type"] == "flat_ip":
            scores = self.vectors[allowed] @ q
            top = _top(scores, n)
            return allowed[top], scores[top]
        params = faiss.SearchParametersHNSW(
            sel=faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little")),
            efSearch=max(int(self.faiss.hnsw.efSearch), n),
        )
        scores, ids = self.faiss.search(q[None, :], min(n, len(allowed)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def query_term_ids(self, text: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for t in self.analyzer.terms(text):
            tid = self.term_ids.get(t)
            if tid is not None:
                counts[tid] = counts.get(tid, 0) + 1
        return counts

    def bm25_all(self, counts: dict[int, int]) -> np.ndarray | None:
        """BM25 score of every course for the query term counts; None without known terms."""
        if not counts:
            return None
        tids = np.fromiter(counts, dtype=np.int64)
        weights = np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self.bm25[:, tids] @ weights).ravel()

    def lexical(
        self, scores: np.ndarray | None, mask: np.ndarray | None, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-n (positions, BM25 scores > 0) within mask, from ``bm25_all``'s scores."""
        if scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = _top(scores, n)
        top = top[scores[top] > 0]
        return top, scores[top]


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part], kind="stable")]


# -- searcher ------------------------------------------------------------------------------------
class Searcher:
    """Thread-safe search over ``index_dir/current``; reloads when the ``current`` link changes."""

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
    ) -> None:
        import faiss

        # One query at a time: OpenMP threads only contend with the encoder on a small, shared machine.
        faiss.omp_set_num_threads(1)
        self.index_dir = Path(index_dir)
        self._encoder = encoder
        self.model_dir = model_dir
        self.fusion = fusion
        self.mmr = mmr
        self.dense_weight = dense_weight
        self.feedback_weight = feedback_weight
        self.weak_share = weak_share
        self._lock = threading.RLock()  # index() loads the encoder while holding it
        self._loaded: LoadedIndex | None = None
        self._link: str | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

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
            version = bld.current_version(self.index_dir)
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
        # Offers already shown stay in the retrieval and the fusion and leave only the final list: the
        # scores keep their scale, so "weak" means the same for a follow-up page as for the first one.
        excluded = {idx.pos[cid] for cid in exclude_ids or () if cid in idx.pos}
        topic = idx.speller.normalize(parsed.text)
        n_cand = max(CANDIDATES, 4 * k) + len(excluded)
        q = self._query_vector(topic or query)
        d_pos, d_score = idx.dense(q, mask, n_cand)
        counts = idx.query_term_ids(topic) if topic else {}
        lexical = idx.bm25_all(counts)
        l_pos, l_score = idx.lexical(lexical, mask, n_cand)
        # first pass over the whole catalog: the scale on which results are judged weak
        catalog_dense = (d_pos, d_score) if mask is None else idx.dense(q, None, CANDIDATES)
        catalog_lexical = (l_pos, l_score) if mask is None else idx.lexical(lexical, None, CANDIDATES)
        fused = self._fuse(d_pos, d_score, l_pos, l_score)
        best_cos = float(d_score[0]) if len(d_score) else -1.0
        if fused and self.feedback_weight > 0 and self.fusion in ("linear", "rrf"):
            q2 = self._feedback_vector(idx, q, _with_preferences(idx, fused, parsed.soft))
            d_pos, d_score = idx.dense(q2, mask, n_cand)
            fused = self._fuse(d_pos, d_score, l_pos, l_score)
        strong_lexical = self._strong_lexical(idx, topic, l_pos)
        no_good = bool(best_cos < idx.threshold and not strong_lexical)
        fused = {p: v for p, v in fused.items() if p not in excluded}
        if not fused:
            return {
                "results": [],
                "preferences": parsed.soft,
                "applied_filters": applied,
                "no_good_match": True,
                "index_version": idx.manifest["version"],
            }
        positions = list(fused)
        scored = _with_preferences(idx, fused, parsed.soft)
        ranked = sorted(positions, key=lambda p: -scored[p])
        chosen = _mmr(ranked[: max(MMR_POOL, k)], scored, idx.vectors, k) if self.mmr else ranked[:k]
        weak = self._weak(catalog_dense, catalog_lexical, chosen)
        records = idx.records(chosen)
        sub = idx.bm25[:, np.fromiter(counts, dtype=np.int64)].tocsr() if counts else None
        inv_terms = {tid: idx.terms[tid] for tid in counts}
        results = [
            self._result(idx, records[p], p, scored[p], topic, sub, list(counts), inv_terms)
            | {"weak": p in weak}
            for p in chosen
        ]
        return {
            "results": results,
            "preferences": parsed.soft,
            "applied_filters": applied,
            "no_good_match": no_good,
            "index_version": idx.manifest["version"],
        }

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

    def _feedback_vector(self, idx: LoadedIndex, q: np.ndarray, fused: dict[int, float]) -> np.ndarray:
        """Rocchio: the query vector moved towards the centroid of the best fused courses, re-normalised."""
        top = sorted(fused, key=lambda p: -fused[p])[:FEEDBACK_DOCS]
        moved = q + self.feedback_weight * idx.vectors[np.array(top)].mean(axis=0)
        return np.ascontiguousarray(moved / max(float(np.linalg.norm(moved)), 1e-12), dtype=np.float32)

    def _fuse(
        self, d_pos: np.ndarray, d_score: np.ndarray, l_pos: np.ndarray, l_score: np.ndarray
    ) -> dict[int, float]:
        """Fused relevance per position, scaled to ~[0, 1]."""
        out: dict[int, float] = {}
        if self.fusion == "rrf":
            top = 2.0 / (RRF_K + 1)
            for rank, p in enumerate(d_pos.tolist()):
                out[p] = out.get(p, 0.0) + 1.0 / (RRF_K + 1 + rank) / top
            for rank, p in enumerate(l_pos.tolist()):
                out[p] = out.get(p, 0.0) + 1.0 / (RRF_K + 1 + rank) / top
            return out
        if self.fusion == "dense":
            return {p: float(s) for p, s in zip(d_pos.tolist(), d_score.tolist(), strict=True)}
        if self.fusion == "bm25":
            mx = float(l_score[0]) if len(l_score) else 1.0
            return {p: float(s) / mx for p, s in zip(l_pos.tolist(), l_score.tolist(), strict=True)}
        return self._linear(d_pos, d_score, l_pos, l_score)

    def _linear(
        self, d_pos: np.ndarray, d_score: np.ndarray, l_pos: np.ndarray, l_score: np.ndarray
    ) -> dict[int, float]:
        """Linear score fusion: cosines mapped from [floor, best] of the candidates to [0, 1], BM25 scores
        divided by the best, weighted ``dense_weight`` : 1 - ``dense_weight``."""
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

    def _weak(
        self,
        catalog_dense: tuple[np.ndarray, np.ndarray],
        catalog_lexical: tuple[np.ndarray, np.ndarray],
        chosen: list[int],
    ) -> set[int]:
        """Chosen courses far below the best course of the whole catalog for this query.

        Judged on one scale for every search: the linear fusion of the unfiltered first-pass candidates
        (top cosines and BM25 scores without filters). A course outside those candidates scores 0. So a
        filter ("nur online") that leaves only loose fits, or a follow-up page after the best offers were
        shown, marks those fits weak.
        """
        catalog = self._linear(
            catalog_dense[0][:CANDIDATES],
            catalog_dense[1][:CANDIDATES],
            catalog_lexical[0][:CANDIDATES],
            catalog_lexical[1][:CANDIDATES],
        )
        bar = self.weak_share * max(catalog.values(), default=0.0)
        return {p for p in chosen if catalog.get(p, 0.0) < bar}

    @staticmethod
    def _strong_lexical(idx: LoadedIndex, text: str, l_pos: np.ndarray) -> bool:
        """The best BM25 hit contains at least 2/3 of the query's words (compound parts not counted),
        e.g. an acronym like "OZG" that the dense model scores low."""
        base = set(idx.analyzer.base_terms(text)) if text else set()
        if not base or not len(l_pos):
            return False
        tids = [idx.term_ids[t] for t in base if t in idx.term_ids]
        if not tids:
            return False
        found = idx.bm25[int(l_pos[0]), tids].nnz
        return found >= math.ceil(2 * len(base) / 3)

    def _result(
        self,
        idx: LoadedIndex,
        rec: dict[str, Any],
        pos: int,
        score: float,
        text: str,
        sub: sp.csr_matrix | None,
        tids: list[int],
        inv_terms: dict[int, str],
    ) -> dict[str, Any]:
        matched: list[str] = []
        if sub is not None:
            present = {inv_terms[tids[j]] for j in sub[pos].indices}
            if present:
                for label in cat.skill_labels(rec):
                    if any(_term_evident(idx, t, present) for t in idx.analyzer.base_terms(label)):
                        matched.append(label)
                covered = {t for label in matched for t in idx.label_terms(label)}
                judged: set[str] = set()
                for term, surface in idx.analyzer.terms_with_surface(text):
                    if surface in judged:  # compound parts follow their word; the word was judged already
                        continue
                    judged.add(surface)
                    if _term_evident(idx, term, present) and term not in covered and surface not in matched:
                        matched.append(surface)
                        covered.add(term)
        return {
            "id": rec["id"],
            "title": rec["title"],
            "provider": rec.get("provider"),
            "format": rec.get("format"),
            "duration_hours": rec.get("duration_hours"),
            "level": rec.get("level"),
            "cost_eur": rec.get("cost_eur"),
            "url": rec.get("url"),
            "score": round(float(score), 4),
            "matched": matched[:8],
            "description": rec["description"],
        }


def _term_evident(idx: LoadedIndex, term: str, present: set[str]) -> bool:
    """The offer really mentions this query word: the word itself, or the modifier parts of a compound.

    A shared head alone is no evidence ("Vergaberecht" and "Arbeitsrecht" share only "recht"), but the
    modifier is ("Vergaberecht" in an offer on "Bauvergabe").
    """
    if term in present:
        return True
    modifiers = idx.analyzer.split_compound(term)[:-1]
    return bool(modifiers) and all(part in present for part in modifiers)


def _with_preferences(idx: LoadedIndex, fused: dict[int, float], soft: dict[str, Any]) -> dict[int, float]:
    """Fused scores plus the soft-preference bonus (the ranking users see before MMR)."""
    if not soft:
        return fused
    return {p: s + _preference_bonus(idx.facets(p), soft) for p, s in fused.items()}


def _preference_bonus(rec: dict[str, Any], soft: dict[str, Any]) -> float:
    """Soft preferences: + for a match, - for a conflict, 0 when the course does not say."""
    bonus = 0.0
    fmt = soft.get("format")
    if fmt and rec.get("format"):
        if rec["format"] == fmt:
            bonus += SOFT_BONUS
        elif rec["format"] == "blended":
            bonus += SOFT_BONUS / 3
        else:
            bonus -= SOFT_BONUS
    level = soft.get("level")
    if level and rec.get("level"):
        dist = abs(cat.LEVELS.index(rec["level"]) - cat.LEVELS.index(level))
        bonus += SOFT_BONUS if dist == 0 else -SOFT_BONUS * dist
    if "max_cost_eur" in soft and rec.get("cost_eur") is not None:
        bonus += SOFT_BONUS if rec["cost_eur"] <= soft["max_cost_eur"] else -SOFT_BONUS
    if soft.get("short") and rec.get("duration_hours") is not None:
        bonus += (
            SOFT_BONUS
            if rec["duration_hours"] <= SHORT_HOURS
            else -SOFT_BONUS * min(1.0, (rec["duration_hours"] - SHORT_HOURS) / 24)
        )
    return bonus


def _mmr(
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
            mmr = lam * rel[left] - (1 - lam) * max_sim - (max_sim >= NEAR_COPY) * 10.0
        else:
            mmr = rel[left]
        best = left[int(np.argmax(mmr))]
        chosen.append(best)
        left.remove(best)
    return [candidates[i] for i in chosen]
