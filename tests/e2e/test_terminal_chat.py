"""`make chat`: the terminal chat talks to the running assistant and presses buttons by number."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import stack as stack_module

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_terminal_chat_uses_the_running_assistant_and_numbered_buttons(stack):
    ports = {stack_module.PORT_VARIABLES[name]: str(port) for name, port in stack.config.ports.items()}
    env = {**os.environ, **ports}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "terminal_chat.py")],
        input="Hallo\n2\n/exit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Starting the assistant" not in proc.stdout  # it found the running one
    assert "Assistent: Hallo! Ich bin der KommunalCampus-Assistent." in proc.stdout
    assert "[2] Fragen zur Mitgliedschaft" in proc.stdout
    # "2" pressed the second button: its payload asks about the membership cost
    assert "Wie viele Beschäftigte hat Ihre Verwaltung?" in proc.stdout
