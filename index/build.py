"""Build the course index directory atomically.

Layout::

    DIR/versions/<timestamp>-<hash>/   manifest.json, vectors.faiss, bm25.npz, terms.json, meta.json,
                                       filters.npz, courses.sqlite
    DIR/current -> versions/<...>      symlink, switched with an atomic rename

A build is skipped ("index up to date") when the catalog checksum, the model identity and the build
parameters equal those of the current version. The parts live in their own modules: ``bm25_build``,
``dense_build``, ``course_store``, ``calibration``, ``versions`` (directory layout, shared with the reader);
this module loads the encoder and ties them together.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from index import catalog as cat
from index import textprep
from index.bm25_build import BM25_B, BM25_K1, bm25_text, build_bm25
from index.calibration import OFF_TOPIC_PROBES, calibrate_no_match, on_topic_probes
from index.course_store import write_metadata
from index.dense_build import build_faiss
from index.models import index_model_dir
from index.versions import current_version, prune, read_manifest, switch_current

log = logging.getLogger("kc.index.build")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUILD_FORMAT = 2


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


# -- orchestration -------------------------------------------------------------------------------


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
    switch_current(index_dir, versions / name)
    prune(index_dir, versions / name)
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
