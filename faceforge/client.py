"""Talking to a running Core over HTTP: the one client of the CLI (`import`, `open`), the
launcher and any later tool, and finding the Core that serves a home.

`http.client`, never `urllib.request`: urllib sends every request through the proxy named in
`http_proxy`/`HTTPS_PROXY`/`ALL_PROXY`, even one for 127.0.0.1, so a proxy set by a company
or by malware would receive the install token. `http.client` connects where it is told.
"""

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from faceforge.home import Home, layout

# Addresses that mean "every interface": Core is reached through loopback then.
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


class ClientError(Exception):
    """A call to Core gave no data; the message names the URL and what happened."""


class CoreUnreachable(ClientError):
    """Nothing listens at the URL (connection refused): no Core runs there."""


class CoreError(ClientError):
    """Something answered, but not as FaceForge: a reply that is not our envelope, a 5xx, a
    timeout or a dropped connection."""


class CoreRefused(ClientError):
    """Core answered with an error envelope (a 4xx): a refused token, a bad request. The
    message is Core's own."""

    def __init__(self, status: int, error: dict):
        super().__init__(error.get("message") or f"status {status}")
        self.status = status
        self.code = error.get("code")


def read_ports(home: Home) -> dict:
    """config/ports.json, where a serving Core notes its ports; {} when absent or unreadable."""
    try:
        ports = json.loads(home.ports_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return ports if isinstance(ports, dict) else {}


def remembered_port(home: Home) -> int | None:
    """The `core` port of config/ports.json, if it names a usable one."""
    port = read_ports(home).get("core")
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        return port
    return None


def connect_host(bind_host: str) -> str:
    """Where to reach a Core bound to `bind_host` from this machine."""
    return ANY_ADDRESS.get(bind_host, bind_host)


def http_url(host: str, port: int) -> str:
    """`http://host:port`, with an IPv6 address in brackets."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def locate(home: Home, bind_host: str) -> str | None:
    """The URL of this home's Core as config/ports.json names it, or None. Whether a Core
    still answers there is for the caller to find out."""
    port = remembered_port(home)
    return None if port is None else http_url(connect_host(bind_host), port)


def exchange(
    base_url: str, method: str, path: str, body=None, headers=None, timeout: float = 2.0
) -> tuple[int, bytes]:
    """One request straight to `base_url`, never through a proxy: (status, reply body).
    CoreUnreachable when nothing listens there, CoreError when the exchange breaks off."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, reply.read()
    except ConnectionRefusedError:
        raise CoreUnreachable(f"nothing listens at {base_url}") from None
    except TimeoutError:
        raise CoreError(f"no answer from {base_url} within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:
        raise CoreError(f"no usable answer from {base_url}: {error}") from None
    finally:
        connection.close()


@dataclass(frozen=True)
class CoreClient:
    base_url: str
    token: str = ""
    timeout: float = 2.0

    @property
    def port(self) -> int:
        return urlsplit(self.base_url).port

    def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        """(status, envelope) of any reply in FaceForge's envelope; CoreError otherwise."""
        headers = {"X-FaceForge-Token": self.token} if self.token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode("utf-8")
        status, reply = exchange(self.base_url, method, path, body, headers, self.timeout)
        try:
            envelope = json.loads(reply)
        except ValueError:
            envelope = None
        if not (isinstance(envelope, dict) and {"ok", "data", "error"} <= envelope.keys()):
            raise CoreError(f"{self.base_url}{path} answered {status}, not as FaceForge")
        return status, envelope

    def call(self, method: str, path: str, body=None):
        """The `data` of a successful reply; CoreRefused with Core's message for a 4xx."""
        status, envelope = self.request(method, path, body)
        if status >= 500:
            raise CoreError(f"{self.base_url}{path} answered {status}")
        if status != 200 or not envelope["ok"]:
            error = envelope["error"]
            raise CoreRefused(status, error if isinstance(error, dict) else {})
        return envelope["data"]

    def healthy(self) -> bool:
        """True when /healthz answers `{"status": "ok"}` (it needs no token)."""
        try:
            status, reply = exchange(self.base_url, "GET", "/healthz", timeout=self.timeout)
            return status == 200 and json.loads(reply) == {"status": "ok"}
        except (ClientError, ValueError):
            return False

    def system_info(self) -> dict:
        return self.call("GET", "/v1/system/info")

    def create_login_link(self) -> dict:
        """`{"url", "expires_at"}`: opening `url` logs a browser in, once, within 60 s."""
        return self.call("POST", "/v1/ui/login-link", {})


def serves_home(client: CoreClient, root: Path) -> bool:
    """True when the Core at `client` answers with this token and names this home folder."""
    try:
        info = client.system_info()
    except ClientError:
        return False
    return Path(info.get("faceforge_home", "")).resolve() == root.resolve()


def find_running(root: Path, bind_host: str, token: str, timeout: float = 2.0):
    """The CoreClient of the Core serving the home at `root` right now, or None.

    A Core counts only when /healthz answers and /v1/system/info (which needs this home's
    token) names this very home, so a stale ports.json or another program on that port is
    never mistaken for ours."""
    base_url = locate(layout(root, {}), bind_host)
    if base_url is None or not token:
        return None
    client = CoreClient(base_url, token, timeout)
    if client.healthy() and serves_home(client, root):
        return client
    return None
