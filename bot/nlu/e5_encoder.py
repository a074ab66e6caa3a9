"""The e5 encoder of the NLU components: the shared ONNX pipeline (package ``e5``) plus a cache of texts.

The search service encodes queries with the same code and the same export (``index.embedding``), so a
message's sentence vector here is the vector the course index computes for it (checked against the index
runtime in tests/bot/test_e5_featurizer.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from e5 import Encoded, EncoderUnavailable, OnnxEncoder, default_onnx_dir
from e5.files import ModelMissing

ONNX_DIR_ENV = "KC_ONNX_DIR"
# Encoded texts kept per process, bounded by their size (a long message's word-piece states take far more
# memory than a short one's): cross-validation folds and repeated messages are encoded once. 0 switches the
# cache off (bench/bench_load.py does, so that its repeated scripts cost what new messages cost).
CACHE_ENV = "KC_E5_CACHE_MB"
DEFAULT_CACHE_MB = 256


class E5ModelMissingError(FileNotFoundError):
    """The converted e5 folder or its ONNX export is missing or stale; the message says what to run."""


def cache_bytes(env: dict[str, str] | None = None) -> int:
    raw = (os.environ if env is None else env).get(CACHE_ENV, "").strip()
    if not raw:
        return DEFAULT_CACHE_MB * 2**20
    if not raw.isdigit():
        raise ValueError(f"{CACHE_ENV}={raw!r}: expected a whole number of megabytes (0 = no cache).")
    return int(raw) * 2**20


def size_of(encoded: Encoded) -> int:
    return int(encoded.sentence.nbytes + encoded.pieces.nbytes) + 16 * len(encoded.spans) + 200


class CachedEncoder:
    """Query-side encoding ("query: " prompt) with a per-process cache of encoded texts, bounded in bytes."""

    def __init__(self, encoder: OnnxEncoder, max_bytes: int | None = None) -> None:
        self.encoder = encoder
        self.max_bytes = cache_bytes() if max_bytes is None else max_bytes
        self._cache: dict[str, Encoded] = {}
        self._bytes = 0

    @property
    def name(self) -> str:
        return self.encoder.name

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> list[Encoded]:
        """Encode texts (results keep the input order); texts seen before come from the cache."""
        known = {t: self._cache[t] for t in texts if t in self._cache}
        todo = sorted({t for t in texts if t not in known})
        fresh = dict(zip(todo, self.encoder.encode(todo, "query", batch_size), strict=True)) if todo else {}
        for text, encoded in fresh.items():
            self._remember(text, encoded)
        return [fresh[t] if t in fresh else known[t] for t in texts]

    def _remember(self, text: str, encoded: Encoded) -> None:
        size = size_of(encoded) + len(text)
        if size > self.max_bytes:
            return
        while self._cache and self._bytes + size > self.max_bytes:
            oldest, dropped = next(iter(self._cache.items()))
            del self._cache[oldest]
            self._bytes -= size_of(dropped) + len(oldest)
        self._cache[text] = encoded
        self._bytes += size


def onnx_dir_for(model_dir: Path, configured: str | None) -> Path:
    """The configured folder, else ``KC_ONNX_DIR`` (set by the Makefile), else the model folder's sibling."""
    chosen = configured or os.environ.get(ONNX_DIR_ENV)
    return Path(chosen) if chosen else default_onnx_dir(model_dir)


@lru_cache(maxsize=4)
def load_encoder(model_dir: str, onnx_dir: str, variant: str, threads: int) -> CachedEncoder:
    """One encoder per export, variant and process (featurizer, intent classifier and tests share it)."""
    try:
        return CachedEncoder(OnnxEncoder(Path(model_dir), Path(onnx_dir), variant, threads))
    except (ModelMissing, EncoderUnavailable) as error:
        raise E5ModelMissingError(
            f"The NLU pipeline needs the e5 model and its ONNX export: {error}. Then train again."
        ) from error
