"""The record of a running `make run` (``var/run/stack.json``), so that `make stop` in another terminal can
stop it, and nothing else can remove it.

Each run writes its own record under a fresh run id. Only that run removes it again (or a `make stop` that
stopped exactly that run): an older run that is still cleaning up when a new `make run` has started cannot
delete the new run's record any more (issue 14: `make stop` followed at once by `make run` left services
that nobody could stop). Reading, writing and removing happen under an exclusive ``flock``.

Standard library only (`make stop` runs with any Python 3).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

RECORD_NAME = "stack.json"
LOCK_NAME = "stack.lock"
# Services in the order they are stopped: nothing that uses another service outlives it (the Rasa server is
# never left answering without its action server, the action server never without the search service).
STOP_ORDER = ("router", "rasa", "support", "actions", "search")


def stop_rank(name: str) -> int:
    """Position of a service in STOP_ORDER; workers "rasa-2" rank as "rasa", unknown names first."""
    base = name.split("-")[0]
    return STOP_ORDER.index(base) if base in STOP_ORDER else -1


@dataclass
class RunRecord:
    launcher: int
    services: dict[str, int] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def run_dir(var_dir: Path) -> Path:
    return var_dir / "run"


@contextmanager
def _locked(var_dir: Path) -> Iterator[None]:
    directory = run_dir(var_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_unlocked(var_dir: Path) -> RunRecord | None:
    try:
        data = json.loads((run_dir(var_dir) / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("launcher"), int):
        return None
    return RunRecord(
        launcher=data["launcher"],
        services={str(k): int(v) for k, v in (data.get("services") or {}).items()},
        ports={str(k): int(v) for k, v in (data.get("ports") or {}).items()},
        run_id=str(data.get("run_id") or ""),
    )


def read(var_dir: Path) -> RunRecord | None:
    with _locked(var_dir):
        return _read_unlocked(var_dir)


def write(var_dir: Path, record: RunRecord) -> None:
    """Write (or update) the record atomically."""
    with _locked(var_dir):
        path = run_dir(var_dir) / RECORD_NAME
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(asdict(record)))
        temporary.replace(path)


def remove_if_own(var_dir: Path, run_id: str) -> bool:
    """Remove the record only if it is still the one of ``run_id``; True if it was removed."""
    with _locked(var_dir):
        current = _read_unlocked(var_dir)
        if current is None or current.run_id != run_id:
            return False
        (run_dir(var_dir) / RECORD_NAME).unlink(missing_ok=True)
        return True


def alive(pid: int) -> bool:
    """True while ``pid`` runs; an exited process that its parent has not reaped yet (zombie) counts as
    gone, otherwise stopping a child of this process would wait out the whole grace period."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(pid: int, grace: float = 20.0) -> None:
    """SIGTERM a service's process group, SIGKILL it if it is still there after ``grace`` seconds."""
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        signal_group(pid, signal.SIGKILL)
        while alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)


def stop_recorded(var_dir: Path, echo: Callable[[str], None] = print, launcher_grace: float = 90.0) -> str:
    """Stop the run recorded in ``var_dir`` and return one line for the operator.

    The launcher (``make run``) stops its services itself, in order; this waits until it has exited, so a
    `make run` right after `make stop` finds the ports free. If the launcher is gone or hangs, the recorded
    services are stopped here, in the same order.
    """
    record = read(var_dir)
    if record is None:
        return "Nothing to stop: no assistant started by 'make run' is recorded."
    if alive(record.launcher):
        try:
            os.kill(record.launcher, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + launcher_grace
        while alive(record.launcher) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(record.launcher):
            echo(f"The 'make run' process {record.launcher} did not stop in {launcher_grace:.0f} s; "
                 "stopping its services directly.")
    for name in sorted(record.services, key=stop_rank):
        if alive(record.services[name]):
            stop_group(record.services[name])
    remove_if_own(var_dir, record.run_id)
    return "Stopped the assistant's processes."
