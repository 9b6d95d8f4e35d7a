"""Test helpers: a small HTTP client that never raises on 4xx/5xx, and a live server."""

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from faceforge import runtime
from faceforge.server import Server

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def data(self):
        """The envelope's payload of a successful reply (asserting the envelope shape)."""
        document = self.json()
        assert document["ok"] is True and document["error"] is None, document
        return document["data"]

    @property
    def error(self):
        """The error object of an error envelope (asserting the envelope shape)."""
        document = self.json()
        assert document["ok"] is False and document["data"] is None, document
        assert set(document["error"]) == {"code", "message", "details"}, document
        return document["error"]


@dataclass
class Client:
    """Talks HTTP to one server; sends the token unless told not to."""

    host: str
    port: int
    token: str | None = None
    default_headers: dict = field(default_factory=dict)

    def request(
        self, method, path, *, body=None, json_body=None, headers=None, token=True, query=None
    ) -> Response:
        all_headers = dict(self.default_headers)
        if token and self.token:
            all_headers["X-FaceForge-Token"] = self.token
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if query:
            path = f"{path}?{urllib.parse.urlencode(query)}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            reply = connection.getresponse()
            return Response(reply.status, reply.headers, reply.read())
        finally:
            connection.close()

    def get(self, path, **options) -> Response:
        return self.request("GET", path, **options)

    def post(self, path, json_body=None, **options) -> Response:
        return self.request("POST", path, json_body=json_body, **options)

    def patch(self, path, json_body=None, **options) -> Response:
        return self.request("PATCH", path, json_body=json_body, **options)

    def put(self, path, json_body=None, **options) -> Response:
        return self.request("PUT", path, json_body=json_body, **options)

    def delete(self, path, **options) -> Response:
        return self.request("DELETE", path, **options)


class LiveServer:
    """The real app, built exactly as the CLI builds it, served by Waitress on 127.0.0.1:0."""

    def __init__(self, home: Path, environ: dict | None = None):
        self.home = home
        self.config = runtime.prepare(home, environ or {})
        self.app = runtime.build_app(self.config)
        self.server = Server(self.app, "127.0.0.1", 0, self.config)
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        self.port = self.server.port
        self.url = self.server.url
        self.token = self.config["auth.install_token"]
        self.client = Client("127.0.0.1", self.port, self.token)
        self.anonymous = Client("127.0.0.1", self.port)

    @property
    def services(self):
        return self.app.services

    def close(self) -> None:
        self.server.stop()
        self.thread.join(timeout=10)
        self.app.services.close()


def install_token(home: Path) -> str:
    """The token a server started on `home` answers to."""
    return json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]


def write_core_json(home: Path, document: dict) -> Path:
    path = home / "config" / "core.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class ServerProcess:
    """`python faceforge.py ...` (or a .pyz) as a real child process."""

    def __init__(self, command: list[str], home: Path, env_extra: dict | None = None, cwd=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
        env.update({"FACEFORGE_HOME": str(home), **(env_extra or {})})
        self.process = subprocess.Popen(
            command,
            cwd=cwd or REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.first_line = self.process.stdout.readline().strip()

    @property
    def port(self) -> int:
        return int(self.first_line.rsplit(":", 1)[1])

    def terminate(self, timeout: float = 10) -> int:
        return self.stop(timeout)[0]

    def stop(self, timeout: float = 10) -> tuple[int, str]:
        """SIGTERM; the exit code and what the process wrote to stderr (killed after
        `timeout` seconds, failing the test)."""
        self.process.send_signal(signal.SIGTERM)
        return self.ended(timeout)

    def ended(self, timeout: float) -> tuple[int, str]:
        """The exit code and stderr once the process ends (killed after `timeout` seconds,
        failing the test)."""
        try:
            _, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise
        return self.process.returncode, stderr


def faceforge_command(*args: str) -> list[str]:
    return [sys.executable, str(REPO_ROOT / "faceforge.py"), *args]


def run_cli(*args: str, home: Path, env_extra: dict | None = None, timeout: float = 60):
    """Run one CLI command to completion; returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update({"FACEFORGE_HOME": str(home), **(env_extra or {})})
    return subprocess.run(
        faceforge_command(*args),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def log_once_it_holds(server, expected: str) -> str:
    """The text of core.log once it holds `expected`: access-log lines are written by a
    batching thread, a moment after the reply has gone out."""
    log_path = server.config.home.log_path

    def holding():
        text = log_path.read_text(encoding="utf-8")
        return text if expected in text else None

    return wait_until(holding)


def run_bench(script: str, *arguments: str) -> str:
    """Run `bench/<script>` as the real script with its temp folder in a fresh folder of the
    system's temp folder (short: Chromium's socket path there must stay under 108 bytes, which
    a folder in pytest's per-worker tree overruns); its standard output, once it exited 0 and
    left that folder empty."""
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as folder:
        finished = subprocess.run(
            [sys.executable, str(REPO_ROOT / "bench" / script), *arguments],
            env={**os.environ, "TMPDIR": folder},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert finished.returncode == 0, finished.stderr
        assert list(Path(folder).iterdir()) == []  # the benchmark's temp folder is gone
    return finished.stdout
