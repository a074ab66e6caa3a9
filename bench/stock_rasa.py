"""Stock Rasa for comparison: the moodbot of ``rasa init`` (same Rasa version, default config), trained once
into ``var/bench/moodbot-<version>/`` and served by plain ``rasa run`` on a free port.

The moodbot keeps conversations in memory (Rasa's default) and has no custom actions, so it is the cost of
Rasa's own NLU, policies and HTTP handling on this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import load_client

ROOT = Path(__file__).resolve().parents[1]
# A conversation with the moodbot: every intent of its data (English, as the moodbot's NLU data).
MOOD_TURNS = [
    "hi", "I am sad", "yes", "great", "are you a bot?", "I am happy", "perfect", "no", "bye",
    "good morning", "I am feeling very bad", "not really", "amazing", "am I talking to a human?",
    "very good", "of course", "never", "see you later", "hello there", "goodbye",
]


def rasa_command(rasa_python: Path) -> list[str]:
    return [str(rasa_python), "-m", "rasa"]


def ensure_model(rasa_python: Path, work: Path) -> Path:
    """The trained moodbot model (``rasa init --no-prompt`` once, at low priority)."""
    import rasa  # the same runtime runs this script

    project = work / f"moodbot-{rasa.__version__}"
    models = project / "models"
    existing = sorted(models.glob("*.tar.gz")) if models.exists() else []
    if existing:
        return existing[-1]
    project.mkdir(parents=True, exist_ok=True)
    print(f"training stock Rasa's moodbot once in {project} (rasa init; a few minutes) ...", file=sys.stderr)
    subprocess.run(
        [*rasa_command(rasa_python), "init", "--no-prompt", "--init-dir", str(project)],
        cwd=project, env=_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(10),
    )
    trained = sorted(models.glob("*.tar.gz"))
    if not trained:
        raise RuntimeError(f"rasa init did not leave a model in {models}")
    return trained[-1]


def _env() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def serve(rasa_python: Path, model: Path, port: int, log: Path) -> subprocess.Popen:
    """``rasa run`` of the moodbot on 127.0.0.1:port; returns once its REST channel answers."""
    project = model.parent.parent
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [*rasa_command(rasa_python), "run", "--model", str(model), "--interface", "127.0.0.1",
             "--port", str(port)],
            cwd=project, env=_env(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stock Rasa exited with code {process.returncode}; see {log}")
        try:
            status, _ = load_client.post(url, "warm-up", "hi", timeout=5)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"stock Rasa did not answer within 600 s; see {log}")
