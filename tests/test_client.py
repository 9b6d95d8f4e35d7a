"""The CLI talking to a running Core (faceforge/client.py): straight to it, never through a
proxy from the environment, and never importing beside a port where something else answers."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from faceforge.desktop.ports import pick_free_port

from tests.support import run_cli

PROXY_VARIABLES = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "all_proxy",
)


class RecordingHandler(BaseHTTPRequestHandler):
    """Records every request line and answers with the server's `reply_status` and a page of
    HTML, as a proxy or another web server would."""

    def answer(self) -> None:
        self.server.received.append(self.requestline)
        page = b"<html><body>Bad Gateway</body></html>"
        self.send_response(self.server.reply_status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = answer

    def log_message(self, *arguments) -> None:
        """Quiet: the test reads `received` instead."""


@pytest.fixture
def foreign_server():
    """An HTTP server on 127.0.0.1 that is not FaceForge; it answers 502 unless told otherwise."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    server.received = []
    server.reply_status = 502
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def proxy_environment(proxy: ThreadingHTTPServer) -> dict:
    """Every proxy variable pointing at `proxy`, with no exceptions for loopback."""
    proxy_url = f"http://127.0.0.1:{proxy.server_port}"
    return {**dict.fromkeys(PROXY_VARIABLES, proxy_url), "no_proxy": "", "NO_PROXY": ""}


def name_in_ports_json(home, port: int) -> None:
    """What a serving Core writes: the launcher and the CLI find it through this file."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "ports.json").write_text(json.dumps({"core": port}), encoding="utf-8")


def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"first photo")
    (folder / "b.jpg").write_bytes(b"second photo")
    return folder


def import_folder(folder, home, environ=None):
    return run_cli("import", str(folder), "--home", str(home), home=home, env_extra=environ)


def nothing_imported_into(server) -> bool:
    jobs = server.client.get("/v1/jobs").data["items"]
    return jobs == [] and server.client.get("/v1/assets").data["total"] == 0


def test_import_goes_straight_to_the_running_server_not_through_a_proxy(
    start_server, home, tmp_path, foreign_server
):
    server = start_server(home)
    name_in_ports_json(home, server.port)
    completed = import_folder(photo_folder(tmp_path), home, proxy_environment(foreign_server))
    assert foreign_server.received == [], "the proxy saw the install token"
    assert completed.returncode == 0, completed.stderr
    assert "in the running server" in completed.stderr
    assert completed.stdout == "Imported 2, already imported 0, errors 0, warnings 0\n"
    [job] = server.client.get("/v1/jobs").data["items"]
    assert (job["job_type"], job["status"]) == ("assets.bulk-import", "succeeded")


def test_open_goes_straight_to_the_running_server_not_through_a_proxy(
    start_server, home, foreign_server
):
    server = start_server(home)
    name_in_ports_json(home, server.port)
    proxied = proxy_environment(foreign_server)
    printed = run_cli("open", "--print", "--home", str(home), home=home, env_extra=proxied)
    assert foreign_server.received == [], "the proxy saw the install token"
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(f"http://127.0.0.1:{server.port}/ui/login-link?code=")


@pytest.mark.parametrize("reply_status", [200, 502])
def test_import_stops_in_one_line_when_another_program_answers_on_the_port(
    start_server, home, tmp_path, foreign_server, reply_status
):
    foreign_server.reply_status = reply_status
    name_in_ports_json(home, foreign_server.server_port)
    completed = import_folder(photo_folder(tmp_path), home)
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr == (
        f"faceforge: http://127.0.0.1:{foreign_server.server_port}/v1/ping answered"
        f" {reply_status}, not as FaceForge; nothing imported\n"
    )
    assert nothing_imported_into(start_server(home))


def test_import_stops_in_one_line_when_the_server_refuses_the_token(start_server, home, tmp_path):
    other_home_server = start_server()
    name_in_ports_json(home, other_home_server.port)
    completed = import_folder(photo_folder(tmp_path), home)
    assert completed.returncode == 1
    assert completed.stderr == (
        f"faceforge: the server at http://127.0.0.1:{other_home_server.port} refused this"
        " home's install token (Invalid token); nothing imported\n"
    )
    assert nothing_imported_into(other_home_server)
    assert nothing_imported_into(start_server(home))


def test_import_runs_in_process_when_nothing_listens_on_the_remembered_port(home, tmp_path):
    name_in_ports_json(home, pick_free_port(20700))
    completed = import_folder(photo_folder(tmp_path), home)
    assert completed.returncode == 0, completed.stderr
    assert "in this process" in completed.stderr
    assert completed.stdout == "Imported 2, already imported 0, errors 0, warnings 0\n"
