"""`make teams-package`: the zip a municipal IT uploads in the Teams admin center.

The manifest is validated against Microsoft's official schema (v1.25, vendored in
third_party/microsoft-teams-app-schema with its licence). The schema declares draft-04 but uses ``const``
(draft-06+), so it is checked with the draft-07 validator, which understands both.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "third_party/microsoft-teams-app-schema/MicrosoftTeams.schema.json").read_text())
APP_ID = "0b6f4c2e-5d1a-4f3b-9c8d-7e6f5a4b3c2d"
ENV = {
    "KC_TEAMS_APP_ID": APP_ID,
    "KC_TEAMS_DOMAIN": "assistent.stadt-musterhausen.de",
    "PATH": "/usr/bin:/bin",
}


def make_package(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    out = tmp_path / "pkg.zip"
    return subprocess.run(
        [sys.executable, "-m", "bot.channels.teams_package", "--out", str(out)],
        cwd=ROOT,
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_package_has_a_valid_manifest_and_both_icons(tmp_path):
    result = make_package(tmp_path, KC_TEAMS_APP_NAME="Weiterbildung Musterhausen")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "pkg.zip") as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(manifest), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert manifest["manifestVersion"] == SCHEMA["properties"]["manifestVersion"]["const"] == "1.25"
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert "personal" in manifest["bots"][0]["scopes"]
    assert manifest["validDomains"] == ["assistent.stadt-musterhausen.de"]
    assert manifest["name"]["short"] == "Weiterbildung Musterhausen"
    assert manifest["developer"]["privacyUrl"] == "https://assistent.stadt-musterhausen.de/datenschutz"
    assert not re.search(r"\{[A-Z_]+\}", json.dumps(manifest))  # every placeholder filled
    assert (color.size, color.mode) == ((192, 192), "RGBA")
    assert (outline.size, outline.mode) == ((32, 32), "RGBA")
    pixels = [outline.getpixel((x, y)) for y in range(outline.height) for x in range(outline.width)]
    assert pixels[0][3] == 0  # transparent background
    assert {p[:3] for p in pixels if p[3]} == {(255, 255, 255)}  # the outline is white only
    assert sum(1 for p in pixels if p[3] > 128) > 40  # and there is a drawing


def test_the_schema_check_would_catch_a_broken_manifest(tmp_path):
    assert make_package(tmp_path).returncode == 0
    with zipfile.ZipFile(tmp_path / "pkg.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["bots"][0]["scopes"] = ["everywhere"]
    assert not jsonschema.Draft7Validator(SCHEMA).is_valid(manifest)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KC_TEAMS_APP_ID": ""}, "set KC_TEAMS_APP_ID"),
        ({"KC_TEAMS_APP_ID": "not-a-guid"}, "is not a GUID"),
        ({"KC_TEAMS_DOMAIN": "https://x.de/api"}, "is not a host name"),
        ({"KC_TEAMS_APP_NAME": "Ein sehr langer Name für die Teams-App"}, "Teams allows 30"),
        ({"KC_TEAMS_PRIVACY_URL": "http://stadt.de/ds"}, "must be an https:// address"),
    ],
)
def test_wrong_configuration_is_refused_with_a_clear_message(tmp_path, env, message):
    result = make_package(tmp_path, **env)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.startswith("error: Teams package not built:")
    assert not (tmp_path / "pkg.zip").exists()
