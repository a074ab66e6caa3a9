"""Start-up faults end with one clear line and leave nothing running."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import stack as stack_module


def _config(tmp_path, **changes):
    base = replace(stack_module.StackConfig.from_env(), workers=1)  # one Rasa server, no router
    ports = {name: stack_module.free_port() for name in stack_module.DEFAULT_PORTS}
    return replace(base, ports=ports, var_dir=tmp_path, **changes)


@pytest.mark.needs_model  # the trained model and the index are checked before the ports
def test_port_in_use_is_named_with_the_variable_to_change(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        config = _config(tmp_path)
        config.ports["rasa"] = busy
        with pytest.raises(stack_module.StackError) as error:
            stack_module.Stack(config).start()
    message = str(error.value)
    assert f"Port {busy}" in message and "KC_RASA_PORT" in message
    assert "\n" not in message


def test_missing_model_says_what_to_run(tmp_path):
    config = _config(tmp_path, model=tmp_path / "missing.tar.gz")
    with pytest.raises(stack_module.StackError, match="make train"):
        stack_module.Stack(config).start()


def test_bad_port_variable_is_refused():
    with pytest.raises(stack_module.StackError, match="KC_WEB_PORT"):
        stack_module.ports_from_env({"KC_WEB_PORT": "eighty"})


@pytest.mark.e2e  # starts the action server and the Rasa server
def test_a_crashing_service_stops_the_others(tmp_path):
    # An interpreter that exits at once with code 1 stands in for a search service that crashes on start.
    config = _config(tmp_path, index_python=Path("/bin/false"))
    running = stack_module.Stack(config, echo=lambda line: None)
    with pytest.raises(stack_module.StackError) as error:
        running.start(timeout=120)
    assert "course search service exited" in str(error.value)
    assert "search.log" in str(error.value)
    for service in running.services:
        assert service.process is not None and service.process.poll() is not None, service.name
    for name in ("rasa", "actions", "web"):
        assert stack_module.port_is_free(config.ports[name])


def test_unknown_make_target_gets_one_clear_line():
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(stack_module.ROOT), "rnu"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "make help" in lines[0], result.stderr
