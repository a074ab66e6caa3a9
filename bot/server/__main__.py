"""``python -m bot.server run --model ... --endpoints ...``: ``rasa run`` with bot/server/patches.py applied.

scripts/stack.py starts the Rasa server this way (make run, make chat, the e2e tests, the benchmarks). Any
``rasa`` command line works; the patches only concern the running server.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from bot.server import patches

    patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
