"""Supervised plugin runners (API.md §12): Core keeps each enabled plugin's `runner` running.

One `Supervisor` per plugin with a runner, each a thread that starts the command in the
plugin's folder, copies its output into `logs/plugins/<plugin_id>.log` (rotating), waits for
it to end and starts it again after a backoff of 1, 2, 4 … 60 s. A runner that keeps ending
within `QUICK_EXIT_SECONDS` is given up (`failed`) after `MAX_QUICK_EXITS` tries, so a broken
command never becomes a busy loop. Each start gets a fresh API key (`FACEFORGE_TOKEN`) and the
key of the previous start is deleted.

Stopping is terminate, then kill after `STOP_GRACE_SECONDS` (on Windows, terminate is already
a hard kill: TerminateProcess). A Core killed with -9 cannot stop its runners; they carry
`HOME_VARIABLE` in their environment, and `reap_strays` at the next start kills what a server
of this home left behind, as for ExifTool.
"""

import codecs
import contextlib
import logging
import logging.handlers
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from faceforge import api_keys, clock, plugins, processes

log = logging.getLogger("faceforge.runners")

HOME_VARIABLE = "FACEFORGE_RUNNER_HOME"
STOP_GRACE_SECONDS = 5
# How long the output of a runner that ended is still copied to its log. On Windows a process
# the runner started outlives it and may hold its output open; the copy goes on in the
# background then, and the supervisor carries on.
OUTPUT_DRAIN_SECONDS = 5
QUICK_EXIT_SECONDS = 10
MAX_QUICK_EXITS = 5
MAX_BACKOFF_SECONDS = 60
LOG_MAX_BYTES = 1 * 2**20
LOG_BACKUPS = 2
READ_BYTES = 64 * 1024
MAX_TAIL_LINES = 1000
# The manifest's permissions that are scopes of the runner's key; others are ignored (and the
# runner's log says so). The key always gets runner:<plugin_id> as well.
PERMISSION_SCOPES = frozenset(api_keys.SCOPES)
# A command starting with one of these runs with Core's own interpreter, so `python` works
# on every platform (Windows has no `python3`, many Linux systems no `python`).
PYTHON_NAMES = frozenset({"python", "python3"})


def backoff_seconds(quick_exits: int) -> int:
    """1, 2, 4 … 60 s before the next start after this many quick exits in a row."""
    return min(2 ** max(0, quick_exits - 1), MAX_BACKOFF_SECONDS)


def key_scopes(plugin_id: str, permissions: list[str]) -> list[str]:
    scopes = [permission for permission in permissions if permission in PERMISSION_SCOPES]
    return [*scopes, f"{api_keys.RUNNER_PREFIX}{plugin_id}"]


def command_line(command: list[str]) -> list[str]:
    return [sys.executable, *command[1:]] if command[0] in PYTHON_NAMES else list(command)


def log_path(logs_dir: Path, plugin_id: str) -> Path:
    return logs_dir / "plugins" / f"{plugin_id}.log"


def tail(logs_dir: Path, plugin_id: str, lines: int) -> list[str]:
    """The last `lines` lines of the runner's current log file (reading at most its end)."""
    path = log_path(logs_dir, plugin_id)
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - lines * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]


def open_log(logs_dir: Path, plugin_id: str) -> logging.Handler:
    """The rotating log file of one runner; records are written as given (raw output)."""
    path = log_path(logs_dir, plugin_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.terminator = ""
    return handler


def write_log(handler: logging.Handler, text: str) -> None:
    handler.handle(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))


def copy_output(pipe, handler: logging.Handler) -> None:
    """Copy the child's output to its log in pieces of at most READ_BYTES, so a runner that
    floods its output (even without a newline) costs bounded memory."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with contextlib.suppress(OSError, ValueError):
        while chunk := pipe.read1(READ_BYTES):
            write_log(handler, decoder.decode(chunk))
    with contextlib.suppress(OSError):
        pipe.close()


class Supervisor:
    """Keeps one plugin's runner running until `stop()`."""

    def __init__(self, runners: "Runners", manifest: plugins.Manifest):
        self.runners = runners
        self.plugin_id = manifest.plugin_id
        self.folder = runners.plugins_dir / manifest.folder
        self.spec = manifest.document["runner"]
        self.permissions = manifest.document.get("permissions", [])
        self.state = "starting"
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.last_exit_code: int | None = None
        self.started_at: str | None = None
        self.key_name = f"runner {self.plugin_id}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"runner-{self.plugin_id}", daemon=True
        )

    def start(self) -> "Supervisor":
        self._thread.start()
        return self

    def status(self) -> dict:
        return {
            "state": self.state,
            "pid": self.process.pid if self.state == "running" and self.process else None,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit_code,
            "started_at": self.started_at,
        }

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is not None:
            processes.stop_group(process, STOP_GRACE_SECONDS)
        self._thread.join()
        self.state = "stopped"

    def _run(self) -> None:
        handler = open_log(self.runners.logs_dir, self.plugin_id)
        try:
            self._supervise(handler)
        except Exception:  # a supervisor that breaks shows it, rather than "starting" forever
            log.exception("the supervisor of plugin %s's runner stopped", self.plugin_id)
            self.state = "failed"
        finally:
            self._delete_key()
            handler.close()

    def _supervise(self, handler: logging.Handler) -> None:
        quick_exits = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            exit_code = self._run_once(handler)
            if self._stopping.is_set():
                return
            if exit_code == 0 and self.spec.get("restart", "on-failure") == "on-failure":
                self.state = "stopped"
                return
            quick_exits = quick_exits + 1 if time.monotonic() - began < QUICK_EXIT_SECONDS else 1
            if quick_exits >= MAX_QUICK_EXITS:
                self.state = "failed"
                write_log(handler, f"[faceforge] gave up after {quick_exits} quick exits\n")
                return
            delay = backoff_seconds(quick_exits)
            self.state = "backoff"
            write_log(handler, f"[faceforge] starting again in {delay} s\n")
            if self._stopping.wait(delay):
                return
            self.restarts += 1

    def _run_once(self, handler: logging.Handler) -> int | None:
        """Start the command, copy its output until it ends; its exit code (None: no start)."""
        self.state = "starting"
        environment = {
            **os.environ,
            "FACEFORGE_URL": self.runners.url,
            "FACEFORGE_PLUGIN_ID": self.plugin_id,
            "FACEFORGE_TOKEN": self._new_key(handler),
            HOME_VARIABLE: str(self.runners.home_root),
        }
        command = command_line(self.spec["command"])
        write_log(handler, f"[faceforge] starting {command} in {self.folder}\n")
        try:
            process = subprocess.Popen(
                command,
                cwd=self.folder,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                **processes.OWN_GROUP,
            )
        except OSError as error:
            write_log(handler, f"[faceforge] cannot start {command[0]}: {error.strerror}\n")
            self.last_exit_code = None
            return None
        self.process = process
        if self._stopping.is_set():  # stop() came while the process was being started
            processes.stop_group(process, STOP_GRACE_SECONDS)
        self.started_at = clock.now()
        self.state = "running"
        copier = threading.Thread(target=copy_output, args=(process.stdout, handler), daemon=True)
        copier.start()
        self.last_exit_code = process.wait()
        # What the runner started and left behind goes with it, and with it the last holder
        # of the output pipe: the copier then reads to the end.
        processes.stop_group(process, 0)
        copier.join(OUTPUT_DRAIN_SECONDS)
        write_log(handler, f"[faceforge] exited with code {self.last_exit_code}\n")
        return self.last_exit_code

    def _new_key(self, handler: logging.Handler) -> str:
        """A fresh key for this start, replacing the one of the previous start (also one a
        killed Core left behind: they share the key's name)."""
        ignored = [p for p in self.permissions if p not in PERMISSION_SCOPES]
        if ignored:
            write_log(handler, f"[faceforge] permissions without a scope, ignored: {ignored}\n")
        scopes = key_scopes(self.plugin_id, self.permissions)
        return api_keys.replace_named_key(self.runners.db, self.key_name, scopes)["token"]

    def _delete_key(self) -> None:
        api_keys.delete_named_keys(self.runners.db, self.key_name)


class Runners:
    """The supervisors of the enabled plugins that declare a runner. Nothing starts before
    `serve_at(url)` (the server knows its address once it listens); `sync()` after every
    enable or disable starts and stops supervisors to match; `close()` stops them all."""

    def __init__(self, db, plugins_dir: Path, logs_dir: Path, home_root: Path):
        self.db = db
        self.plugins_dir = plugins_dir
        self.logs_dir = logs_dir
        self.home_root = home_root
        self.url: str | None = None
        self._supervisors: dict[str, Supervisor] = {}
        self._lock = threading.Lock()

    def serve_at(self, url: str) -> None:
        self.url = url
        self.sync()

    def wanted(self) -> dict[str, plugins.Manifest]:
        """The manifests of the enabled, usable plugins that declare a runner."""
        enabled = plugins.enabled_manifests(self.db, self.plugins_dir)
        return {m.plugin_id: m for m in enabled if "runner" in m.document}

    def sync(self) -> None:
        if self.url is None:
            return
        with self._lock:
            wanted = self.wanted()
            for plugin_id in [p for p in self._supervisors if p not in wanted]:
                self._supervisors.pop(plugin_id).stop()
            for plugin_id, manifest in wanted.items():
                if plugin_id not in self._supervisors:
                    self._supervisors[plugin_id] = Supervisor(self, manifest).start()

    def restart(self, plugin_id: str) -> None:
        """Stop the runner (if it runs) and start it afresh, its failures forgotten."""
        with self._lock:
            supervisor = self._supervisors.pop(plugin_id, None)
            if supervisor is not None:
                supervisor.stop()
        self.sync()

    def status(self, plugin_id: str) -> dict | None:
        supervisor = self._supervisors.get(plugin_id)
        return supervisor.status() if supervisor is not None else None

    def close(self) -> None:
        with self._lock:
            self.url = None
            for supervisor in self._supervisors.values():
                supervisor.stop()
            self._supervisors.clear()


def reap_strays(home_root: Path) -> int:
    """Kill the runners a server of this home left behind when it died without stopping them
    (kill -9), known by HOME_VARIABLE in their environment. Returns how many were."""
    killed = processes.kill_strays(HOME_VARIABLE, home_root)
    if killed:
        log.warning("stopped %d plugin runners left running by an earlier server", killed)
    return killed
