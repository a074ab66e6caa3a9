"""Where the converted model and its ONNX export live, and whether an export belongs to the model."""

from __future__ import annotations

import json
import os
from pathlib import Path

IDENTITY_FILE = "kc_model_identity.json"  # written by index.convert_model
ONNX_IDENTITY_FILE = "kc_onnx_identity.json"  # written by index.export_onnx
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
# Bumped when the graph or its quantisation changes: an older export is then rebuilt by make setup.
EXPORTER_VERSION = 1
OPSET = 17
MODEL_FILES = (IDENTITY_FILE, "config.json", "tokenizer.json", "config_sentence_transformers.json",
               "sentence_bert_config.json")


class ModelMissing(FileNotFoundError):
    """The converted e5 folder is missing or incomplete; the message names the command to run."""


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_model_dir(model_dir: Path) -> None:
    """Raise ModelMissing when the converted model (or one of the files the pipeline reads) is missing."""
    missing = [name for name in MODEL_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ModelMissing(
            f"e5 model missing in {model_dir} (no {', '.join(missing)}); run 'make setup' "
            f"(python -m index.convert_model --out {model_dir})"
        )


def default_onnx_dir(model_dir: str | os.PathLike) -> Path:
    """Sibling of the model folder: ``.../multilingual-e5-small`` -> ``.../multilingual-e5-small-onnx``."""
    model_dir = Path(model_dir)
    return model_dir.parent / f"{model_dir.name}-onnx"


def wanted_identity(model_identity: dict) -> dict:
    """The identity an export of ``model_identity`` by this exporter version carries."""
    return {"model_identity": model_identity, "exporter_version": EXPORTER_VERSION, "opset": OPSET}


def check_export(onnx_dir: Path, model_identity: dict, variant: str) -> str | None:
    """None when ``onnx_dir`` holds a current export of the model for ``variant``, else the problem."""
    identity = read_json(onnx_dir / ONNX_IDENTITY_FILE)
    if identity is None or not (onnx_dir / ONNX_FILES[variant]).is_file():
        return f"ONNX export missing in {onnx_dir}"
    wanted = wanted_identity(model_identity)
    if any(identity.get(key) != value for key, value in wanted.items()):
        return f"ONNX export in {onnx_dir} was made from another model or exporter version"
    return None
