"""The widget's one shipped file, composed from web/widget/ when the channel starts.

``kc-widget.js`` (behaviour), ``kc-widget.css`` (styles, applied inside the widget's Shadow DOM) and
``texts.de.yml`` (every German text the widget shows) become one script, so the host page loads a single
file and German texts stay in a data file. Every ``T.name`` the script uses must exist in the texts file;
a missing one stops the channel with an English message instead of showing an empty label.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

WIDGET_DIR = Path(__file__).resolve().parents[2] / "web" / "widget"
TEXT_REFERENCE = re.compile(r"\bT\.([A-Za-z_][A-Za-z0-9_]*)")


class AssetError(ValueError):
    """The widget sources are missing or inconsistent; the message is for the operator."""


@dataclass(frozen=True)
class WidgetScript:
    body: bytes
    etag: str


def load_texts(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AssetError(f"cannot read the widget texts {path}: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise AssetError(f"{path} must map text names to strings")
    return {str(key): " ".join(value.split()) for key, value in data.items()}


def compose(widget_dir: Path = WIDGET_DIR) -> WidgetScript:
    try:
        script = (widget_dir / "kc-widget.js").read_text(encoding="utf-8")
        css = (widget_dir / "kc-widget.css").read_text(encoding="utf-8")
    except OSError as error:
        raise AssetError(f"widget source missing: {error.filename}") from error
    texts = load_texts(widget_dir / "texts.de.yml")
    missing = sorted(set(TEXT_REFERENCE.findall(script)) - set(texts))
    if missing:
        raise AssetError(f"{widget_dir / 'texts.de.yml'} lacks the texts {', '.join(missing)}")
    body = (
        "/* KommunalCampus-Assistent: intranet widget (composed from web/widget/) */\n"
        f"(function (T, CSS) {{\n{script}\n}})(\n{json.dumps(texts, ensure_ascii=False, indent=0)},\n"
        f"{json.dumps(_compact_css(css))});\n"
    ).encode()
    return WidgetScript(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _compact_css(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return "\n".join(line.strip() for line in css.splitlines() if line.strip())
