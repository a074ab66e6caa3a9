"""Course records and filter columns written beside the vectors (read back by ``index.loaded_index``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from german.vocabulary import FORMATS, LEVELS

FORMAT_CODES = {f: i for i, f in enumerate(FORMATS)}
LEVEL_CODES = {level: i for i, level in enumerate(LEVELS)}


def write_metadata(dest: Path, courses: Sequence[dict[str, Any]]) -> None:
    """courses.sqlite (full records by position), filters.npz (coded filter columns), meta.json (ids)."""
    con = sqlite3.connect(dest / "courses.sqlite")
    try:
        con.execute(
            "CREATE TABLE courses (pos INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL)"
        )
        con.executemany(
            "INSERT INTO courses VALUES (?, ?, ?)",
            ((i, c["id"], json.dumps(c, ensure_ascii=False)) for i, c in enumerate(courses)),
        )
        con.commit()
    finally:
        con.close()
    providers = sorted({c["provider"] for c in courses if c.get("provider")})
    languages = sorted({c["language"] for c in courses if c.get("language")})
    p_codes = {p: i for i, p in enumerate(providers)}
    l_codes = {lang: i for i, lang in enumerate(languages)}
    np.savez(
        dest / "filters.npz",
        format=np.array([FORMAT_CODES.get(c.get("format") or "", -1) for c in courses], dtype=np.int8),
        level=np.array([LEVEL_CODES.get(c.get("level") or "", -1) for c in courses], dtype=np.int8),
        cost=np.array([c.get("cost_eur", np.nan) for c in courses], dtype=np.float32),
        duration=np.array([c.get("duration_hours", np.nan) for c in courses], dtype=np.float32),
        provider=np.array([p_codes.get(c.get("provider"), -1) for c in courses], dtype=np.int32),
        language=np.array([l_codes.get(c.get("language"), -1) for c in courses], dtype=np.int32),
    )
    with open(dest / "meta.json", "w", encoding="utf-8") as fh:
        json.dump(
            {"ids": [c["id"] for c in courses], "providers": providers, "languages": languages},
            fh,
            ensure_ascii=False,
        )
