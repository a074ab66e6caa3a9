"""Export the converted e5 BERT to ONNX for fast query encoding (fp32 and int8), fully offline.

Why: a single query through torch fp32 takes ~25-30 ms on one core and dominated the search latency;
onnxruntime runs the same graph in about half that time, and the dynamically int8-quantized copy in
~5 ms. Index builds keep using torch for passages; query vectors stay compatible because both come
from the same weights. The NLU featurizer of the Rasa runtime runs the fp32 graph through the same
package ``e5``.

What is written into ``--out`` (derived from the converted model, never committed):

* ``model.onnx``: ``BertModel`` (eager attention) traced with the TorchScript exporter
  (``dynamo=False``; the dynamo exporter gave wrong outputs here), opset 17, dynamic batch and
  sequence axes; inputs ``input_ids``/``attention_mask`` (int64), output ``token_embeddings``;
* ``model.int8.onnx``: ``onnxruntime.quantization.quantize_dynamic`` with per-channel QInt8 weights
  (per-tensor weights missed the gate: cosine min 0.981);
* ``kc_onnx_identity.json``: the source model identity, exporter version and the cosines measured
  against torch right after the export (the export fails if fp32 disagrees, or int8 is broken);
* ``kc_int8_check.json``: whether int8 finds the same courses as fp32 on this CPU (``index.int8_check``);
  made after an export and again whenever it is missing or was made on another CPU / onnxruntime.

Usage: ``python -m index.export_onnx --model-dir var/models/multilingual-e5-small``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

from e5.files import (
    EXPORTER_VERSION,
    ONNX_FILES,
    ONNX_IDENTITY_FILE,
    OPSET,
    check_export,
    default_onnx_dir,
    read_json,
    wanted_identity,
)
from index import int8_check
from index.convert_model import DEFAULT_OUT, IDENTITY_FILE

__all__ = [
    "EXPORTER_VERSION",
    "ONNX_FILES",
    "ONNX_IDENTITY_FILE",
    "OPSET",
    "check_export",
    "default_onnx_dir",
    "export",
    "main",
]

# Checked on VERIFY_TEXTS right after the export. int8 only has to be sane here: how close it comes to fp32
# depends on the CPU, and whether that is good enough for search is judged by index.int8_check.
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": int8_check.BROKEN_COSINE}
VERIFY_TEXTS = [
    "Fortbildung Vergaberecht für Einsteiger*innen",
    "Ich suche einen Online-Kurs zur DSGVO",
    "Excel für die Verwaltung",
    "Wie führe ich schwierige Gespräche mit Bürger*innen?",
    "TVöD Eingruppierung Schulung",
    "Kurs zur E-Akte, höchstens ein Tag, kostenlos",
    "Die Bauaufsicht prüft den Antrag auf Nutzungsänderung innerhalb von drei Monaten.",
    "OZG",
]


class ExportError(Exception):
    """A problem the operator has to fix; the message is one English line."""


def _export_fp32(model_dir: Path, path: Path) -> None:
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    bert = BertModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    bert.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # Traced with padding in the example so the attention-mask path is part of the graph.
    ids = torch.tensor([[0, 100, 200, 300, 2, 1], [0, 5, 6, 7, 8, 2]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]])
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
        torch.onnx.export(
            TokenEmbeddings(bert).eval(),
            (ids, mask),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
        )


def _quantize_int8(src: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process does not apply: the gate passes
    try:
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)


def _verify(model_dir: Path, onnx_dir: Path) -> dict[str, float]:
    """Minimum cosine of each variant's query vectors to torch fp32; raises ExportError when too low."""
    import numpy as np

    from index.embedding import Encoder, OnnxEncoder

    reference = Encoder(model_dir).encode_queries(VERIFY_TEXTS)
    cosines: dict[str, float] = {}
    for variant in ONNX_FILES:
        vectors = OnnxEncoder(model_dir, onnx_dir, variant).encode_queries(VERIFY_TEXTS)
        cosines[variant] = round(float(np.min((vectors * reference).sum(axis=1))), 6)
        if cosines[variant] < MIN_COSINE[variant]:
            raise ExportError(
                f"{ONNX_FILES[variant]} disagrees with torch (cosine {cosines[variant]:.4f} < "
                f"{MIN_COSINE[variant]}); the export is broken"
            )
    return cosines


def export(model_dir: Path, out: Path, force: bool = False) -> tuple[bool, dict]:
    """Export into ``out`` unless it already holds a current export. Returns (exported, identity)."""
    model_identity = read_json(model_dir / IDENTITY_FILE)
    if model_identity is None:
        raise ExportError(f"converted model missing in {model_dir}; run 'python -m index.convert_model'")
    current = read_json(out / ONNX_IDENTITY_FILE)
    if not force and all(check_export(out, model_identity, v) is None for v in ONNX_FILES):
        return False, current or {}

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _export_fp32(model_dir, tmp / ONNX_FILES["onnx"])
        _quantize_int8(tmp / ONNX_FILES["onnx"], tmp / ONNX_FILES["onnx-int8"])
        identity = wanted_identity(model_identity)
        # Written before verifying: OnnxEncoder checks it; a failed verification removes tmp.
        (tmp / ONNX_IDENTITY_FILE).write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
        identity["verified_min_cosine_to_torch"] = _verify(model_dir, tmp)
        (tmp / ONNX_IDENTITY_FILE).write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
        for file in tmp.iterdir():
            file.chmod(0o644)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True, identity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_OUT, help=f"e5 model ({DEFAULT_OUT})")
    parser.add_argument("--out", type=Path, help="target folder (default: <model-dir>-onnx)")
    parser.add_argument("--force", action="store_true", help="export even if the folder is up to date")
    parser.add_argument(
        "--recheck-int8", action="store_true", help="judge int8 on this CPU again even if a check exists"
    )
    args = parser.parse_args(argv)
    out = args.out or default_onnx_dir(args.model_dir)
    try:
        exported, identity = export(args.model_dir, out, force=args.force)
        check = ensure_int8_check(args.model_dir, out, force=args.recheck_int8 or exported)
    except ExportError as exc:
        print(f"export_onnx: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"export_onnx: error: cannot write the ONNX export to {out}: {exc}", file=sys.stderr)
        return 1
    if exported:
        cosines = ", ".join(f"{k} {v:.4f}" for k, v in identity["verified_min_cosine_to_torch"].items())
        print(f"Exported {out} (query vectors vs torch fp32, min cosine: {cosines})")
    else:
        print(f"Up to date, nothing to do: {out}")
    if check is not None:
        default = "onnx-int8" if check["passed"] else "onnx (fp32)"
        print(f"int8 check on this CPU ({int8_check.describe_cpu(check['cpu'])}, {check['seconds']:.0f} s): "
              f"{check['reason']}; default query encoder: {default}")
    return 0


def ensure_int8_check(model_dir: Path, out: Path, force: bool = False) -> dict | None:
    """Run the int8 retrieval check unless ``out`` holds a current one for this CPU; returns a new check."""
    if not force and int8_check.stale_reason(out) is None:
        return None
    return int8_check.run_check(model_dir, out)


if __name__ == "__main__":
    sys.exit(main())
