"""Which worker answers a conversation: rendezvous (highest-random-weight) hashing.

Each live worker gets a score per key from a hash of (worker id, key); the highest score wins. A
conversation therefore stays on its worker as long as that worker is alive, moves to the next-best worker
only while it is down, and comes back once it is alive again; the other conversations never move.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def score(worker: str, key: str) -> int:
    digest = hashlib.blake2b(f"{worker}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ranked(key: str, workers: Sequence[str]) -> list[str]:
    """``workers`` best first for ``key`` (the first is its worker, the next its failover)."""
    return sorted(workers, key=lambda worker: (score(worker, key), worker), reverse=True)


def choose(key: str, alive: Sequence[str]) -> str | None:
    """The worker of ``key`` among the live ones, or None if none is alive."""
    return ranked(key, alive)[0] if alive else None
