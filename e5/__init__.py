"""One e5 inference path for both runtimes: tokenising, windowing, pooling and the ONNX session.

Needs only numpy, tokenizers and onnxruntime (no torch, no rasa), so the Rasa runtime (Python 3.10,
NLU featurizer) and the index runtime (Python 3.11, query encoder; its torch encoder for index builds
subclasses ``WindowedEncoder``) run the same code on the same ONNX export.
"""

from e5.files import (
    IDENTITY_FILE,
    ONNX_FILES,
    ONNX_IDENTITY_FILE,
    check_export,
    check_model_dir,
    default_onnx_dir,
)
from e5.onnx_encoder import EncoderUnavailable, OnnxEncoder
from e5.pipeline import Encoded, WindowedEncoder

__all__ = [
    "IDENTITY_FILE",
    "ONNX_FILES",
    "ONNX_IDENTITY_FILE",
    "Encoded",
    "EncoderUnavailable",
    "OnnxEncoder",
    "WindowedEncoder",
    "check_export",
    "check_model_dir",
    "default_onnx_dir",
]
