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
# Encoded texts kept per process: cross-validation folds and repeated messages are encoded once.
CACHE_SIZE = 20_000


class E5ModelMissingError(FileNotFoundError):
    """The converted e5 folder or its ONNX export is missing or stale; the message says what to run."""


class CachedEncoder:
    """Query-side encoding ("query: " prompt) with a bounded per-process cache of encoded texts."""

    def __init__(self, encoder: OnnxEncoder) -> None:
        self.encoder = encoder
        self._cache: dict[str, Encoded] = {}

    @property
    def name(self) -> str:
        return self.encoder.name

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> list[Encoded]:
        """Encode texts (results keep the input order); texts seen before come from the cache."""
        todo = sorted({t for t in texts if t not in self._cache})
        fresh = dict(zip(todo, self.encoder.encode(todo, "query", batch_size), strict=True)) if todo else {}
        for text, encoded in fresh.items():
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = encoded
        return [fresh[t] if t in fresh else self._cache[t] for t in texts]


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
