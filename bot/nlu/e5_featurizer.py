"""Dense features from multilingual-e5-small for DIET and the ResponseSelector.

The sparse features (lemmas, character n-grams) only know the words of the training data; "Ist das ein
Chatbot?" and "Bist du ein Bot?" share little of them. The e5 sentence embedding carries meaning across
paraphrases. Each message gets:

* a sentence feature: the e5 query embedding (``"query: " + text``, mean-pooled, L2-normalised), the same
  vector the course index computes for a search query;
* sequence features: per spaCy token the mean of the last hidden states of the word pieces that overlap
  it, so dense and sparse sequence features have the same length, as DIET requires.

The model runs as the ONNX export in onnxruntime through the package ``e5``, the same code and graph as the
search service's query encoder (bot/nlu/e5_encoder.py); ``make setup`` converts the model and exports it.
fp32 rather than int8: int8 quantises activations per call, so a message encoded alone at run time would get
other features than in a training batch (measured in the README); fp32 ONNX gives the same vector either way.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_encoder import CachedEncoder, E5ModelMissingError, load_encoder, onnx_dir_for
from e5 import ONNX_FILES, Encoded

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = "var/models/multilingual-e5-small"
# The export's fp32 graph (see the module docstring for why not int8).
DEFAULT_VARIANT = "onnx"


class E5ModelMissing(RasaException):
    """Raised instead of a stack trace from deep inside the graph when the model folder is missing."""


def resolve_model_dir(configured: str) -> Path:
    """A relative path is taken from the working directory, else from the repository root."""
    path = Path(configured).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return REPO_ROOT / path


def token_features(encoded: Encoded, tokens: list[Token]) -> np.ndarray:
    """Per token: mean of the word pieces whose character span overlaps the token (zeros if none).

    Pieces come in text order, so the overlapping ones are found by binary search: linear in the message
    length (comparing every token with every piece took minutes of CPU for a 200,000-character message).
    """
    features = np.zeros((len(tokens), encoded.pieces.shape[1]), dtype=np.float32)
    spans = np.asarray(encoded.spans, dtype=np.int64).reshape(-1, 2)
    starts, ends = spans[:, 0], spans[:, 1]
    in_order = bool(np.all(np.diff(starts) >= 0) and np.all(np.diff(ends) >= 0))
    for row, token in enumerate(tokens):
        if in_order:
            first = int(np.searchsorted(ends, token.start, side="right"))
            rows = np.arange(first, int(np.searchsorted(starts, token.end, side="left")))
        else:
            rows = np.flatnonzero((starts < token.end) & (ends > token.start))
        if rows.size:
            features[row] = encoded.pieces[rows].mean(axis=0)
    return features


def encoder_for(config: dict[str, Any]) -> CachedEncoder:
    """The shared encoder for a component config (``model_dir``, ``onnx_dir``, ``variant``, ``threads``)."""
    model_dir = resolve_model_dir(str(config.get("model_dir") or DEFAULT_MODEL_DIR)).resolve()
    onnx_dir = onnx_dir_for(model_dir, config.get("onnx_dir"))
    if not onnx_dir.is_absolute():
        onnx_dir = resolve_model_dir(str(onnx_dir)).resolve()
    try:
        return load_encoder(
            str(model_dir),
            str(onnx_dir),
            str(config.get("variant") or DEFAULT_VARIANT),
            int(config.get("threads") or 1),
        )
    except E5ModelMissingError as error:
        raise E5ModelMissing(str(error)) from error


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds e5 sentence and per-token features to TEXT (and RESPONSE/ACTION_TEXT in training)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["tokenizers", "onnxruntime"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # threads: onnxruntime intra-op threads. One, because the 2 cores are shared (Rasa server,
        # action server, search service); with a busy second core two threads were 3x slower (measured).
        # onnx_dir: None = KC_ONNX_DIR (set by the Makefile) or the model folder's sibling "<model_dir>-onnx".
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": DEFAULT_MODEL_DIR,
            "onnx_dir": None,
            "variant": DEFAULT_VARIANT,
            "batch_size": 32,
            "threads": 1,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not str(config.get("model_dir") or "").strip():
            raise RasaException("E5Featurizer needs 'model_dir' (the converted multilingual-e5-small).")
        if config.get("variant", DEFAULT_VARIANT) not in ONNX_FILES:
            raise RasaException(f"E5Featurizer 'variant' must be one of {', '.join(ONNX_FILES)}.")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.batch_size = int(self._config["batch_size"])
        self.encoder = encoder_for(self._config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes all training examples in batches (one forward pass per batch, not per message)."""
        start = time.monotonic()
        count = 0
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            messages = [m for m in training_data.training_examples if m.get(attribute)]
            self._featurize(messages, attribute)
            count += len(messages)
        logger.info(f"e5 features for {count} training texts in {time.monotonic() - start:.0f} s.")
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes incoming messages (TEXT, and ACTION_TEXT for end-to-end core features)."""
        for attribute in (TEXT, ACTION_TEXT):
            self._featurize([m for m in messages if m.get(attribute)], attribute)
        return messages

    def _featurize(self, messages: list[Message], attribute: str) -> None:
        if not messages:
            return
        encoded = self.encoder.encode([m.get(attribute) for m in messages], batch_size=self.batch_size)
        for message, result in zip(messages, encoded, strict=True):
            tokens = message.get(TOKENS_NAMES[attribute]) or []
            self.add_features_to_message(
                sequence=token_features(result, tokens),
                sentence=result.sentence.reshape(1, -1).astype(np.float32),
                attribute=attribute,
                message=message,
            )
