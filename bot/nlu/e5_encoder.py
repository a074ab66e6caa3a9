"""multilingual-e5-small in plain numpy, for the Rasa runtime (which has no torch).

Reads the sentence-transformers folder written by ``index.convert_model`` (``model.safetensors``,
``tokenizer.json``, ``config.json``) and runs the BERT encoder forward pass. The sentence vector is
what the index runtime's encoder computes for a query: ``"query: " + text`` wrapped in ``<s> ... </s>``,
mean of the last hidden states, L2-normalised. Besides, the last hidden state of every word piece is
returned with its character span in the text, so callers can build per-token features.

Texts longer than 510 word pieces are truncated (chat messages are far shorter; the index encoder
splits such texts into windows instead).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import erf

IDENTITY_FILE = "kc_model_identity.json"
QUERY_PROMPT = "query: "
MAX_CONTENT_TOKENS = 510
# Encoded texts kept per process: cross-validation folds and repeated messages are encoded once.
CACHE_SIZE = 20_000
SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16}


class E5ModelMissingError(FileNotFoundError):
    """The converted e5 folder is missing or incomplete."""


@dataclass(frozen=True)
class Encoded:
    """One text: its sentence vector (384,), word-piece states (n, 384) and their spans in the text."""

    sentence: np.ndarray
    pieces: np.ndarray
    spans: list[tuple[int, int]]


@dataclass(frozen=True)
class Layer:
    """Weights of one transformer layer; matrices are stored transposed (x @ w)."""

    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    ffn_in_w: np.ndarray
    ffn_in_b: np.ndarray
    ffn_out_w: np.ndarray
    ffn_out_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Memory-mapped tensors of a .safetensors file (only the rows used of the 250k x 384 table are read)."""
    with path.open("rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]])
        shape = tuple(info["shape"])
        if int(np.prod(shape)) * dtype.itemsize != end - begin:
            raise ValueError(f"{path}: tensor {name} has an inconsistent size")
        tensors[name] = np.memmap(path, dtype=dtype, mode="r", offset=8 + header_len + begin, shape=shape)
    return tensors


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT's ``hidden_act: gelu``."""
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class E5Encoder:
    """Numpy forward pass of the converted multilingual-e5-small (BERT, absolute positions)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        check_model_dir(self.model_dir)
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.dim = int(config["hidden_size"])
        self._tok = load_tokenizer(self.model_dir / "tokenizer.json")
        self._bos = self._tok.token_to_id("<s>")
        self._eos = self._tok.token_to_id("</s>")
        self._pad = self._tok.token_to_id("<pad>")
        weights = read_safetensors(self.model_dir / "model.safetensors")
        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = np.asarray(weights["embeddings.position_embeddings.weight"], dtype=np.float32)
        self._token_type = np.asarray(weights["embeddings.token_type_embeddings.weight"][0], dtype=np.float32)
        self._emb_ln = (
            np.asarray(weights["embeddings.LayerNorm.weight"], dtype=np.float32),
            np.asarray(weights["embeddings.LayerNorm.bias"], dtype=np.float32),
        )
        self._layers = [self._layer(weights, i) for i in range(int(config["num_hidden_layers"]))]
        self._cache: dict[tuple[str, str], Encoded] = {}

    @staticmethod
    def _layer(weights: dict[str, np.ndarray], index: int) -> Layer:
        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(np.asarray(weights[f"encoder.layer.{index}.{name}"], np.float32).T)

        def b(name: str) -> np.ndarray:
            return np.asarray(weights[f"encoder.layer.{index}.{name}"], dtype=np.float32)

        qkv = ("attention.self.query", "attention.self.key", "attention.self.value")
        return Layer(
            qkv_w=np.concatenate([w(f"{n}.weight") for n in qkv], axis=1),
            qkv_b=np.concatenate([b(f"{n}.bias") for n in qkv]),
            out_w=w("attention.output.dense.weight"),
            out_b=b("attention.output.dense.bias"),
            ln1_g=b("attention.output.LayerNorm.weight"),
            ln1_b=b("attention.output.LayerNorm.bias"),
            ffn_in_w=w("intermediate.dense.weight"),
            ffn_in_b=b("intermediate.dense.bias"),
            ffn_out_w=w("output.dense.weight"),
            ffn_out_b=b("output.dense.bias"),
            ln2_g=b("output.LayerNorm.weight"),
            ln2_b=b("output.LayerNorm.bias"),
        )

    def encode(self, texts: Sequence[str], batch_size: int = 32, prompt: str = QUERY_PROMPT) -> list[Encoded]:
        """Encode texts (results keep the input order); texts seen before come from the cache."""
        todo = sorted({t for t in texts if (prompt, t) not in self._cache})
        pieces = self._tokenize(todo, prompt)
        # Batches of similar length waste little work on padding.
        order = sorted(range(len(todo)), key=lambda i: len(pieces[i][0]))
        fresh: dict[str, Encoded] = {}
        for start in range(0, len(order), max(1, batch_size)):
            batch = order[start : start + batch_size]
            for i, encoded in zip(batch, self._encode_batch([pieces[i] for i in batch]), strict=True):
                fresh[todo[i]] = encoded
                self._remember((prompt, todo[i]), encoded)
        return [fresh[t] if t in fresh else self._cache[(prompt, t)] for t in texts]

    def _remember(self, key: tuple[str, str], encoded: Encoded) -> None:
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = encoded

    def _tokenize(self, texts: Sequence[str], prompt: str) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Content ids (prompt included) and their character spans relative to the text (prompt < 0)."""
        encodings = self._tok.encode_batch([prompt + t for t in texts], add_special_tokens=False)
        shift = len(prompt)
        return [
            (
                list(enc.ids[:MAX_CONTENT_TOKENS]),
                [(s - shift, e - shift) for s, e in enc.offsets[:MAX_CONTENT_TOKENS]],
            )
            for enc in encodings
        ]

    def _encode_batch(self, batch: list[tuple[list[int], list[tuple[int, int]]]]) -> list[Encoded]:
        length = max(len(ids) for ids, _ in batch) + 2
        input_ids = np.full((len(batch), length), self._pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, : len(ids) + 2] = [self._bos, *ids, self._eos]
            mask[row, : len(ids) + 2] = 1.0
        hidden = self._forward(input_ids, mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        means = summed / mask.sum(axis=1, keepdims=True)
        sentences = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
        return [
            Encoded(sentence=sentences[row].copy(), pieces=hidden[row, 1 : len(ids) + 1].copy(), spans=spans)
            for row, (ids, spans) in enumerate(batch)
        ]

    def _forward(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (batch, length, dim) for padded ids; ``mask`` is 1 for real tokens."""
        length = input_ids.shape[1]
        x = np.asarray(self._word[input_ids], dtype=np.float32) + self._position[:length] + self._token_type
        x = layer_norm(x, *self._emb_ln, self.eps)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            x = self._layer_forward(x, bias, layer)
        return x

    def _layer_forward(self, x: np.ndarray, bias: np.ndarray, p: Layer) -> np.ndarray:
        batch, length, dim = x.shape
        head_dim = dim // self.heads
        qkv = (x @ p.qkv_w + p.qkv_b).reshape(batch, length, 3, self.heads, head_dim)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_dim)) + bias
        context = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, length, dim)
        x = layer_norm(x + context @ p.out_w + p.out_b, p.ln1_g, p.ln1_b, self.eps)
        ffn = gelu(x @ p.ffn_in_w + p.ffn_in_b) @ p.ffn_out_w + p.ffn_out_b
        return layer_norm(x + ffn, p.ln2_g, p.ln2_b, self.eps)


def load_tokenizer(path: Path):
    """The e5 tokenizer without truncation or padding, readable by tokenizers 0.15.

    The file is written by the index runtime's newer tokenizers, whose Metaspace pre-tokenizer and decoder
    carry a ``split`` field that 0.15 rejects; 0.15 spells the same behaviour ``add_prefix_space``.
    """
    from tokenizers import Tokenizer

    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("pre_tokenizer", "decoder"):
        part = data.get(key) or {}
        if part.get("type") == "Metaspace" and "split" in part:
            part.pop("split")
            part.setdefault("add_prefix_space", True)
    tokenizer = Tokenizer.from_str(json.dumps(data))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def check_model_dir(model_dir: Path) -> None:
    """Raise a clear error when the converted model (or one of its files) is missing."""
    needed = [IDENTITY_FILE, "config.json", "tokenizer.json", "model.safetensors"]
    missing = [name for name in needed if not (model_dir / name).is_file()]
    if missing:
        raise E5ModelMissingError(
            f"The e5 model for the NLU pipeline is missing in {model_dir} (no {', '.join(missing)}). "
            f"Run 'make setup' in the repository root to convert it, then train again."
        )


@lru_cache(maxsize=2)
def load_encoder(model_dir: str) -> E5Encoder:
    """One encoder per model folder and process (cross-validation folds and tests share it)."""
    return E5Encoder(Path(model_dir))
