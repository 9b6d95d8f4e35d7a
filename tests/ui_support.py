"""The web UI in a real browser: headless Chromium (the system's, driven by Playwright) against
the real server with a temp home. One browser per test module; each test gets a fresh server, a
fresh browser context (cookies) and a `Ui` that fails the test on any console error, page error,
failed request or request to another host that the test did not expect.

Screenshots for the user guide are written to docs/screenshots/ when
FACEFORGE_UPDATE_SCREENSHOTS=1, else to the test's temp folder (so test runs do not dirty the
checkout). tests/conftest.py loads this module as a plugin, so its fixtures reach every test.
"""

import contextlib
import os
import re
import struct
import zlib
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, wait_until

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None  # the `browser` fixture skips, naming the missing package

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
IMAGES_IN_VIEW_LOADED = (
    "[...document.images].every((i) => i.complete || i.getBoundingClientRect().top > innerHeight)"
)


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (.ci/run installs the Debian chromium package)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Ui:
    """One browser tab on the UI of one server, recording everything that went wrong."""

    def __init__(self, context, server, shots: Path):
        self.context = context
        self.server = server
        self.shots = shots
        self.page = context.new_page()
        self.problems: list[str] = []
        self.error_responses: list[tuple[int, str, str]] = []
        self.allowed: list[tuple[int, str, re.Pattern]] = []
        self.reloading = False
        self.aborts_allowed = False
        page = self.page
        page.set_default_timeout(10_000)
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", self.on_request)
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)

    def on_console(self, message):
        # Chromium logs every 4xx/5xx as "Failed to load resource"; those are judged as
        # responses (expected or not), everything else logged as an error is a problem.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")

    def on_request(self, request):
        url = request.url
        if not url.startswith((self.server.url + "/", "data:", "blob:")):
            self.problems.append(f"request left the server: {url}")

    def on_request_failed(self, request):
        aborted = request.failure == "net::ERR_ABORTED"
        if not (aborted and (self.reloading or self.aborts_allowed)):
            self.problems.append(
                f"request failed: {request.method} {request.url} {request.failure}"
            )

    def on_response(self, response):
        if response.status >= 400:
            path = response.url[len(self.server.url) :]
            self.error_responses.append((response.status, response.request.method, path))

    def allow(self, status: int, method: str, path_pattern: str) -> None:
        """Declare an error response this test provokes on purpose."""
        self.allowed.append((status, method, re.compile(path_pattern)))

    def unexpected(self) -> list[str]:
        found = list(self.problems)
        for status, method, path in self.error_responses:
            if not any(
                status == allowed_status and method == allowed_method and pattern.search(path)
                for allowed_status, allowed_method, pattern in self.allowed
            ):
                found.append(f"unexpected {status} on {method} {path}")
        return found

    def login(self) -> None:
        reply = self.context.request.post(
            self.server.url + "/ui/login", data={"token": self.server.token}
        )
        assert reply.ok, reply.text()

    def open(self, address: str = "#/entities") -> None:
        self.page.goto(f"{self.server.url}/ui/{address}")

    def visit(self, address: str, heading: str | None = None):
        """Log in, open `address`, wait for its heading; the page."""
        self.login()
        self.open(address)
        if heading:
            self.heading(heading)
        return self.page

    def dialog_from(self, button: str):
        """Press a button that opens a dialog; the dialog."""
        self.page.get_by_role("button", name=button).click()
        return self.page.get_by_role("dialog")

    def reload(self) -> None:
        self.reloading = True
        self.page.reload()
        self.reloading = False

    def heading(self, text: str):
        return expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def notice(self, text: str):
        expect(self.page.locator("#notices")).to_contain_text(text)

    def settle(self) -> None:
        """Wait until the screen shows what it loads: no "Loading…" left, the images in view
        decoded (lazy images further down, in table rows not rendered yet, never load)."""
        expect(self.page.locator("body")).not_to_contain_text("Loading…")
        # (wait_for_function evaluates a string, which the UI's CSP rightly refuses)
        wait_until(lambda: self.page.evaluate(IMAGES_IN_VIEW_LOADED))

    def slow_uploads(self, bytes_per_second: int) -> None:
        """Throttle what the tab sends, so an upload stays in flight long enough to watch."""
        network = self.context.new_cdp_session(self.page)
        network.send("Network.enable")
        slow = {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        }
        network.send("Network.emulateNetworkConditions", slow)

    def screenshot(self, name: str) -> None:
        """The page as a person sees it once everything loaded (passing messages removed)."""
        self.settle()
        self.page.evaluate("document.getElementById('notices').replaceChildren()")
        self.page.screenshot(path=str(self.shots / name))


def screenshot_folder(tmp_path: Path) -> Path:
    """docs/screenshots/ when asked to update them, else the test's own temp folder."""
    folder = SCREENSHOTS if os.environ.get("FACEFORGE_UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def ui_on(browser, server, tmp_path):
    """A `Ui` on `server` in a fresh browser context; fails on what went wrong, once done."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = Ui(context, server, screenshot_folder(tmp_path))
    try:
        yield tab
        problems = tab.unexpected()
    finally:
        context.close()
    assert problems == []


@pytest.fixture
def ui(browser, server, tmp_path):
    with ui_on(browser, server, tmp_path) as tab:
        yield tab


def png_bytes(width: int, height: int, blue: int = 160) -> bytes:
    """A real (uncompressed, so big) PNG: a colour gradient, so previews show a picture."""
    rows = b"".join(
        b"\x00"
        + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, blue))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def table_rows(ui):
    return ui.page.locator("main table tbody tr")


def create_entity(server, name: str, **extra) -> dict:
    return server.client.post("/v1/entities", {"display_name": name, **extra}).data


def upload(server, body: bytes, **query) -> dict:
    headers = {"Content-Type": "application/octet-stream"}
    reply = server.client.post("/v1/assets/upload", body=body, headers=headers, query=query)
    return reply.data
