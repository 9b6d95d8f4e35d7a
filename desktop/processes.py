"""Core as a child process of the launcher: start, watch, restart after a crash, stop, and
attach to a Core that is already running.

The supervisor is synchronous and has no thread of its own: `check()` looks once (has the child
exited? does /healthz answer? is a restart due?) and returns a `Status`. `controller.Controller`
runs it on one background thread so the window never waits on a process or a socket.

A crash (the child exits with a non-zero code while it should run) is followed by a restart
after 1, 2, 4, 8, 16 s; after `max_restarts` crashes in a row the supervisor gives up and says
so. A Core that stays up for `stable_after` seconds earns a clean slate. A Core that exits with
code 0 was stopped on purpose (Ctrl+C, SIGTERM, shutdown) and is not restarted.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from faceforge import program, stop_request
from faceforge.client import CoreClient, find_running, http_url
from faceforge.home import layout

from .logtail import last_line
from .ports import port_is_free

# The child's stdout and stderr (start line, warnings, a traceback if it dies); Core writes
# its own log, core.log, itself.
CONSOLE_LOG = "core-console.log"
CONSOLE_LOG_MAX_BYTES = 5 * 2**20
# Written by the launcher next to core.json: the pid of the Core it started, so that a later
# launcher that attaches to that Core can stop it.
PID_FILE = "core.pid"
STOP_TIMEOUT = 20.0
# Seconds between /healthz calls once Core runs (each is a line in core.log; a dead child is
# noticed at once anyway, through its exit code). While starting, every check asks.
HEALTH_INTERVAL = 10.0
# /healthz misses in a row after which an attached Core counts as gone.
ATTACHED_MISSES = 3

STOPPED = "stopped"
STARTING = "starting"
RUNNING = "running"
RESTARTING = "restarting"
FAILED = "failed"


class SupervisorError(Exception):
    """A request the supervisor cannot carry out; the message is for the person who asked."""


def core_command(root: Path, port: int) -> list[str]:
    return [*program.command(), "serve", "--home", str(root), "--port", str(port)]


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0

    def delay(self, restart_number: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (restart_number - 1))


@dataclass(frozen=True)
class Status:
    state: str = STOPPED
    port: int | None = None
    pid: int | None = None
    healthy: bool = False
    attached: bool = False  # a Core this launcher found running rather than started
    restarts: int = 0  # crash restarts since the last stable run
    restart_in: float | None = None
    message: str = ""


def crash_description(exit_code: int, last_output: str) -> str:
    """`exit code 3, last output: faceforge: port in use`; the start line explains nothing."""
    how = f"killed by signal {-exit_code}" if exit_code < 0 else f"exit code {exit_code}"
    if not last_output or last_output.startswith("FaceForge listening on"):
        return how
    return f"{how}, last output: {last_output}"


def rotate_if_big(path: Path, max_bytes: int = CONSOLE_LOG_MAX_BYTES) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))


def detached_process_options() -> dict:
    """Core must outlive the launcher when asked to keep running: its own session (no SIGHUP
    from a closing terminal), no console window on Windows."""
    if os.name == "nt":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        return {"creationflags": flags}
    return {"start_new_session": True}


class CoreSupervisor:
    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        policy: RestartPolicy = RestartPolicy(),
        command: Callable[[Path, int], list[str]] = core_command,
        clock: Callable[[], float] = time.monotonic,
        health_interval: float = HEALTH_INTERVAL,
    ):
        home = layout(root, {})
        self.root = root
        self.host = host
        self.policy = policy
        self.command = command
        self.clock = clock
        self.health_interval = health_interval
        self.console_log = home.logs_dir / CONSOLE_LOG
        self.pid_file = home.config_dir / PID_FILE
        self.tmp_dir = home.tmp_dir
        self.process: subprocess.Popen | None = None
        self.status = Status()
        self._started_at = 0.0
        self._restart_at = 0.0
        self._misses = 0
        self._health_checked_at = -float("inf")
        self._last_crash = ""

    def client(self, port: int) -> CoreClient:
        return CoreClient(http_url(self.host, port), timeout=1.0)

    def healthy(self) -> bool:
        """/healthz, asked at most every `health_interval` seconds while Core runs and answers."""
        due = self.clock() - self._health_checked_at >= self.health_interval
        if due or self.status.state != RUNNING or not self.status.healthy:
            self._health_checked_at = self.clock()
            return self.client(self.status.port).healthy()
        return self.status.healthy

    def start(self, port: int) -> Status:
        """Start Core on `port` (a person asked: the crash count starts again)."""
        if self.status.state in (STARTING, RUNNING):
            return self.status
        if not port_is_free(port, self.host):
            raise SupervisorError(
                f"Port {port} is used by another program; choose another one in Settings."
            )
        self.status = Status(state=STARTING, port=port)
        self.spawn()
        return self.status

    def spawn(self) -> None:
        port = self.status.port
        self.console_log.parent.mkdir(parents=True, exist_ok=True)
        rotate_if_big(self.console_log)
        with open(self.console_log, "ab") as console:
            try:
                self.process = subprocess.Popen(
                    self.command(self.root, port),
                    stdin=subprocess.DEVNULL,
                    stdout=console,
                    stderr=subprocess.STDOUT,
                    **detached_process_options(),
                )
            except OSError as error:
                self.status = Status(state=FAILED, port=port, message=f"cannot start Core: {error}")
                return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{self.process.pid}\n", encoding="ascii")
        self._started_at = self.clock()
        self.status = replace(
            self.status, state=STARTING, pid=self.process.pid, healthy=False, restart_in=None
        )

    def attach_or_start(self, port: int, token: str) -> Status:
        """Watch the Core already serving this home if there is one, else start one."""
        found = find_running(self.root, self.host, token) if token else None
        return self.attach(found.port) if found else self.start(port)

    def attach(self, port: int) -> Status:
        """Watch a Core found running (see client.find_running) instead of starting one."""
        self.status = Status(state=RUNNING, port=port, healthy=True, attached=True)
        self._misses = 0
        return self.status

    def check(self) -> Status:
        if self.process is not None:
            self.check_child()
        elif self.status.state == RESTARTING:
            remaining = self._restart_at - self.clock()
            if remaining <= 0:
                self.spawn()
            else:
                self.status = replace(self.status, restart_in=remaining)
        elif self.status.attached:
            self.check_attached()
        return self.status

    def check_child(self) -> None:
        exit_code = self.process.poll()
        if exit_code is None:
            healthy = self.healthy()
            state = RUNNING if healthy or self.status.state == RUNNING else STARTING
            message, restarts = self.status.message, self.status.restarts
            if healthy and self.status.state == STARTING and restarts:
                message = f"Restarted after a crash ({self._last_crash})"
            if healthy and self.clock() - self._started_at >= self.policy.stable_after:
                restarts = 0
            self.status = replace(
                self.status, state=state, healthy=healthy, restarts=restarts, message=message
            )
            return
        self.forget_child()
        if exit_code == 0:
            self.status = Status(
                port=self.status.port, message="Core was stopped outside the launcher"
            )
            return
        self._last_crash = crash_description(exit_code, last_line(self.console_log))
        restarts = self.status.restarts
        if restarts >= self.policy.max_restarts:
            self.status = Status(
                state=FAILED,
                port=self.status.port,
                restarts=restarts,
                message=f"Core stopped {restarts + 1} times in a row and was not started again:"
                f" {self._last_crash}",
            )
            return
        delay = self.policy.delay(restarts + 1)
        self._restart_at = self.clock() + delay
        self.status = Status(
            state=RESTARTING,
            port=self.status.port,
            restarts=restarts + 1,
            restart_in=delay,
            message=f"Core stopped: {self._last_crash}",
        )

    def check_attached(self) -> None:
        if self.healthy():
            self._misses = 0
            self.status = replace(self.status, healthy=True)
            return
        self._misses += 1
        self.status = replace(self.status, healthy=False)
        if self._misses >= ATTACHED_MISSES:
            self.status = Status(port=self.status.port, message="Core stopped")

    def forget_child(self) -> None:
        self.process = None
        self.pid_file.unlink(missing_ok=True)

    def stop(self, timeout: float = STOP_TIMEOUT) -> Status:
        """Stop Core, whether this launcher started it or an earlier one did: asked through a
        stop request (faceforge/stop_request.py: the one graceful way that also works on
        Windows), killed only when it has not stopped after `timeout` seconds."""
        if self.process is not None:
            if not self.ask_to_stop(self.process.pid):
                self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.forget_child()
        elif self.status.attached:
            self.stop_attached(timeout)
        self.status = Status(port=self.status.port)
        return self.status

    def stop_attached(self, timeout: float) -> None:
        try:
            pid = int(self.pid_file.read_text(encoding="ascii"))
        except (OSError, ValueError):
            raise SupervisorError(
                "This Core was not started by the launcher; stop it where it was started"
                " (Ctrl+C in its terminal)."
            ) from None
        if not (self.ask_to_stop(pid) and self.gone_within(timeout)):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            except OSError as error:
                raise SupervisorError(f"cannot stop Core (pid {pid}): {error.strerror}") from None
            if not self.gone_within(timeout):
                raise SupervisorError(f"Core (pid {pid}) did not stop within {timeout:.0f} s")
        self.pid_file.unlink(missing_ok=True)

    def ask_to_stop(self, pid: int) -> bool:
        """Write a stop request for `pid`; False when it cannot be written (then only a
        signal is left: SIGTERM, which Windows makes a kill)."""
        try:
            stop_request.ask(self.tmp_dir, pid)
        except OSError:
            return False
        return True

    def gone_within(self, timeout: float) -> bool:
        """Whether the attached Core stops answering within `timeout` seconds."""
        deadline = self.clock() + timeout
        while self.client(self.status.port).healthy():
            if self.clock() > deadline:
                return False
            time.sleep(0.1)
        return True

    def restart(self, port: int) -> Status:
        self.stop()
        return self.start(port)

    def detach(self) -> Status:
        """Leave Core running on its own (the launcher is closing); a later launcher finds it
        through ports.json and can stop it through the pid file."""
        self.process = None
        return self.status
