"""Build the Teams app package (``make teams-package``): manifest.json, a 192 px colour icon and a 32 px
outline icon, zipped for upload in the Teams admin center.

The manifest comes from ``teams/manifest.template.json`` (German texts live there, not here); ``{NAME}``
placeholders are filled from the environment:

- ``KC_TEAMS_APP_ID`` (required): the Microsoft App ID of the Azure Bot, also used as the Teams app id
  unless ``KC_TEAMS_MANIFEST_ID`` is set;
- ``KC_TEAMS_DOMAIN`` (required): the public host name of the messaging endpoint (``bot.stadt.example``);
- optional: ``KC_TEAMS_APP_NAME`` (default "KommunalCampus"), ``KC_TEAMS_APP_VERSION`` (default 1.0.0),
  ``KC_TEAMS_DEVELOPER_NAME``, ``KC_TEAMS_WEBSITE_URL``, ``KC_TEAMS_PRIVACY_URL``, ``KC_TEAMS_TERMS_URL``
  (default: pages on ``https://{KC_TEAMS_DOMAIN}/``).

Icons are drawn here with Pillow (an open book on the accent colour; the outline icon white on transparent).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "teams" / "manifest.template.json"
DEFAULT_OUT = ROOT / "var" / "teams" / "kommunalcampus-teams.zip"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
COLOR_SIZE, OUTLINE_SIZE = 192, 32
ACCENT = (0x1F, 0x5C, 0x99, 255)
WHITE = (255, 255, 255, 255)


class PackageError(ValueError):
    """Wrong or missing configuration; the message is one English line for the operator."""


def settings_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """Placeholder values for the manifest template, checked."""
    app_id = env.get("KC_TEAMS_APP_ID", "").strip()
    domain = env.get("KC_TEAMS_DOMAIN", "").strip().lower()
    required = (("KC_TEAMS_APP_ID", app_id), ("KC_TEAMS_DOMAIN", domain))
    missing = [name for name, value in required if not value]
    if missing:
        raise PackageError(f"set {' and '.join(missing)} (see docs/teams.md)")
    manifest_id = env.get("KC_TEAMS_MANIFEST_ID", "").strip() or app_id
    for name, value in (("KC_TEAMS_APP_ID", app_id), ("KC_TEAMS_MANIFEST_ID", manifest_id)):
        if not GUID.match(value):
            raise PackageError(f"{name}={value!r} is not a GUID (the Microsoft App ID of the Azure Bot)")
    if not HOST.match(domain):
        raise PackageError(f"KC_TEAMS_DOMAIN={domain!r} is not a host name like bot.stadt.example")
    version = env.get("KC_TEAMS_APP_VERSION", "").strip() or "1.0.0"
    if not SEMVER.match(version):
        raise PackageError(f"KC_TEAMS_APP_VERSION={version!r} must look like 1.0.0")
    name = env.get("KC_TEAMS_APP_NAME", "").strip() or "KommunalCampus"
    if len(name) > 30:
        raise PackageError(f"KC_TEAMS_APP_NAME is {len(name)} characters long; Teams allows 30")
    developer = env.get("KC_TEAMS_DEVELOPER_NAME", "").strip() or "KommunalCampus eG"
    if len(developer) > 32:
        raise PackageError(f"KC_TEAMS_DEVELOPER_NAME is {len(developer)} characters long; Teams allows 32")
    urls = {}
    for key, name_, default in (
        ("WEBSITE_URL", "KC_TEAMS_WEBSITE_URL", f"https://{domain}/"),
        ("PRIVACY_URL", "KC_TEAMS_PRIVACY_URL", f"https://{domain}/datenschutz"),
        ("TERMS_URL", "KC_TEAMS_TERMS_URL", f"https://{domain}/nutzungsbedingungen"),
    ):
        url = env.get(name_, "").strip() or default
        if not url.startswith("https://"):
            raise PackageError(f"{name_}={url!r} must be an https:// address")
        urls[key] = url
    return {
        "APP_ID": app_id,
        "MANIFEST_ID": manifest_id,
        "DOMAIN": domain,
        "APP_VERSION": version,
        "APP_NAME": name,
        "DEVELOPER_NAME": developer,
        **urls,
    }


def fill(node: Any, values: Mapping[str, str]) -> Any:
    """The template with every ``{NAME}`` placeholder in its strings replaced."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if isinstance(node, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                raise PackageError(f"unknown placeholder {{{match.group(1)}}} in {TEMPLATE.name}")
            return values[match.group(1)]

        return re.sub(r"\{([A-Z_]+)\}", replace, node)
    return node


def manifest(values: Mapping[str, str], template: Path = TEMPLATE) -> dict[str, Any]:
    data = fill(json.loads(template.read_text(encoding="utf-8")), values)
    data["id"] = values["MANIFEST_ID"]  # the Teams app id; the bot keeps the Azure app id
    return data


def _book(draw: ImageDraw.ImageDraw, size: int, color: tuple[int, int, int, int], width: int | None) -> None:
    """An open book, centred: two pages meeting at the spine (filled, or outlined with ``width``)."""
    s = size
    left = [(0.16 * s, 0.30 * s), (0.48 * s, 0.36 * s), (0.48 * s, 0.78 * s), (0.16 * s, 0.72 * s)]
    right = [(0.52 * s, 0.36 * s), (0.84 * s, 0.30 * s), (0.84 * s, 0.72 * s), (0.52 * s, 0.78 * s)]
    for page in (left, right):
        if width is None:
            draw.polygon(page, fill=color)
        else:
            draw.line([*page, page[0]], fill=color, width=width, joint="curve")


def color_icon() -> Image.Image:
    scale = 4
    size = COLOR_SIZE * scale
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=ACCENT)
    _book(draw, size, WHITE, None)
    return image.resize((COLOR_SIZE, COLOR_SIZE), Image.Resampling.LANCZOS)


def outline_icon() -> Image.Image:
    """White on transparent, as Teams requires for the outline icon."""
    scale = 8
    size = OUTLINE_SIZE * scale
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    _book(ImageDraw.Draw(image), size, WHITE, width=2 * scale)
    small = image.resize((OUTLINE_SIZE, OUTLINE_SIZE), Image.Resampling.LANCZOS)
    alpha = small.getchannel("A")  # resampling may tint edge pixels: keep pure white, vary only alpha
    white = Image.new("RGBA", small.size, WHITE)
    white.putalpha(alpha)
    return white


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def build(out: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Write the zip; returns the manifest written."""
    data = manifest(settings_from_env(env))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        archive.writestr("color.png", _png(color_icon()))
        archive.writestr("outline.png", _png(outline_icon()))
    tmp.replace(out)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package for the Teams admin center.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        data = build(args.out, os.environ)
    except PackageError as error:
        print(f"error: Teams package not built: {error}", file=sys.stderr)
        return 2
    print(
        f"Teams app package written: {args.out} (app {data['name']['short']}, version {data['version']}, "
        f"manifest {data['manifestVersion']}). Upload it in the Teams admin center (docs/teams.md)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
