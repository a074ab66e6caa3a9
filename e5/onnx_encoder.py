"""The e5 BERT as the ONNX export written by ``index.export_onnx``, run in onnxruntime (fp32 or int8)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from e5.files import ONNX_FILES, check_export, default_onnx_dir
from e5.pipeline import WindowedEncoder


class EncoderUnavailable(Exception):
    """The requested encoder cannot be loaded; the message tells the operator what to run."""


class OnnxEncoder(WindowedEncoder):
    """The shared pipeline over ``model.onnx`` (variant "onnx", fp32) or ``model.int8.onnx`` ("onnx-int8").

    The graph's output ``token_embeddings`` holds the final hidden state of every piece, which gives both the
    pooled sentence vector and per-piece features.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike,
        onnx_dir: str | os.PathLike | None = None,
        variant: str = "onnx",
        threads: int = 1,
        exact_int8_kernels: bool = True,
    ) -> None:
        """``exact_int8_kernels=False`` only serves bench/bench_int8_cpu.py (the kernels of issue 14)."""
        super().__init__(model_dir)
        if variant not in ONNX_FILES:
            raise EncoderUnavailable(f"unknown ONNX variant {variant!r} (use {', '.join(ONNX_FILES)})")
        self.onnx_dir = Path(onnx_dir) if onnx_dir else default_onnx_dir(self.model_dir)
        problem = check_export(self.onnx_dir, self.identity, variant)
        if problem:
            raise EncoderUnavailable(
                f"e5 encoder {variant!r}: {problem}; run 'make setup' (or 'python -m index.export_onnx "
                f"--model-dir {self.model_dir} --out {self.onnx_dir}' in the index runtime)"
            )
        import onnxruntime as ort

        self.name = variant
        self.threads = max(1, int(threads))
        self.path = self.onnx_dir / ONNX_FILES[variant]
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers are not the operator's concern
        # Spin-waiting worker threads steal the second core from Rasa and the other services.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if variant == "onnx-int8" and exact_int8_kernels:
            # Without VNNI, onnxruntime's int8 kernels sum u8*s8 products in saturating 16 bits; this switches
            # them to exact u8*u8 arithmetic (no effect with VNNI). Measured under an emulated AVX2 CPU: min
            # cosine to fp32 0.9916 without, 0.9938 with it, the same as on a VNNI CPU (README).
            options.add_session_config_entry("session.x64quantprecision", "1")
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def _token_states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._session.run(["token_embeddings"], {"input_ids": input_ids, "attention_mask": mask})[0]
