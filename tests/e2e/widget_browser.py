"""Helpers for the widget's browser tests: Debian's Chromium driven by Playwright, axe-core, and a small
course catalog with an offer that tries to inject HTML.

Chromium is never downloaded: Playwright starts /usr/bin/chromium (Debian package ``chromium``, installed by
``make test``) with the flags below. axe-core comes bundled in ``axe-playwright-python``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}
INJECTION = "<img src=x onerror=alert(1)>"
INJECTED_OFFER = {
    "id": "kc-test-injection",
    "title": f"Excel-Listen prüfen {INJECTION}",
    "description": (
        f"Fehler in Excel-Listen finden {INJECTION} und beheben: Sie prüfen Excel-Tabellen der Verwaltung "
        "auf doppelte Einträge, falsche Formeln und fehlende Werte. <script>alert(2)</script>"
    ),
    "provider": "Testakademie <b onmouseover=alert(3)>fett</b>",
    "format": "online",
    "duration_hours": 4,
    "level": "einsteiger",
    "language": "de",
    "cost_eur": 0,
    "target_group": "Sachbearbeiter*innen, die mit Excel-Listen arbeiten",
    "skills": ["Tabellenkalkulation"],
    "url": "https://kurse.example.org/excel-listen-pruefen",
}


def launch_chromium(playwright):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's package 'chromium' (apt-get install chromium); "
            "'make test' does this when it runs as root.",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


def small_catalog(demo_catalog: Path, out: Path) -> Path:
    """Every Excel offer, every 8th other demo offer (a spread of topics), and the injection offer."""
    lines = demo_catalog.read_text(encoding="utf-8").splitlines()
    courses = [json.loads(line) for line in lines if line.strip()]
    about_excel = [c for c in courses if "excel" in f"{c['title']} {c['description']}".lower()]
    picked = about_excel + [c for i, c in enumerate(courses) if i % 8 == 0 and c not in about_excel]
    picked.append(INJECTED_OFFER)
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in picked), encoding="utf-8")
    return out


# JavaScript run in the page. What has the keyboard focus inside the widget:
FOCUS = """() => {
  const host = document.getElementById("kc-assistant-widget");
  if (!host || document.activeElement !== host) return null;
  const a = host.shadowRoot.activeElement;
  return a && {tag: a.localName, text: a.textContent.trim(), cls: a.className,
               inCard: !!a.closest(".kc-card"), expanded: a.getAttribute("aria-expanded")};
}"""
# How far the panel's message area scrolls sideways (should be 0):
SIDEWAYS_SCROLL = """() => {
  const scroller = document.getElementById("kc-assistant-widget").shadowRoot.querySelector(".kc-scroll");
  return scroller.scrollWidth - scroller.clientWidth;
}"""
# The animation of the typing indicator's dots, as the widget's stylesheet applies it:
TYPING_ANIMATION = """() => {
  const root = document.getElementById("kc-assistant-widget").shadowRoot.querySelector(".kc");
  const dots = document.createElement("div");
  dots.className = "kc-typing";
  dots.append(document.createElement("span"));
  root.append(dots);
  const name = getComputedStyle(dots.firstChild).animationName;
  dots.remove();
  return name;
}"""
# Elements that injected markup would have created: [inside the widget, in the host page]:
CREATED_ELEMENTS = """() => [
  document.getElementById("kc-assistant-widget").shadowRoot.querySelectorAll("img, script, b").length,
  document.querySelectorAll("img, script").length,
]"""
# What the host page looks like to scripts and styles:
HOST_PAGE = """() => [Object.keys(window).sort(), getComputedStyle(document.body).fontFamily,
  document.styleSheets.length]"""
