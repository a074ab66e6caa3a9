"""Widget benchmark: the size of the shipped widget, and the time from opening the panel to the greeting.

    .venv/rasa/bin/python bench/bench_widget.py [--web-url http://localhost:8080/] [--runs 10]

Without ``--web-url`` it starts the real stack (search service, action server, Rasa, demo host page with the
development token issuer) on free ports with a temporary tracker store, like ``make run``, and stops it
afterwards. Each run opens the demo host page in a fresh Chromium context (new person, no cached token),
clicks the launcher and measures until the greeting is in the panel: token request, history request (with
the greeting rendered by the Rasa server) and rendering. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import stack as stack_module  # noqa: E402
from widget_browser import launch_chromium  # noqa: E402

from bot.channels.widget_assets import WIDGET_DIR, compose  # noqa: E402


def print_sizes() -> None:
    script = compose().body
    print("Widget script as shipped (GET /webhooks/widget/kc-widget.js, texts and styles included):")
    print(f"  raw {len(script) / 1024:.1f} KiB, gzip -9 {len(gzip.compress(script, 9)) / 1024:.1f} KiB")
    for name in ("kc-widget.js", "kc-widget.css", "texts.de.yml"):
        data = (WIDGET_DIR / name).read_bytes()
        packed = len(gzip.compress(data, 9))
        print(f"  source {name}: raw {len(data) / 1024:.1f} KiB, gzip {packed / 1024:.1f} KiB")


def time_to_greeting(web_url: str, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for run in range(runs + 1):  # the first run warms up the server
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
            page = context.new_page()
            page.goto(web_url)
            launcher = page.get_by_role("button", name="KommunalCampus-Assistent")
            launcher.wait_for()
            start = time.perf_counter()
            launcher.click()
            page.get_by_role("log").get_by_text("Wobei kann ich Ihnen helfen").wait_for(timeout=60_000)
            if run:
                timings.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--web-url", help="demo host page of a running assistant (e.g. http://localhost:8080/)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    print_sizes()
    running = None
    web_url = args.web_url
    if not web_url:
        base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
        config = replace(
            base,
            ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
            var_dir=Path(tempfile.mkdtemp(prefix="kc-bench-widget-")),
            support_token=None,
            demo=True,
        )
        running = stack_module.Stack(config, echo=lambda line: print(line, file=sys.stderr))
        try:
            running.start()
        except stack_module.StackError as error:
            sys.exit(f"error: the assistant did not start: {error}")
        web_url = config.web_url
    try:
        timings = time_to_greeting(web_url, args.runs)
    finally:
        if running is not None:
            running.stop()
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"Opening the panel -> greeting shown ({len(ms)} runs, fresh person each): "
          f"p50 {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
