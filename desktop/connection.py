"""Talking to a running Core over HTTP, and finding the one that serves a given home.

`http.client` rather than `urllib`: a proxy configured in the environment must never carry a
loopback request (or the token) anywhere.
"""

import http.client
import json
from dataclasses import dataclass
from pathlib import Path

from faceforge.home import layout

# Addresses that mean "every interface": Core is reached through loopback then.
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


class CoreUnavailable(Exception):
    """Core did not answer, or answered with an error; the message says which."""


def connect_host(bind_host: str) -> str:
    """Where to reach a Core bound to `bind_host` from this machine."""
    return ANY_ADDRESS.get(bind_host, bind_host)


@dataclass(frozen=True)
class CoreClient:
    host: str
    port: int
    token: str
    timeout: float = 2.0

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def request(self, method: str, path: str, token: bool = True) -> tuple[int, bytes]:
        headers = {"X-FaceForge-Token": self.token} if token else {}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(
                method, path, body=b"{}" if method == "POST" else None, headers=headers
            )
            reply = connection.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException) as error:
            raise CoreUnavailable(f"no answer from {self.base_url}: {error}") from None
        finally:
            connection.close()

    def healthy(self) -> bool:
        """True when /healthz answers `{"status": "ok"}`."""
        try:
            status, body = self.request("GET", "/healthz", token=False)
            return status == 200 and json.loads(body) == {"status": "ok"}
        except (CoreUnavailable, ValueError):
            return False

    def call(self, method: str, path: str) -> dict:
        """The `data` of a successful envelope; CoreUnavailable with Core's message otherwise."""
        status, body = self.request(method, path)
        try:
            envelope = json.loads(body)
        except ValueError:
            raise CoreUnavailable(f"{path} answered {status} without JSON") from None
        if status != 200 or not isinstance(envelope, dict) or not envelope.get("ok"):
            error = envelope.get("error") if isinstance(envelope, dict) else None
            message = error.get("message") if isinstance(error, dict) else f"status {status}"
            raise CoreUnavailable(f"{path}: {message}")
        return envelope["data"]

    def system_info(self) -> dict:
        return self.call("GET", "/v1/system/info")

    def create_login_link(self) -> dict:
        """`{"url", "expires_at"}`: opening `url` logs a browser in, once, within 60 s."""
        return self.call("POST", "/v1/ui/login-link")


def remembered_port(ports_json: Path) -> int | None:
    """The `core` port Core wrote into config/ports.json, if any."""
    try:
        port = json.loads(ports_json.read_text(encoding="utf-8")).get("core")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        return port
    return None


def serves_home(client: CoreClient, root: Path) -> bool:
    """True when the Core at `client` answers with this token and names this home folder."""
    try:
        info = client.system_info()
    except CoreUnavailable:
        return False
    return Path(info.get("faceforge_home", "")).resolve() == root.resolve()


def find_running(root: Path, bind_host: str, token: str, timeout: float = 2.0):
    """The CoreClient of the Core serving the home at `root` right now, or None.

    The port comes from config/ports.json; a Core counts only when /healthz answers and
    /v1/system/info (which needs this home's token) names this very home, so a stale
    ports.json or another program on that port is never mistaken for ours."""
    port = remembered_port(layout(root, {}).ports_json)
    if port is None or not token:
        return None
    client = CoreClient(connect_host(bind_host), port, token, timeout)
    if client.healthy() and serves_home(client, root):
        return client
    return None
