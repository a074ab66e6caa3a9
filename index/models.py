"""Which e5 model each runtime uses: ``e5/models.json`` is the one place that says so.

The index runtime uses one model for the course vectors of a build and for the search service's query
encoder (``runtimes.index``); the Rasa NLU featurizer names its own (``runtimes.nlu``, mirrored in
``config.yml``). ``KC_MODEL_DIR`` overrides the index model's folder for operators and benchmarks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS_FILE = ROOT / "e5" / "models.json"
MODEL_DIR_ENV = "KC_MODEL_DIR"
RUNTIMES = ("index", "nlu")


class ModelsFileError(Exception):
    """``e5/models.json`` is missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class ModelSpec:
    """One model of ``e5/models.json``: its folder (absolute) and, for an adapted model, base and adapter."""

    name: str
    dir: Path
    base: str | None = None
    adapter: Path | None = None


def _read(path: Path = MODELS_FILE) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelsFileError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("runtimes"), dict):
        raise ModelsFileError(f"{path} has no 'runtimes' object")
    return data


def model_spec(name: str, path: Path = MODELS_FILE) -> ModelSpec:
    """The model called ``name`` in ``e5/models.json``."""
    models = _read(path).get("models", {})
    entry = models.get(name)
    if not isinstance(entry, dict) or not entry.get("dir"):
        raise ModelsFileError(f"{path}: model {name!r} is not described (needs at least 'dir')")
    adapter = entry.get("adapter")
    return ModelSpec(
        name=name,
        dir=ROOT / entry["dir"],
        base=entry.get("base"),
        adapter=ROOT / adapter if adapter else None,
    )


def runtime_model(runtime: str, path: Path = MODELS_FILE) -> ModelSpec:
    """The model the runtime ``index`` or ``nlu`` uses."""
    if runtime not in RUNTIMES:
        raise ModelsFileError(f"unknown runtime {runtime!r}; one of {', '.join(RUNTIMES)}")
    name = _read(path)["runtimes"].get(runtime)
    if not name:
        raise ModelsFileError(f"{path}: no model named for runtime {runtime!r}")
    return model_spec(name, path)


def index_model_dir() -> Path:
    """Folder of the index runtime's model: ``KC_MODEL_DIR`` if set, else ``e5/models.json``."""
    override = os.environ.get(MODEL_DIR_ENV)
    return Path(override) if override else runtime_model("index").dir
