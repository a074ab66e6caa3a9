"""Build the course index directory atomically.

Layout::

    DIR/versions/<timestamp>-<hash>/   manifest.json, vectors.faiss, bm25.npz, terms.json, meta.json,
                                       filters.npz, courses.sqlite
    DIR/current -> versions/<...>      symlink, switched with an atomic rename

A build is skipped ("index up to date") when the catalog checksum, the model identity and the build
parameters equal those of the current version.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from german.vocabulary import FORMATS, LEVELS
from index import catalog as cat
from index import textprep
from index.models import index_model_dir

log = logging.getLogger("kc.index.build")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUILD_FORMAT = 2
BM25_K1 = 1.2
BM25_B = 0.75
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 100
KEEP_VERSIONS = 3
FORMAT_CODES = {f: i for i, f in enumerate(FORMATS)}
LEVEL_CODES = {level: i for i, level in enumerate(LEVELS)}

# Off-topic probe queries used to calibrate the "nothing fits" threshold on the built index
# (operator data: never shown to users).
OFF_TOPIC_PROBES = (
    "Rezept für Apfelkuchen mit Streuseln",
    "Wie wird das Wetter morgen in Hamburg?",
    "Ergebnisse der Fußball-Bundesliga am Wochenende",
    "günstige Flüge nach Mallorca buchen",
    "Mein Auto springt bei Kälte nicht an",
    "Welche Zimmerpflanzen brauchen wenig Licht?",
    "Wie trainiere ich für einen Marathon?",
    "Gitarre spielen lernen Akkorde",
    "Hausmittel gegen Erkältung und Halsschmerzen",
    "Urlaub mit Hund an der Ostsee",
    "Wann blühen Kirschbäume in Japan?",
    "Katze frisst nicht mehr",
    "Pizza Teig selber machen",
    "Songtext von einem Schlager aus den Siebzigern",
    "Reifenwechsel Winterreifen Termin",
    "Wie pflanze ich Tomaten auf dem Balkon?",
    "Schach Eröffnungen für Anfänger",
    "beste Serien zum Streamen",
    "Hochzeitsfeier planen Location",
    "Aquarium einrichten Fische",
    "Vulkanausbruch Island aktuell",
    "Kreuzfahrt Mittelmeer Angebote",
    "Sauerteig Brot backen",
    "Skiurlaub in den Alpen",
    "Geburtstagsgeschenk für meine Oma",
    "Fahrrad Kette ölen",
    "Strickmuster für einen Schal",
    "Mondfinsternis heute Nacht",
    "Lottozahlen vom Samstag",
    "Kinderlieder zum Mitsingen",
    "Grillen mit Holzkohle Tipps",
    "Yoga Übungen für den Rücken",
)


class BuildError(Exception):
    """The build failed; the current index is left untouched."""


@dataclass
class BuildResult:
    status: str  # "built" | "up_to_date"
    version_dir: Path
    n_courses: int
    n_rejected: int
    rejected_path: Path | None
    seconds: float = 0.0


# -- encoder and paths ---------------------------------------------------------------------------
def load_encoder(model_dir: str | Path | None = None) -> Any:
    """Load the e5 encoder (``index.embedding.Encoder``) from ``model_dir`` (default var/models/...)."""
    from index.embedding import Encoder  # imported lazily: torch is slow to import

    model_dir = Path(model_dir) if model_dir else index_model_dir()
    if not model_dir.exists():
        raise BuildError(f"model directory not found: {model_dir} (run the model conversion first)")
    return Encoder(model_dir)


def load_query_encoder(model_dir: str | Path | None = None) -> Any:
    """The query encoder named by ``KC_QUERY_ENCODER`` (default onnx-int8); no fallback to another one."""
    from index.embedding import EncoderUnavailable, load_query_encoder

    model_dir = Path(model_dir) if model_dir else index_model_dir()
    if not model_dir.exists():
        raise BuildError(f"model directory not found: {model_dir} (run the model conversion first)")
    try:
        return load_query_encoder(model_dir)
    except EncoderUnavailable as exc:
        raise BuildError(str(exc)) from exc


def model_identity(model_dir: str | Path | None = None) -> Any:
    """Model identity read from the converted model's identity file, without loading the model."""
    from index.convert_model import IDENTITY_FILE

    model_dir = Path(model_dir) if model_dir else index_model_dir()
    try:
        return json.loads((model_dir / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BuildError(
            f"model identity not readable in {model_dir} ({exc}); run the model conversion first"
        ) from exc


def identity_key(identity: Any) -> str:
    return json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)


def current_version(index_dir: str | Path) -> Path | None:
    """The version directory ``DIR/current`` points to, or None when there is none."""
    link = Path(index_dir) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    version = (link.parent / target).resolve()
    return version if (version / "manifest.json").is_file() else None


def read_manifest(version_dir: Path) -> dict[str, Any]:
    with open(version_dir / "manifest.json", encoding="utf-8") as fh:
        return json.load(fh)


# -- text ----------------------------------------------------------------------------------------
def passage_text(course: dict[str, Any]) -> str:
    """Text embedded for a course (the encoder adds the 'passage: ' prompt)."""
    parts = [course["title"] + ".", course["description"]]
    skills = cat.skill_labels(course)
    if skills:
        parts.append("Kompetenzen: " + ", ".join(skills) + ".")
    if course.get("target_group"):
        parts.append("Zielgruppe: " + course["target_group"])
    return " ".join(parts)


def bm25_text(course: dict[str, Any]) -> str:
    """Text indexed by BM25; the title counts twice."""
    skills = " ; ".join(cat.skill_labels(course))
    return " \n ".join(
        [course["title"], course["title"], course["description"], skills, course.get("target_group", "")]
    )


# -- BM25 ----------------------------------------------------------------------------------------
def build_bm25(texts: Sequence[str]) -> tuple[sp.csc_matrix, list[str], list[str]]:
    """BM25 weight matrix (docs x terms, CSC), term list, compound vocabulary."""
    analyzer = textprep.Analyzer()
    base = [analyzer.base_terms(t) for t in texts]
    vocabulary = sorted(textprep.build_vocabulary(base))
    analyzer = textprep.Analyzer(vocabulary)
    term_ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.float32)
    for doc, terms in enumerate(base):
        expanded: list[str] = []
        for t in terms:
            expanded.append(t)
            expanded.extend(analyzer.split_compound(t))
        lengths[doc] = len(expanded)
        for t in expanded:
            tid = term_ids.setdefault(t, len(term_ids))
            rows.append(doc)
            cols.append(tid)
    n = len(texts)
    tf = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(term_ids)))
    tf.sum_duplicates()
    df = np.bincount(tf.indices, minlength=len(term_ids)).astype(np.float32)
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    avgdl = float(lengths.mean()) if n else 1.0
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(avgdl, 1e-6))
    doc_of_entry = np.repeat(np.arange(n), np.diff(tf.indptr))
    data = tf.data * (BM25_K1 + 1) / (tf.data + norm[doc_of_entry]) * idf[tf.indices]
    weights = sp.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape).tocsc()
    terms = [""] * len(term_ids)
    for t, i in term_ids.items():
        terms[i] = t
    return weights, terms, vocabulary


# -- dense ---------------------------------------------------------------------------------------
def build_faiss(
    vectors: np.ndarray, approx_threshold: int, real_queries: np.ndarray | None = None
) -> tuple[Any, dict[str, Any]]:
    """Exact IndexFlatIP, or HNSW above ``approx_threshold`` with measured recall@10 vs exact.

    ``real_queries`` (e5 query vectors) are used to tune efSearch: perturbed document vectors alone
    overestimate recall (0.99 on probes vs 0.89 on real queries at 100k with efSearch 64)."""
    import faiss

    n, d = vectors.shape
    if n <= approx_threshold:
        exact = faiss.IndexFlatIP(d)
        exact.add(vectors)
        return exact, {"type": "flat_ip"}
    index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.add(vectors)
    info = {"type": "hnsw_flat_ip", "M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION}
    info.update(tune_hnsw(index, vectors, real_queries))
    return index, info


def probe_queries(vectors: np.ndarray, n_queries: int = 300, noise: float = 0.6, seed: int = 7) -> np.ndarray:
    """Query-like probe vectors: perturbed, re-normalised copies of random document vectors."""
    rng = np.random.default_rng(seed)
    picks = vectors[rng.choice(len(vectors), size=min(n_queries, len(vectors)), replace=False)]
    noisy = picks + rng.normal(scale=noise / np.sqrt(vectors.shape[1]), size=picks.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def recall_at_k(approx_ids: np.ndarray, exact_ids: np.ndarray, k: int = 10) -> float:
    hits = sum(len(set(a[:k]) & set(e[:k])) for a, e in zip(approx_ids, exact_ids, strict=True))
    return hits / (k * len(exact_ids))


def tune_hnsw(
    index: Any, vectors: np.ndarray, real_queries: np.ndarray | None = None, target: float = 0.95
) -> dict[str, Any]:
    """Raise efSearch until recall@10 against exact search reaches ``target`` on real e5 query vectors
    (when given) and on perturbed document vectors, each set on its own."""
    import faiss

    sets = {"perturbed_docs": probe_queries(vectors)}
    if real_queries is not None and len(real_queries):
        sets["real_queries"] = np.ascontiguousarray(real_queries, dtype=np.float32)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    exact_ids = {name: exact.search(q, 10)[1] for name, q in sets.items()}
    ef = 32
    while True:
        index.hnsw.efSearch = ef
        recalls = {name: recall_at_k(index.search(q, 10)[1], exact_ids[name]) for name, q in sets.items()}
        if min(recalls.values()) >= target or ef >= 1024:
            break
        ef *= 2
    return {
        "ef_search": ef,
        "recall_at_10_vs_exact": round(min(recalls.values()), 4),
        "recall_by_probe_set": {name: round(r, 4) for name, r in recalls.items()},
        "recall_probe_queries": {name: len(q) for name, q in sets.items()},
    }


def calibrate_no_match(encoder: Any, index: Any, on_topic: Sequence[str]) -> dict[str, Any]:
    """Pick the 'nothing fits' cosine threshold from this index: the 90th percentile of the best scores of
    off-topic probes. On-topic probe queries (skill labels / short titles) are recorded for comparison."""
    off = encoder.encode_queries(list(OFF_TOPIC_PROBES))
    off_best = index.search(np.ascontiguousarray(off, dtype=np.float32), 1)[0][:, 0]
    on = encoder.encode_queries(list(on_topic))
    on_best = index.search(np.ascontiguousarray(on, dtype=np.float32), 1)[0][:, 0]
    off_hi = float(np.quantile(off_best, 0.9))
    on_lo = float(np.quantile(on_best, 0.05))
    # Real questions are often vaguer than the skill-label probes (colloquial dev queries reach only
    # ~0.82-0.84), so the threshold is the off-topic p90 itself: err on the side of showing courses.
    threshold = off_hi
    return {
        "threshold": round(threshold, 4),
        "off_topic_p90": round(off_hi, 4),
        "off_topic_max": round(float(off_best.max()), 4),
        "on_topic_p05": round(on_lo, 4),
        "on_topic_median": round(float(np.median(on_best)), 4),
        "n_off_topic": len(off_best),
        "n_on_topic": len(on_best),
    }


def on_topic_probes(courses: Sequence[dict[str, Any]], limit: int = 150, seed: int = 3) -> list[str]:
    """Short user-like queries from the catalog: first skill label, else the title's first words."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(courses), size=min(limit, len(courses)), replace=False)
    out = []
    for i in picks:
        skills = cat.skill_labels(courses[int(i)])
        out.append(skills[0] if skills else " ".join(courses[int(i)]["title"].split()[:4]))
    return out


# -- metadata ------------------------------------------------------------------------------------
def write_metadata(dest: Path, courses: Sequence[dict[str, Any]]) -> None:
    con = sqlite3.connect(dest / "courses.sqlite")
    try:
        con.execute(
            "CREATE TABLE courses (pos INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL)"
        )
        con.executemany(
            "INSERT INTO courses VALUES (?, ?, ?)",
            ((i, c["id"], json.dumps(c, ensure_ascii=False)) for i, c in enumerate(courses)),
        )
        con.commit()
    finally:
        con.close()
    providers = sorted({c["provider"] for c in courses if c.get("provider")})
    languages = sorted({c["language"] for c in courses if c.get("language")})
    p_codes = {p: i for i, p in enumerate(providers)}
    l_codes = {lang: i for i, lang in enumerate(languages)}
    np.savez(
        dest / "filters.npz",
        format=np.array([FORMAT_CODES.get(c.get("format") or "", -1) for c in courses], dtype=np.int8),
        level=np.array([LEVEL_CODES.get(c.get("level") or "", -1) for c in courses], dtype=np.int8),
        cost=np.array([c.get("cost_eur", np.nan) for c in courses], dtype=np.float32),
        duration=np.array([c.get("duration_hours", np.nan) for c in courses], dtype=np.float32),
        provider=np.array([p_codes.get(c.get("provider"), -1) for c in courses], dtype=np.int32),
        language=np.array([l_codes.get(c.get("language"), -1) for c in courses], dtype=np.int32),
    )
    with open(dest / "meta.json", "w", encoding="utf-8") as fh:
        json.dump(
            {"ids": [c["id"] for c in courses], "providers": providers, "languages": languages},
            fh,
            ensure_ascii=False,
        )


# -- orchestration -------------------------------------------------------------------------------
def _switch_current(index_dir: Path, version_dir: Path) -> None:
    tmp_link = index_dir / f".current.tmp-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(version_dir, index_dir), tmp_link)
    os.replace(tmp_link, index_dir / "current")  # atomic on POSIX


def _prune(index_dir: Path, keep: Path) -> None:
    versions = sorted(
        p for p in (index_dir / "versions").iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    for old in versions[:-KEEP_VERSIONS]:
        if old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)
    for tmp in (index_dir / "versions").glob(".tmp-*"):  # leftovers of crashed builds
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)


def build_index(
    catalog_path: str | Path,
    index_dir: str | Path,
    *,
    encoder: Any = None,
    model_dir: str | Path | None = None,
    strict: bool = False,
    rejected_path: str | Path | None = None,
    approx_threshold: int = 20000,
    force: bool = False,
    encoder_factory: Callable[[], Any] | None = None,
) -> BuildResult:
    """Validate the catalog and (re)build the index unless it is up to date."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    loaded = cat.load_catalog(catalog_path)
    rej = write_rejected_or_none(loaded, rejected_path)
    for line in cat.format_report(loaded):
        log.warning("rejected %s", line)
    if loaded.rejected and strict:
        raise cat.CatalogError(
            f"{len(loaded.rejected)} invalid row(s) in {loaded.path}; --strict refuses the import"
        )
    if not loaded.courses:
        raise cat.CatalogError(f"no valid courses in {loaded.path}")
    identity = encoder.identity if encoder is not None else model_identity(model_dir)
    params = {
        "build_format": BUILD_FORMAT,
        "textprep": textprep.TEXTPREP_VERSION,
        "approx_threshold": approx_threshold,
    }
    current = current_version(index_dir)
    if current is not None and not force:
        m = read_manifest(current)
        if (
            m.get("catalog_sha256") == loaded.sha256
            and m.get("model_identity_key") == identity_key(identity)
            and m.get("params") == params
        ):
            return BuildResult(
                "up_to_date",
                current,
                m["n_courses"],
                len(loaded.rejected),
                rej,
                time.perf_counter() - started,
            )
    if encoder is None:
        encoder = encoder_factory() if encoder_factory else load_encoder(model_dir)
    versions = index_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + loaded.sha256[:12]
    while (versions / name).exists():
        name += "x"
    tmp = versions / f".tmp-{name}"
    tmp.mkdir()
    try:
        manifest = _build_into(tmp, loaded, encoder, approx_threshold)
        manifest.update(
            {
                "version": name,
                "params": params,
                "catalog_path": str(Path(catalog_path).resolve()),
                "catalog_sha256": loaded.sha256,
                "n_rejected": len(loaded.rejected),
                "model_identity": encoder.identity,
                "model_identity_key": identity_key(encoder.identity),
                "build_seconds": round(time.perf_counter() - started, 2),
            }
        )
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
        os.rename(tmp, versions / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _switch_current(index_dir, versions / name)
    _prune(index_dir, versions / name)
    return BuildResult(
        "built",
        versions / name,
        len(loaded.courses),
        len(loaded.rejected),
        rej,
        time.perf_counter() - started,
    )


def write_rejected_or_none(loaded: cat.LoadResult, rejected_path: str | Path | None) -> Path | None:
    return cat.write_rejected(loaded, Path(rejected_path) if rejected_path else None)


def _build_into(dest: Path, loaded: cat.LoadResult, encoder: Any, approx_threshold: int) -> dict[str, Any]:
    import faiss

    courses = loaded.courses
    t0 = time.perf_counter()
    vectors = np.ascontiguousarray(
        encoder.encode_passages([passage_text(c) for c in courses]), dtype=np.float32
    )
    if vectors.ndim != 2 or vectors.shape[0] != len(courses):
        raise BuildError(f"encoder returned shape {vectors.shape} for {len(courses)} passages")
    norms = np.linalg.norm(vectors, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        raise BuildError("encoder returned vectors that are not L2-normalised")
    t_encode = time.perf_counter() - t0
    real_queries = None
    if len(courses) > approx_threshold:  # real e5 query vectors to tune the approximate index
        real_queries = encoder.encode_queries(
            on_topic_probes(courses, limit=300, seed=11) + list(OFF_TOPIC_PROBES)
        )
    index, index_info = build_faiss(vectors, approx_threshold, real_queries)
    faiss.write_index(index, str(dest / "vectors.faiss"))
    t1 = time.perf_counter()
    texts = [bm25_text(c) for c in courses]
    weights, terms, vocabulary = build_bm25(texts)
    sp.save_npz(dest / "bm25.npz", weights, compressed=False)
    with open(dest / "terms.json", "w", encoding="utf-8") as fh:
        json.dump(
            {"terms": terms, "vocabulary": vocabulary, "surface_forms": textprep.surface_forms(texts)},
            fh,
            ensure_ascii=False,
        )
    t_bm25 = time.perf_counter() - t1
    write_metadata(dest, courses)
    calibration = calibrate_no_match(encoder, index, on_topic_probes(courses))
    return {
        "n_courses": len(courses),
        "dim": int(vectors.shape[1]),
        "index": index_info,
        "bm25": {"k1": BM25_K1, "b": BM25_B, "n_terms": len(terms)},
        "no_match": calibration,
        "timings": {"encode_s": round(t_encode, 2), "bm25_s": round(t_bm25, 2)},
    }
