"""`make stop` / `make run` bookkeeping and the supervisor, with real processes standing in for the services.

No model or stack needed (fast tier): each "service" is a small Python process that notes when it gets
SIGTERM, so the tests see the real order in which the stack's code stops them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import run_record
import stack as stack_module
from supervisor import MAX_RESTARTS, CrashLoop, Supervisor

# Writes its name to the shared file on SIGTERM, after checking which of the other services still run.
STANDIN = """
import os, signal, sys, time
name, notes, ready = sys.argv[1], sys.argv[2], sys.argv[3]
def stop(signum, frame):
    with open(notes, "a") as out:
        out.write(name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(ready, "w").close()
while True:
    time.sleep(0.1)
"""


def _standin(name: str, tmp_path: Path) -> subprocess.Popen:
    ready = tmp_path / f"{name}.ready"
    process = subprocess.Popen(
        [sys.executable, "-c", STANDIN, name, str(tmp_path / "stopped.txt"), str(ready)],
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, f"stand-in {name} did not start"
        time.sleep(0.05)
    return process


def _stopped(tmp_path: Path) -> list[str]:
    return (tmp_path / "stopped.txt").read_text().split()


def _stack(tmp_path: Path, workers: int = 1) -> stack_module.Stack:
    base = replace(stack_module.StackConfig.from_env(), workers=workers)
    config = replace(base, ports={n: stack_module.free_port() for n in stack_module.DEFAULT_PORTS},
                     var_dir=tmp_path / "var", support_token="token", demo=False)
    return stack_module.Stack(config, echo=lambda line: None)


def test_stack_stops_the_rasa_server_before_its_action_server(tmp_path):
    running = _stack(tmp_path)
    for service in running.services:  # started in the order `make run` starts them
        service.process = _standin(service.name, tmp_path)
    running.stop()
    assert _stopped(tmp_path) == ["rasa", "support", "actions", "search"]
    assert all(service.process.poll() is not None for service in running.services)


def test_with_workers_the_router_and_every_worker_stop_before_the_action_server(tmp_path):
    running = _stack(tmp_path, workers=2)
    names = ["search", "actions", "rasa-1", "rasa-2", "router", "support"]
    assert [s.name for s in running.services] == names
    public = running.config.ports["rasa"]
    assert running.service("router").port == public
    assert {s.port for s in running.rasa_workers()}.isdisjoint({public, *running.config.ports.values()})
    for service in running.services:
        service.process = _standin(service.name, tmp_path)
    running._write_record()
    recorded = run_record.read(running.config.var_dir)
    assert recorded is not None and set(recorded.services) == {s.name for s in running.services}
    running.stop()
    assert _stopped(tmp_path) == ["router", "rasa-1", "rasa-2", "support", "actions", "search"]
    assert run_record.read(running.config.var_dir) is None


def test_worker_count_from_the_variable_or_from_the_machine():
    assert stack_module.workers_from_env({"KC_RASA_WORKERS": "3"}) == 3
    assert stack_module.workers_from_env({"KC_RASA_WORKERS": "1"}, cores=8, available_gb=64) == 1
    for bad in ("0", "two", "99"):
        with pytest.raises(stack_module.StackError, match="KC_RASA_WORKERS"):
            stack_module.workers_from_env({"KC_RASA_WORKERS": bad})
    assert stack_module.workers_from_env({}, cores=2, available_gb=12) == 2
    assert stack_module.workers_from_env({}, cores=1, available_gb=12) == 1
    assert stack_module.workers_from_env({}, cores=2, available_gb=6) == 1


def test_make_stop_stops_a_recorded_run_in_order_and_forgets_it(tmp_path):
    var_dir = tmp_path / "var"
    services = {name: _standin(name, tmp_path) for name in ("search", "actions", "rasa")}
    dead_launcher = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_launcher.wait()
    pids = {name: process.pid for name, process in services.items()}
    record = run_record.RunRecord(launcher=dead_launcher.pid, services=pids)
    run_record.write(var_dir, record)

    message = run_record.stop_recorded(var_dir, echo=lambda line: None)

    assert message == "Stopped the assistant's processes."
    assert _stopped(tmp_path) == ["rasa", "actions", "search"]
    for process in services.values():
        process.wait(timeout=10)
    assert run_record.read(var_dir) is None
    assert run_record.stop_recorded(var_dir).startswith("Nothing to stop")


def test_an_older_runs_clean_up_keeps_the_newer_runs_record(tmp_path):
    # `make stop` then at once `make run`: the old run is still cleaning up when the new one has written
    # its record. The old clean-up must not remove it, so a later `make stop` still finds the new run.
    var_dir = tmp_path / "var"
    old = run_record.RunRecord(launcher=os.getpid(), services={"rasa": 1})
    run_record.write(var_dir, old)
    newer_service = _standin("rasa", tmp_path)
    new = run_record.RunRecord(launcher=1 << 22, services={"rasa": newer_service.pid})
    run_record.write(var_dir, new)

    assert run_record.remove_if_own(var_dir, old.run_id) is False

    kept = run_record.read(var_dir)
    assert kept is not None and kept.run_id == new.run_id
    assert run_record.stop_recorded(var_dir, echo=lambda line: None) == "Stopped the assistant's processes."
    newer_service.wait(timeout=10)
    assert _stopped(tmp_path) == ["rasa"]


class _Crashing:
    """A service whose process exits at once, like one that crashes on every start."""

    name = "actions"
    health_url = "http://127.0.0.1:9/health"
    label = "action server"

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.launches = 0

    def start(self) -> None:
        self.launches += 1
        self.process = subprocess.Popen(["/bin/false"])
        self.process.wait()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()


def test_supervisor_restarts_a_crashed_service_and_gives_up_on_a_crash_loop():
    service = _Crashing()
    service.start()
    lines: list[str] = []
    supervisor = Supervisor(services=lambda: [service], launch=lambda s: s.start(),
                            healthy=lambda s: False, echo=lines.append)
    for _ in range(MAX_RESTARTS):
        supervisor.check()
    assert service.launches == 1 + MAX_RESTARTS
    assert "action server exited with code 1; restarting it" in lines[0]
    with pytest.raises(CrashLoop, match="action server exited with code 1 and has exited 6 times"):
        supervisor.check()
    assert service.launches == 1 + MAX_RESTARTS
