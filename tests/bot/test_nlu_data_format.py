"""The NLU training files keep every line of an ``examples: |`` block an example.

Rasa skips a line that does not start with "- " with a warning at training time only (a comment such as
"# issue #13 …" inside the block), so the examples below it silently lose their explanation and the comment
itself is neither data nor documentation. Comments belong above the ``- intent:`` line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NLU_DIR = Path(__file__).resolve().parents[2] / "bot" / "data" / "nlu"


def stray_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of non-example lines inside ``examples: |`` blocks."""
    stray: list[tuple[int, str]] = []
    in_block, indent = False, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_block:
            current = len(line) - len(line.lstrip())
            if stripped and current < indent:
                in_block = False
            elif stripped and not stripped.startswith("- "):
                stray.append((number, line))
                continue
            elif stripped:
                continue
        if stripped.startswith(("examples: |", "- examples: |")):
            in_block, indent = True, len(line) - len(line.lstrip()) + 2
    return stray


def test_the_checker_finds_a_comment_inside_a_block():
    text = "- intent: greet\n  examples: |\n    - Hallo\n    # a note\n    - Moin\n- intent: bye\n"
    assert stray_lines(text) == [(4, "    # a note")]


@pytest.mark.parametrize("path", sorted(NLU_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_every_line_of_an_examples_block_is_an_example(path):
    assert stray_lines(path.read_text(encoding="utf-8")) == []
