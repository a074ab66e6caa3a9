"""Start, watch and stop the assistant's processes.

The stack is: the course search service (index runtime), the action server and the Rasa server (dialogue
runtime; it also serves the intranet widget's channel), an optional support API (only when KC_SUPPORT_TOKEN
is set) and, unless a real token issuer is configured (KC_WIDGET_ISSUER), the demo host page with the local
development token issuer (scripts/chat_page.py), served by this process.

With ``KC_RASA_WORKERS`` = N > 1 (the default on a machine with >= 2 cores and >= 8 GB available memory), the
Rasa server is N workers "rasa-1" ... "rasa-N" on internal ports of 127.0.0.1 and the request router
(``bot/router/``, service "router") on the public Rasa port; with 1 it is today's single "rasa" service.

Standard library only: `make stop` runs it with any Python 3. The e2e tests import `Stack` from here, so the
tests start exactly what `make run` starts. The terminal chat (`make chat`) is terminal_chat.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import run_record
from chat_page import DevTokenIssuer, start_demo_host
from supervisor import CrashLoop, Supervisor

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORTS = {"rasa": 5005, "actions": 5055, "search": 8765, "support": 5056, "web": 8080}
PORT_VARIABLES = {name: f"KC_{name.upper()}_PORT" for name in DEFAULT_PORTS}
# Largest request body the Rasa server reads at all (= bot/channels/guards.py MAX_BODY_BYTES).
MAX_REQUEST_BYTES = 1024 * 1024
LABELS = {
    "search": "course search service",
    "actions": "action server",
    "rasa": "Rasa server",
    "support": "support API",
    "web": "demo host page",
    "router": "request router",
}
WORKERS_VARIABLE = "KC_RASA_WORKERS"
MAX_WORKERS = 8
# Automatic worker count: 2 workers need two cores and about 2 x 2.8 GB, plus the other services.
AUTO_WORKERS_MIN_CORES = 2
AUTO_WORKERS_MIN_AVAILABLE_GB = 8.0


class StackError(RuntimeError):
    """A problem that ends start-up; the message is one line for the operator."""


def ports_from_env(env: dict[str, str] | None = None) -> dict[str, int]:
    env = dict(os.environ if env is None else env)
    ports = {}
    for name, default in DEFAULT_PORTS.items():
        raw = env.get(PORT_VARIABLES[name], str(default))
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise StackError(f"{PORT_VARIABLES[name]}={raw!r} is not a port number (1-65535).")
        ports[name] = int(raw)
    return ports


def available_memory_gb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def workers_from_env(
    env: dict[str, str] | None = None, cores: int | None = None, available_gb: float | None = None
) -> int:
    """``KC_RASA_WORKERS``, or without it 2 when the machine has >= 2 cores and >= 8 GB available, else 1."""
    env = dict(os.environ if env is None else env)
    raw = env.get(WORKERS_VARIABLE, "").strip()
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
            raise StackError(
                f"{WORKERS_VARIABLE}={raw!r}: expected a number of Rasa workers from 1 to {MAX_WORKERS}."
            )
        return int(raw)
    cores = (os.cpu_count() or 1) if cores is None else cores
    available_gb = available_memory_gb() if available_gb is None else available_gb
    if cores >= AUTO_WORKERS_MIN_CORES and (available_gb or 0) >= AUTO_WORKERS_MIN_AVAILABLE_GB:
        return 2
    return 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def http_json(url: str, payload: dict | None = None, timeout: float = 5.0) -> tuple[int, object]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    try:
        return status, json.loads(body or b"null")
    except ValueError:
        return status, body.decode(errors="replace")


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    port: int = 0

    @property
    def label(self) -> str:
        if self.name.startswith("rasa-"):
            return f"Rasa worker {self.name.split('-', 1)[1]}"
        return LABELS[self.name]

    @property
    def is_rasa(self) -> bool:
        """The Rasa server, or one of its workers."""
        return self.name == "rasa" or self.name.startswith("rasa-")

    def exit_code(self) -> int | None:
        """None while running (or never started), else the exit code (negative: killed by that signal)."""
        return None if self.process is None else self.process.poll()


@dataclass
class StackConfig:
    ports: dict[str, int]
    var_dir: Path
    model: Path
    index_dir: Path
    rasa_python: Path
    index_python: Path
    support_token: str | None = None
    host: str = "127.0.0.1"
    # The demo host page and the development token issuer; off when KC_WIDGET_ISSUER names a real issuer.
    demo: bool = True
    # Rasa workers behind the request router (KC_RASA_WORKERS); 1 = one Rasa server on the public port.
    workers: int = 1

    @classmethod
    def from_env(cls) -> StackConfig:
        var_dir = Path(os.environ.get("KC_VAR_DIR", ROOT / "var")).resolve()
        return cls(
            ports=ports_from_env(),
            var_dir=var_dir,
            model=Path(os.environ.get("KC_MODEL", ROOT / "models" / "kc.tar.gz")).resolve(),
            index_dir=Path(os.environ.get("KC_INDEX_DIR", var_dir / "index")).resolve(),
            rasa_python=ROOT / ".venv" / "rasa" / "bin" / "python",
            index_python=ROOT / ".venv" / "index" / "bin" / "python",
            support_token=os.environ.get("KC_SUPPORT_TOKEN") or None,
            demo=not os.environ.get("KC_WIDGET_ISSUER"),
            workers=workers_from_env(),
        )

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "tracker.db"

    @property
    def support_db(self) -> Path:
        return self.var_dir / "support.db"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.ports['rasa']}"

    @property
    def search_url(self) -> str:
        return f"http://{self.host}:{self.ports['search']}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.ports['web']}/"

    @property
    def widget_script_url(self) -> str:
        return f"{self.rasa_url}/webhooks/widget/kc-widget.js"

    @property
    def demo_origins(self) -> list[str]:
        return [f"http://localhost:{self.ports['web']}", f"http://127.0.0.1:{self.ports['web']}"]

    @property
    def support_url(self) -> str:
        return f"http://{self.host}:{self.ports['support']}"


def rasa_service(config: StackConfig, name: str, port: int, common: dict[str, str]) -> Service:
    host = config.host
    return Service(
        name,
        # `rasa run` with the patches of bot/server (action retries, no empty replies, speed).
        [str(config.rasa_python), "-m", "bot.server", "run", "--model", str(config.model),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
         "--interface", host, "--port", str(port)],
        f"http://{host}:{port}/webhooks/rest/",
        # Sanic answers larger bodies itself (413) without reading them; the channels have smaller limits.
        env={**common, "KC_ACTION_URL": f"http://{host}:{config.ports['actions']}/webhook",
             "SANIC_REQUEST_MAX_SIZE": str(MAX_REQUEST_BYTES)},
        port=port,
    )


def rasa_services(config: StackConfig, common: dict[str, str]) -> list[Service]:
    """One Rasa server on the public port, or the workers on free internal ports and the router."""
    if config.workers <= 1:
        return [rasa_service(config, "rasa", config.ports["rasa"], common)]
    workers = [rasa_service(config, f"rasa-{n}", free_port(), common) for n in range(1, config.workers + 1)]
    worker_args = [
        arg for w in workers for arg in ("--worker", f"{w.name.split('-', 1)[1]}=http://{config.host}:{w.port}")
    ]
    router = Service(
        "router",
        [str(config.rasa_python), "-m", "bot.router", "--host", config.host,
         "--port", str(config.ports["rasa"]), *worker_args],
        f"{config.rasa_url}/webhooks/rest/",
        env={"PYTHONUNBUFFERED": "1"},
        port=config.ports["rasa"],
    )
    return [*workers, router]


def build_services(config: StackConfig) -> list[Service]:
    ports, host = config.ports, config.host
    common = {
        "KC_SEARCH_URL": config.search_url,
        "KC_TRACKER_DB": str(config.tracker_db),
        "KC_SUPPORT_DB": str(config.support_db),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
    }
    services = [
        Service(
            "search",
            [str(config.index_python), "-m", "index.cli", "serve", "--index", str(config.index_dir),
             "--host", host, "--port", str(ports["search"])],
            f"{config.search_url}/health",
            port=ports["search"],
        ),
        Service(
            "actions",
            [str(config.rasa_python), "-m", "rasa_sdk", "--actions", "bot.actions",
             "--port", str(ports["actions"])],
            f"http://{host}:{ports['actions']}/health",
            # rasa_sdk has no --interface option and listens on 0.0.0.0 unless SANIC_HOST says otherwise.
            env={**common, "SANIC_HOST": host},
            port=ports["actions"],
        ),
        *rasa_services(config, common),
    ]
    if config.support_token:
        services.append(
            Service(
                "support",
                [str(config.rasa_python), "-m", "bot.support.api", "--host", host,
                 "--port", str(ports["support"])],
                f"{config.support_url}/health",
                env={**common, "KC_SUPPORT_TOKEN": config.support_token},
                port=ports["support"],
            )
        )
    return services


class Stack:
    """The running processes of one assistant instance."""

    def __init__(self, config: StackConfig, echo: Callable[[str], None] = print) -> None:
        self.config = config
        self.echo = echo
        self.services = build_services(config)
        self.web_server: ThreadingHTTPServer | None = None
        self.dev_issuer: DevTokenIssuer | None = None
        self.run = run_record.RunRecord(launcher=os.getpid())

    # --- start-up -----------------------------------------------------------------------------------
    def check_prerequisites(self) -> None:
        config = self.config
        for python, runtime in ((config.rasa_python, "dialogue"), (config.index_python, "index")):
            if not python.exists():
                raise StackError(f"The {runtime} runtime is missing ({python}); run 'make setup'.")
        if not config.model.exists():
            raise StackError(f"No trained model at {config.model}; run 'make train'.")
        if not (config.index_dir / "current").exists():
            raise StackError(f"No course index in {config.index_dir}; run 'make index'.")
        recorded = run_record.read(config.var_dir)
        if recorded is not None and run_record.alive(recorded.launcher):
            raise StackError(
                f"An assistant started by 'make run' is still running (process {recorded.launcher}); "
                "stop it with 'make stop' first."
            )
        wanted = [(s.name, s.port, s.label) for s in self.services]
        if config.demo:
            wanted.append(("web", config.ports["web"], LABELS["web"]))
        for name, port, label in wanted:
            if not port_is_free(port, config.host):
                # A worker's port is a free one picked at start: only the public ports have a variable.
                variable = PORT_VARIABLES["rasa"] if name == "router" else PORT_VARIABLES.get(name)
                choose = f" or choose another port with {variable}=<port>" if variable else ""
                raise StackError(
                    f"Port {port} ({label}) is already in use. Stop the program using it "
                    f"(maybe 'make stop'){choose}."
                )

    def start(self, timeout: float = 480.0) -> None:
        self.check_prerequisites()
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.config.demo:
                self._prepare_demo()
            for service in self.services:
                self._launch(service)
            self._write_record()  # from here on `make stop` can end a start-up that hangs
            self._start_web()
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _launch(self, service: Service) -> None:
        service.log_path = self.config.log_dir / f"{service.name}.log"
        log = open(service.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        log.write(f"\n--- start {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log.flush()
        env = {**os.environ, **service.env}
        service.process = subprocess.Popen(
            service.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    def _prepare_demo(self) -> None:
        """A development token issuer, and the Rasa server's widget settings that accept its tokens."""
        self.dev_issuer = DevTokenIssuer()
        key_file = self.config.var_dir / "run" / "widget-dev-public-key.pem"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(self.dev_issuer.public_key_pem())
        widget_env = self.dev_issuer.widget_env(key_file, self.config.demo_origins)
        for service in self.services:
            if service.is_rasa:
                service.env.update(widget_env)
            elif service.name == "router":  # the origins, for the CORS header of its own 503 answer
                service.env.update({k: v for k, v in widget_env.items() if k == "KC_WIDGET_ORIGINS"})

    def _start_web(self) -> None:
        if self.dev_issuer is not None:
            self.web_server = start_demo_host(
                self.config.host, self.config.ports["web"], self.config.rasa_url, self.dev_issuer
            )

    def _wait_until_ready(self, timeout: float) -> None:
        pending = {service.name: service for service in self.services}
        deadline = time.monotonic() + timeout
        while pending:
            for name, service in list(pending.items()):
                self._raise_if_dead(service)
                try:
                    status, _ = http_json(service.health_url, timeout=2)
                except (urllib.error.URLError, OSError):
                    continue
                if status == 200:
                    self.echo(f"  ready: {service.label} (port {service.port})")
                    del pending[name]
            if time.monotonic() > deadline:
                names = ", ".join(f"{s.label} (log: {s.log_path})" for s in pending.values())
                raise StackError(f"Not ready after {timeout:.0f} s: {names}.")
            if pending:
                time.sleep(0.5)

    def _raise_if_dead(self, service: Service) -> None:
        if service.process is not None and service.process.poll() is not None:
            raise StackError(
                f"The {service.label} exited (code {service.process.returncode}); "
                f"see {service.log_path}."
            )

    # --- running ------------------------------------------------------------------------------------
    def watch(self) -> None:
        """Block until interrupted; a service that exits is started again (scripts/supervisor.py).

        Raises StackError when a service keeps crashing."""
        supervisor = self.supervisor(self.echo)
        while True:
            try:
                supervisor.check()
            except CrashLoop as error:
                raise StackError(str(error)) from error
            time.sleep(1)

    def supervisor(self, echo: Callable[[str], None]) -> Supervisor[Service]:
        """A supervisor over these services (``check()`` restarts what exited), keeping the record current."""
        return Supervisor(
            services=lambda: list(self.services),
            launch=self._launch,
            healthy=lambda service: http_json(service.health_url, timeout=2)[0] == 200,
            echo=echo,
            on_restart=self._write_record,
        )

    def say(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        status, replies = http_json(
            f"{self.config.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}, timeout
        )
        if status != 200 or not isinstance(replies, list):
            raise StackError(f"Rasa answered HTTP {status}: {replies}")
        return replies

    # --- shutdown -----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop everything in order (run_record.STOP_ORDER): the page, the Rasa server, then what it uses.

        The Rasa server never answers without its action server: it is gone before the action server stops.
        """
        if self.web_server is not None:
            self.web_server.shutdown()
            self.web_server.server_close()
            self.web_server = None
        for service in sorted(self.services, key=lambda s: run_record.stop_rank(s.name)):
            self._stop_process(service)
        run_record.remove_if_own(self.config.var_dir, self.run.run_id)

    @staticmethod
    def _stop_process(service: Service) -> None:
        if service.process is not None and service.process.poll() is None:
            run_record.stop_group(service.process.pid)
            service.process.wait()  # reaps it (stop_group already waited for the exit)

    def stop_service(self, name: str) -> None:
        """Stop one service (used by tests that restart a service)."""
        self._stop_process(self.service(name))

    def kill_service(self, name: str) -> None:
        """SIGKILL one service's process group, as the kernel's OOM killer would (fault tests)."""
        service = self.service(name)
        if service.process is not None and service.process.poll() is None:
            _signal_group(service.process.pid, signal.SIGKILL)
            service.process.wait()

    def restart_service(self, name: str, timeout: float = 480.0) -> None:
        self.stop_service(name)
        service = self.service(name)
        self._launch(service)
        self._write_record()
        saved, self.services = self.services, [service]
        try:
            self._wait_until_ready(timeout)
        finally:
            self.services = saved

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def rasa_workers(self) -> list[Service]:
        """The Rasa server's processes: ["rasa"], or the workers ["rasa-1", ...] behind the router."""
        return [s for s in self.services if s.is_rasa]

    def _write_record(self) -> None:
        self.run.services = {s.name: s.process.pid for s in self.services if s.process is not None}
        self.run.ports = {**self.config.ports, **{s.name: s.port for s in self.services if s.port}}
        run_record.write(self.config.var_dir, self.run)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM (from `make stop`) like Ctrl-C, so the services are stopped in order."""
    raise KeyboardInterrupt


def run_forever(config: StackConfig) -> int:
    stack = Stack(config)
    signal.signal(signal.SIGTERM, _interrupt)
    print("Starting the assistant (first start-up takes up to a minute) ...", flush=True)
    if config.workers > 1:
        print(f"  {config.workers} Rasa workers behind the request router on port {config.ports['rasa']} "
              f"({WORKERS_VARIABLE}; each needs about 2.8 GB of memory).", flush=True)
    try:
        stack.start()
        where = f"Demo host page: {config.web_url}" if config.demo else f"Widget: {config.widget_script_url}"
        print(f"\nKommunalCampus-Assistent is ready. {where}", flush=True)
        print(f"Logs: {config.log_dir}/. Stop with Ctrl-C or 'make stop'.", flush=True)
        if not config.support_token:
            print("Support API not started: set KC_SUPPORT_TOKEN to enable it.", flush=True)
        stack.watch()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        stack.stop()
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        stack.stop()
        print("Stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "stop"])
    args = parser.parse_args(argv)
    try:
        config = StackConfig.from_env()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "stop":
        print(run_record.stop_recorded(config.var_dir))
        return 0
    return run_forever(config)


if __name__ == "__main__":
    sys.exit(main())
