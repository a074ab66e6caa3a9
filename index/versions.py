"""The versioned layout of an index directory, shared by the build (writer) and the searcher (reader).

Layout::

    DIR/versions/<timestamp>-<hash>/   one complete build (manifest.json and the data files)
    DIR/current -> versions/<...>      symlink, switched with an atomic rename; readers follow it
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

KEEP_VERSIONS = 3


def current_version(index_dir: str | Path) -> Path | None:
    """The version directory ``DIR/current`` points to, or None when there is none."""
    link = Path(index_dir) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    version = (link.parent / target).resolve()
    return version if (version / "manifest.json").is_file() else None


def read_manifest(version_dir: Path) -> dict[str, Any]:
    with open(version_dir / "manifest.json", encoding="utf-8") as fh:
        return json.load(fh)


def switch_current(index_dir: Path, version_dir: Path) -> None:
    """Point ``DIR/current`` at ``version_dir`` in one atomic rename (readers never see a half switch)."""
    tmp_link = index_dir / f".current.tmp-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(version_dir, index_dir), tmp_link)
    os.replace(tmp_link, index_dir / "current")  # atomic on POSIX


def prune(index_dir: Path, keep: Path) -> None:
    """Keep the newest KEEP_VERSIONS builds (and ``keep``); drop temp dirs of builds that crashed."""
    versions = sorted(
        p for p in (index_dir / "versions").iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    for old in versions[:-KEEP_VERSIONS]:
        if old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)
    for tmp in (index_dir / "versions").glob(".tmp-*"):  # leftovers of crashed builds
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)
