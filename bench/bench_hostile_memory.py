"""Memory of the Rasa server under hostile input: RSS before and after a batch of oversized, empty, control-
character, foreign-language and command messages (and 5 MB bodies), with normal conversations around it.

    .venv/rasa/bin/python bench/bench_hostile_memory.py [--rounds 1]

Starts the real stack on free ports with a temporary tracker store (like ``make run``) and stops it
afterwards; needs the runtimes, the trained model and the demo index. Prints the Rasa server's resident memory
after warm-up and after the batch, and how the channel answered (status counts). Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_module  # noqa: E402

CONVERSATION = [
    "Hallo",
    "Ich bin im Bürgeramt und brauche Excel",
    "online",
    "Details zu Nr. 1",
    "Was kostet die Mitgliedschaft bei 300 Beschäftigten?",
]
HOSTILE = (
    ["", "   \n\t"] * 5
    + ["a" * 200_000, "Verwaltung " * 1_800] * 10
    + ["\x00\u202eHallo\u202c"] * 5
    + ["Здравствуйте, какие курсы?", "Hello, which courses do you offer?", "Merhaba, kurs arıyorum"] * 3
    + ['/inform_employee_count{"employee_count": "-5"}', "/delete_my_data", "{{7*7}} {name} %s%s"] * 3
    + ["<script>alert(1)</script>", "🙂🙂🙂", "'; DROP TABLE events; --"] * 3
)
BIG_BODY_BYTES = 5_000_000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def send(rasa_url: str, sender: str, message: str) -> int:
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def send_big_body(port: int) -> int:
    """A 5 MB body announced by its length; the server answers before reading it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", "/webhooks/rest/webhook")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(BIG_BODY_BYTES))
        connection.endheaders(b"x" * 65_536)
        return connection.getresponse().status
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1, help="hostile batches (default 1)")
    args = parser.parse_args(argv)
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    config = replace(
        base,
        ports={name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS},
        var_dir=Path(tempfile.mkdtemp(prefix="kc-bench-hostile-")),
        support_token=None,
    )
    running = stack_module.Stack(config, echo=lambda line: print(line, file=sys.stderr))
    try:
        running.start()
    except stack_module.StackError as error:
        sys.exit(f"error: the assistant did not start: {error}")
    try:
        rasa = next(s for s in running.services if s.name == "rasa")
        assert rasa.process is not None
        pid, url = rasa.process.pid, config.rasa_url
        for n in range(3):
            for text in CONVERSATION:
                send(url, f"warm-{n}", text)
        before = rss_mb(pid)
        statuses: Counter[int] = Counter()
        started = time.perf_counter()
        for round_ in range(args.rounds):
            for n, text in enumerate(HOSTILE):
                statuses[send(url, f"hostile-{round_}-{n}", text)] += 1
            for _ in range(3):
                statuses[send_big_body(config.ports["rasa"])] += 1
        seconds = time.perf_counter() - started
        for n in range(3):
            for text in CONVERSATION:
                statuses[send(url, f"after-{n}", text)] += 1
        after = rss_mb(pid)
    finally:
        running.stop()
    total = sum(statuses.values())
    print(f"requests: {total} ({', '.join(f'{code}: {count}' for code, count in sorted(statuses.items()))})")
    print(f"hostile batch: {seconds:.1f} s")
    print(f"Rasa server RSS after warm-up: {before:.0f} MB")
    print(f"after the batch and 3 more conversations: {after:.0f} MB ({after - before:+.0f} MB)")


if __name__ == "__main__":
    main()
