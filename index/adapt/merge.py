"""Merge the committed LoRA adapter into the converted base model: the index runtime's model (setup step).

    python -m index.adapt.merge [--base var/models/multilingual-e5-small] [--adapter index/adapt/adapter]
                                [--out var/models/kc-e5-small-municipal]

The result is an ordinary model folder (same tokenizer, configuration and pooling as the base; the LoRA
weights added into the BERT weights), so the ONNX export, the index build and the query encoder use it like
the base model. Its ``kc_model_identity.json`` names the base model's identity and the adapter's sha256:
an index built with it and a query encoder loaded from it agree, and any other pairing is refused.
Skipped when the folder already holds this merge. Offline, a few seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from index.atomic_dir import replaced_atomically
from index.convert_model import IDENTITY_FILE
from index.models import ModelsFileError, model_spec

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

MERGER_VERSION = 1
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
COPIED = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "1_Pooling/config.json",
)


class MergeError(Exception):
    """A problem the operator has to fix; the message is one English line."""


def adapter_sha256(adapter: Path) -> str:
    digest = hashlib.sha256()
    for name in ADAPTER_FILES:
        path = adapter / name
        if not path.is_file():
            raise MergeError(f"adapter file {path} is missing; run 'make adapt' or restore it from git")
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def wanted_identity(name: str, base: Path, adapter: Path) -> dict:
    base_identity = _read_identity(base)
    if base_identity is None:
        raise MergeError(f"converted base model missing in {base}; run 'make setup'")
    training = _read_json(adapter / "kc_training.json") or {}
    return {
        "model": name,
        "base_identity": base_identity,
        "embedding_dim": base_identity.get("embedding_dim"),
        "adapter": {
            "name": name,
            "path": _relative(adapter),
            "sha256": adapter_sha256(adapter),
            "seed": (training.get("config") or {}).get("seed"),
            "data_sha256": training.get("data_sha256"),
        },
        "merger_version": MERGER_VERSION,
    }


def merge(name: str, base: Path, adapter: Path, out: Path, force: bool = False) -> tuple[bool, dict]:
    """Write base + adapter into ``out`` unless it holds this merge already. Returns (merged, identity)."""
    identity = wanted_identity(name, base, adapter)
    if not force and _read_identity(out) == identity and all((out / f).is_file() for f in COPIED):
        return False, identity
    import torch
    from peft import PeftModel
    from safetensors.torch import save_file
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    bert = BertModel.from_pretrained(str(base), local_files_only=True)
    merged = PeftModel.from_pretrained(bert, str(adapter)).merge_and_unload()
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in merged.state_dict().items()}
    with replaced_atomically(out) as tmp:
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        for rel in COPIED:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(base / rel, tmp / rel)
        (tmp / "2_Normalize").mkdir(exist_ok=True)
        (tmp / "README.md").write_text(
            f"# {name}\n\nmultilingual-e5-small (converted by index.convert_model) with the LoRA adapter "
            f"{identity['adapter']['path']} merged in (sha256 {identity['adapter']['sha256'][:12]}...).\n"
            "Made by `python -m index.adapt.merge`; the adapter is trained by `make adapt`.\n",
            encoding="utf-8",
        )
        (tmp / IDENTITY_FILE).write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
    return True, identity


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_identity(folder: Path) -> dict | None:
    return _read_json(folder / IDENTITY_FILE)


def _relative(path: Path) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default="kc-e5-small-municipal", help="the adapted model's name in e5/models.json"
    )
    parser.add_argument("--base", type=Path, help="converted base model (default: from e5/models.json)")
    parser.add_argument("--adapter", type=Path, help="LoRA adapter folder (default: from e5/models.json)")
    parser.add_argument("--out", type=Path, help="target folder (default: from e5/models.json)")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    try:
        spec = model_spec(args.model)
        if spec.base is None or spec.adapter is None:
            raise MergeError(f"e5/models.json: {args.model!r} has no 'base' and 'adapter'")
        base = args.base or model_spec(spec.base).dir
        adapter = args.adapter or spec.adapter
        out = args.out or spec.dir
        merged, identity = merge(args.model, base, adapter, out, args.force)
    except (MergeError, ModelsFileError) as exc:
        print(f"merge: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"merge: error: cannot write the merged model: {exc}", file=sys.stderr)
        return 1
    sha = identity["adapter"]["sha256"][:12]
    print(f"{'Merged' if merged else 'Up to date, nothing to do:'} {out} (adapter sha256 {sha}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
