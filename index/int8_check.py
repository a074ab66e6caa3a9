"""Is the int8 query encoder good enough on this CPU? Measured once per machine, read at service start.

onnxruntime runs the int8 graph with different kernels per CPU: with AVX-512 VNNI (or AVX-VNNI) the products
are summed in 32 bits; on plain AVX2 they pass through saturating 16-bit sums, and the vectors move further
from fp32 (issue 14: min cosine 0.989 there, 0.993 with VNNI). A raw cosine threshold tuned on one CPU does
not say whether search results change, so the check compares what a user gets: for a fixed query set shipped
in the repo (``index/data/encoder_check_queries.txt``) the demo-catalog courses found with the int8 query
vectors against those found with the fp32 ONNX query vectors (courses embedded in fp32). Exact top-10 lists
differ even between fp32 and a slightly noisy fp32 (near-tied courses swap places), so int8 passes when the
courses that matter survive: fp32's top 5 are among int8's top 10, and fp32's best course among int8's top 3.
Measured (200 queries, README "Abfrage-Encoder"): with VNNI 0.998 / 1.000, plain AVX2 (emulated) 0.998 /
1.000; fp32 vectors with noise of min cosine 0.985 reach 0.977 / 0.985 and fail.

``index.export_onnx`` runs the check after an export and whenever the CPU or onnxruntime changed, and writes
``kc_int8_check.json`` next to the export. When ``KC_QUERY_ENCODER`` is unset, the search service takes int8
only where that file says it passed on this very CPU, otherwise fp32 ONNX, and logs which and why.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from e5.files import ONNX_IDENTITY_FILE, read_json

CHECK_FILE = "kc_int8_check.json"
CHECK_VERSION = 1
DATA = Path(__file__).resolve().parent / "data"
QUERIES = DATA / "encoder_check_queries.txt"
CATALOG = DATA / "catalog.jsonl"
TOP_K = 10
# Pass marks: int8 must find the courses that fp32 finds (see the module docstring for the figures).
MIN_TOP5_FOUND = 0.98  # mean share of fp32's top 5 that are among int8's top 10
MIN_BEST_IN_TOP3 = 0.98  # share of queries whose fp32 best course is among int8's top 3
BROKEN_COSINE = 0.95  # below this for any query the graph is broken, whatever the rankings say
# CPU features that select onnxruntime's int8 matrix kernels (Linux /proc/cpuinfo names).
INT8_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "amx_int8", "amx_tile")


def cpu_signature() -> dict[str, Any]:
    """What decides the int8 kernels: the CPU's int8 feature flags and the onnxruntime release."""
    flags: list[str] | str | None = None
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("flags"):
                present = set(line.split(":", 1)[1].split())
                flags = [f for f in INT8_FLAGS if f in present]
                break
    except OSError:
        pass
    if flags is None:
        flags = f"unknown ({platform.processor() or platform.system()})"
    return {
        "machine": platform.machine(),
        "int8_flags": flags,
        "onnxruntime": importlib.metadata.version("onnxruntime"),
    }


def describe_cpu(signature: dict[str, Any]) -> str:
    flags = signature.get("int8_flags")
    vnni = isinstance(flags, list) and any(f in flags for f in ("avx512_vnni", "avx_vnni", "amx_int8"))
    kernels = "VNNI" if vnni else "no VNNI"
    return f"{signature.get('machine')}, {kernels}, onnxruntime {signature.get('onnxruntime')}"


def load_queries(path: Path = QUERIES) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def load_passages(path: Path = CATALOG) -> list[str]:
    """The demo catalog's course texts as the index embeds them."""
    from index import catalog as cat
    from index.build import passage_text

    return [passage_text(course) for course in cat.load_catalog(path).courses]


def agreement(fp32: np.ndarray, int8: np.ndarray, passages: np.ndarray, k: int = TOP_K) -> dict[str, float]:
    """Cosines of the int8 to the fp32 query vectors and how far the courses they find agree."""
    cosines = (fp32 * int8).sum(axis=1)
    top_fp32 = np.argsort(-(fp32 @ passages.T), axis=1)[:, :k]
    top_int8 = np.argsort(-(int8 @ passages.T), axis=1)[:, :k]
    pairs = list(zip(top_fp32, top_int8, strict=True))
    return {
        "queries": int(len(fp32)),
        "top5_found": round(float(np.mean([len(set(a[:5]) & set(b)) / 5 for a, b in pairs])), 4),
        "best_in_top3": round(float(np.mean([a[0] in b[:3] for a, b in pairs])), 4),
        "overlap_at_10": round(float(np.mean([len(set(a) & set(b)) / k for a, b in pairs])), 4),
        "same_best": round(float((top_fp32[:, 0] == top_int8[:, 0]).mean()), 4),
        "min_cosine": round(float(cosines.min()), 5),
        "mean_cosine": round(float(cosines.mean()), 5),
    }


def verdict(figures: dict[str, float]) -> tuple[bool, str]:
    """(passed, English reason with the figures)."""
    summary = (
        f"fp32 top 5 in int8 top 10: {figures['top5_found']:.3f}, fp32 best in int8 top 3: "
        f"{figures['best_in_top3']:.3f}, min cosine {figures['min_cosine']:.4f}, {figures['queries']} queries"
    )
    if figures["min_cosine"] < BROKEN_COSINE:
        return False, f"int8 vectors are broken on this CPU ({summary})"
    if figures["top5_found"] < MIN_TOP5_FOUND or figures["best_in_top3"] < MIN_BEST_IN_TOP3:
        return False, (
            f"int8 changes search results on this CPU ({summary}; needs >= {MIN_TOP5_FOUND} and "
            f">= {MIN_BEST_IN_TOP3})"
        )
    return True, f"int8 passed the retrieval check on this CPU ({summary})"


def measure(model_dir: Path, onnx_dir: Path, threads: int = 1) -> dict[str, float]:
    """Figures of the int8 encoder against fp32 ONNX on this CPU (courses embedded with fp32 ONNX)."""
    from e5 import OnnxEncoder

    fp32 = OnnxEncoder(model_dir, onnx_dir, "onnx", threads)
    int8 = OnnxEncoder(model_dir, onnx_dir, "onnx-int8", threads)
    queries = load_queries()
    passages = fp32.encode_passages(load_passages())
    # One query per call, as the service encodes them (int8 activations are quantised per call).
    reference = np.stack([fp32.encode_queries([q])[0] for q in queries])
    ours = np.stack([int8.encode_queries([q])[0] for q in queries])
    return agreement(reference, ours, passages)


def run_check(model_dir: Path, onnx_dir: Path) -> dict[str, Any]:
    """Measure int8 on this CPU and write ``kc_int8_check.json`` into ``onnx_dir``; returns its content."""
    start = time.monotonic()
    figures = measure(model_dir, onnx_dir)
    passed, reason = verdict(figures)
    result = {
        "check_version": CHECK_VERSION,
        "export": read_json(onnx_dir / ONNX_IDENTITY_FILE),
        "cpu": cpu_signature(),
        "figures": figures,
        "passed": passed,
        "reason": reason,
        "seconds": round(time.monotonic() - start, 1),
    }
    (onnx_dir / CHECK_FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def stale_reason(onnx_dir: Path) -> str | None:
    """None when ``onnx_dir`` holds a check of its current export on this CPU, else what is missing."""
    check = read_json(onnx_dir / CHECK_FILE)
    if check is None or check.get("check_version") != CHECK_VERSION:
        return "int8 has not been checked on this CPU"
    if check.get("export") != read_json(onnx_dir / ONNX_IDENTITY_FILE):
        return "the int8 check was made for another export"
    here = cpu_signature()
    if check.get("cpu") != here:
        there = describe_cpu(check.get("cpu") or {})
        return f"the int8 check was made on another CPU ({there}; here: {describe_cpu(here)})"
    return None


def default_variant(onnx_dir: Path) -> tuple[str, str]:
    """("onnx-int8" or "onnx", why) for a search service on this CPU when KC_QUERY_ENCODER is unset."""
    problem = stale_reason(onnx_dir)
    if problem:
        return "onnx", f"default fp32 ONNX: {problem}; 'make setup' (python -m index.export_onnx) checks it"
    check = read_json(onnx_dir / CHECK_FILE) or {}
    if check.get("passed"):
        return "onnx-int8", f"default: {check.get('reason')}"
    return "onnx", f"default fp32 ONNX: {check.get('reason')}"


def int8_warning(onnx_dir: Path) -> str | None:
    """A warning when int8 was asked for by name although it did not pass (or was not checked) here."""
    problem = stale_reason(onnx_dir)
    if problem:
        return problem
    check = read_json(onnx_dir / CHECK_FILE) or {}
    return None if check.get("passed") else str(check.get("reason"))
