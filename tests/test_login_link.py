"""One-time login links (POST /v1/ui/login-link) and `python faceforge.py open`."""

import sys
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from faceforge import login_links
from faceforge.clock import parse_time
from tests.support import (
    Client,
    ServerProcess,
    faceforge_command,
    install_token,
    log_once_it_holds,
    run_cli,
)


def link_target(url: str) -> str:
    """The path and query of a link, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def new_link(server) -> dict:
    reply = server.client.post("/v1/ui/login-link", {})
    assert reply.status == 200
    return reply.data


def test_link_is_an_absolute_url_on_the_requested_host_valid_for_a_minute(server):
    before = datetime.now(UTC)
    link = new_link(server)
    assert set(link) == {"url", "expires_at"}
    assert link["url"].startswith(f"http://127.0.0.1:{server.port}/ui/login-link?code=")
    lifetime = parse_time(link["expires_at"]) - before
    assert timedelta(seconds=59) < lifetime <= timedelta(seconds=61)


def test_opening_the_link_sets_the_login_cookie_and_redirects_to_the_ui(server):
    reply = server.anonymous.get(link_target(new_link(server)["url"]))
    assert reply.status == 302
    assert reply.headers["Location"] == "/ui/"
    assert reply.headers["Cache-Control"] == "no-store"
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith(f"ff_token={server.token};")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie
    logged_in = server.anonymous.get("/v1/ping", headers={"Cookie": f"ff_token={server.token}"})
    assert logged_in.data == {"pong": True}


def test_a_link_works_only_once(server):
    target = link_target(new_link(server)["url"])
    assert server.anonymous.get(target).status == 302
    again = server.anonymous.get(target)
    assert again.status == 401
    assert again.error["code"] == "unauthorized"
    assert "already used" in again.error["message"]
    assert again.headers["Set-Cookie"] is None


def test_a_head_request_does_not_use_up_the_link(server):
    target = link_target(new_link(server)["url"])
    probe = server.anonymous.request("HEAD", target)
    assert probe.status == 401
    assert probe.headers["Set-Cookie"] is None
    assert server.anonymous.get(target).status == 302


def test_two_browsers_racing_for_one_link_cannot_both_win(server):
    target = link_target(new_link(server)["url"])
    statuses = []
    threads = [
        threading.Thread(target=lambda: statuses.append(server.anonymous.get(target).status))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 401, 401, 401, 401, 401]


def test_an_expired_link_is_refused(server):
    made_a_minute_ago = datetime.now(UTC) - timedelta(seconds=61)
    secret, _ = login_links.create(server.services.db, made_a_minute_ago)
    reply = server.anonymous.get(f"/ui/login-link?code={secret}")
    assert reply.status == 401
    assert reply.headers["Set-Cookie"] is None


def test_unknown_empty_or_missing_codes_are_refused(server):
    for target in ("/ui/login-link?code=guess", "/ui/login-link?code=", "/ui/login-link"):
        reply = server.anonymous.get(target)
        assert reply.status == 401, target
        assert reply.headers["Set-Cookie"] is None


def test_making_a_link_needs_the_token(server):
    reply = server.anonymous.post("/v1/ui/login-link", {})
    assert reply.status == 401
    assert reply.error["message"] == "Missing token"


def test_links_are_stored_only_as_hashes_and_swept_when_expired(server):
    stale_secret, _ = login_links.create(
        server.services.db, datetime.now(UTC) - timedelta(minutes=5)
    )
    fresh_secret = urlsplit(new_link(server)["url"]).query.removeprefix("code=")
    with server.services.db.read() as conn:
        rows = [tuple(row) for row in conn.execute("SELECT * FROM ui_login_links")]
    assert len(rows) == 1, "the expired link was swept when the new one was made"
    assert rows[0][0] == login_links.secret_hash(fresh_secret)
    assert fresh_secret not in repr(rows) and stale_secret not in repr(rows)


def test_the_link_secret_never_reaches_the_log(server):
    secret = urlsplit(new_link(server)["url"]).query.removeprefix("code=")
    server.anonymous.get(f"/ui/login-link?code={secret}")
    server.anonymous.get(f"/ui/login-link?code={secret}")
    log_text = log_once_it_holds(server, "/ui/login-link?code=%2A%2A%2A 401")
    assert "/ui/login-link?code=%2A%2A%2A 302" in log_text
    assert secret not in log_text


def recording_browser(tmp_path) -> tuple[dict, object]:
    """A BROWSER command (honoured by the webbrowser module) that writes the URL to a file."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "browser.py"
    script.write_text(
        f"import sys, pathlib; pathlib.Path({str(record)!r}).write_text(sys.argv[1])\n",
        encoding="utf-8",
    )
    return {"BROWSER": f"{sys.executable} {script} %s"}, record


def test_open_command_logs_the_default_browser_in(home, tmp_path):
    server = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        browser_env, record = recording_browser(tmp_path)
        opened = run_cli("open", home=home, env_extra=browser_env)
        assert opened.returncode == 0, opened.stderr
        assert opened.stdout == f"opened http://127.0.0.1:{server.port}/ui/ in your browser\n"
        url = record.read_text(encoding="utf-8")
        assert url.startswith(f"http://127.0.0.1:{server.port}/ui/login-link?code=")
        assert url not in opened.stdout, "the secret is not printed when a browser opened it"
        token = install_token(home)
        browser = Client("127.0.0.1", server.port)
        first = browser.get(link_target(url))
        assert first.status == 302
        assert first.headers["Set-Cookie"].startswith(f"ff_token={token};")
    finally:
        assert server.terminate() == 0


def test_open_print_prints_a_working_link(home):
    server = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        printed = run_cli("open", "--print", home=home)
        assert printed.returncode == 0, printed.stderr
        reply = Client("127.0.0.1", server.port).get(link_target(printed.stdout.strip()))
        assert reply.status == 302
    finally:
        assert server.terminate() == 0


def test_open_without_a_running_server_says_so_in_one_line(home):
    finished = run_cli("open", home=home)
    assert finished.returncode == 1
    assert finished.stdout == ""
    assert finished.stderr.startswith("faceforge: FaceForge is not running for ")
    assert finished.stderr.count("\n") == 1
