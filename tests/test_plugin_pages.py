"""API.md §12 plugin pages: the files of an enabled plugin's folder at /ui/plugins/<id>/...,
typed, behind the session like the API, and never a byte from outside the folder."""

from pathlib import Path

import pytest

from tests.plugin_support import minimal_manifest, write_plugin
from tests.ui_support import png_bytes

PAGES = {
    "ui/index.html": (b"<!doctype html><title>Pages</title>", "text/html; charset=utf-8"),
    "ui/app.js": (b"console.log(1);", "text/javascript; charset=utf-8"),
    "ui/style.css": (b"p { color: red }", "text/css; charset=utf-8"),
    "ui/data.json": (b'{"a": 1}', "application/json; charset=utf-8"),
    "ui/logo.png": (png_bytes(2, 2), "image/png"),
    "panel.html": (b"<!doctype html><title>Panel</title>", "text/html; charset=utf-8"),
}
ENTRYPOINTS = {"ui": "ui/index.html", "entity_panel": "panel.html"}
SECRET = b"outside the plugin folder"


def symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=target.is_dir())
    except OSError as error:  # Windows without the right to create symlinks
        pytest.skip(f"cannot create a symlink here: {error}")


def install_pages(server, plugin_id: str = "pages") -> Path:
    """A plugin with a page of each type, enabled, and a secret beside the plugins folder."""
    folder = server.home / "plugins" / plugin_id
    for name, (body, _) in PAGES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    write_plugin(server.home, plugin_id, minimal_manifest(plugin_id, entrypoints=ENTRYPOINTS))
    (server.home / "secret.txt").write_bytes(SECRET)
    assert server.client.post(f"/v1/plugins/{plugin_id}/enable").data["error"] is None
    return folder


@pytest.mark.parametrize("name", PAGES)
def test_a_page_is_served_with_its_type_nosniff_and_no_cache(server, name):
    install_pages(server)
    reply = server.client.get(f"/ui/plugins/pages/{name}")
    body, content_type = PAGES[name]
    assert (reply.status, reply.body) == (200, body)
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert reply.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_the_session_cookie_opens_a_page_and_nothing_else_does(server):
    install_pages(server)
    path = "/ui/plugins/pages/ui/index.html"
    cookie = server.anonymous.get(path, headers={"Cookie": f"ff_token={server.token}"})
    assert (cookie.status, cookie.body) == (200, PAGES["ui/index.html"][0])
    missing = server.anonymous.get(path)
    assert (missing.status, missing.error["message"]) == (401, "Missing token")
    wrong = server.anonymous.get(path, headers={"Cookie": "ff_token=not-the-token"})
    assert (wrong.status, wrong.error["message"]) == (401, "Invalid token")


ESCAPES = [
    "../../secret.txt",
    "ui/../../../secret.txt",
    "%2e%2e/%2e%2e/secret.txt",
    "%2E%2E/%2E%2E/secret.txt",
    "..%2f..%2fsecret.txt",
    "..%5c..%5csecret.txt",
    "..\\..\\secret.txt",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "ui/index.html%00.png",
    "ui/%00",
    "./plugin.json",
    ".hidden",
    "ui",
    "link-to-passwd",
    "link-to-etc/passwd",
    "link-to-secret",
    "no-such-file.html",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_a_path_that_leaves_the_folder_or_names_no_file_is_404(server, path):
    folder = install_pages(server)
    (folder / ".hidden").write_bytes(SECRET)
    symlink(folder / "link-to-passwd", Path("/etc/passwd"))
    symlink(folder / "link-to-etc", Path("/etc"))
    symlink(folder / "link-to-secret", server.home / "secret.txt")
    assert server.client.get("/ui/plugins/pages/ui/index.html").status == 200
    reply = server.client.get(f"/ui/plugins/pages/{path}")
    assert reply.status == 404, reply.body[:200]
    assert reply.error["code"] == "not_found"
    assert SECRET not in reply.body and b"root:" not in reply.body


def test_a_symlink_that_stays_inside_the_folder_is_served(server):
    folder = install_pages(server)
    symlink(folder / "alias.html", folder / "ui" / "index.html")
    reply = server.client.get("/ui/plugins/pages/alias.html")
    assert (reply.status, reply.body) == (200, PAGES["ui/index.html"][0])


def test_only_an_enabled_plugin_with_a_usable_manifest_has_pages(server):
    install_pages(server)
    path = "/ui/plugins/pages/ui/index.html"
    assert server.client.post("/v1/plugins/pages/disable").status == 200
    assert server.client.get(path).status == 404
    assert server.client.post("/v1/plugins/pages/enable").status == 200
    assert server.client.get(path).status == 200
    write_plugin(server.home, "pages", "{broken")
    assert server.client.get(path).status == 404
    assert server.client.get("/ui/plugins/nobody/ui/index.html").status == 404
    assert server.client.get("/ui/plugins/NOT..an..id/ui/index.html").status == 404
    write_plugin(server.home, "quiet", minimal_manifest("quiet"))
    (server.home / "plugins" / "quiet" / "index.html").write_bytes(b"<p>never enabled")
    assert server.client.get("/ui/plugins/quiet/index.html").status == 404


BAD_PAGE_ENTRYPOINTS = [
    ("ui", "/etc/passwd"),
    ("ui", "../other/index.html"),
    ("ui", "ui\\index.html"),
    ("ui", "ui/missing.html"),
    ("ui", "ui"),
    ("ui", ""),
    ("ui", 5),
    ("entity_panel", ["panel.html"]),
    ("entity_panel", "link-out.html"),
]


@pytest.mark.parametrize(("key", "value"), BAD_PAGE_ENTRYPOINTS)
def test_a_page_entrypoint_outside_the_folder_lists_the_plugin_with_its_error(server, key, value):
    folder = server.home / "plugins" / "bad"
    (folder / "ui").mkdir(parents=True)
    (folder / "ui" / "index.html").write_bytes(b"<p>page")
    symlink(folder / "link-out.html", Path("/etc/passwd"))
    write_plugin(server.home, "bad", minimal_manifest("bad", entrypoints={key: value}))
    (plugin,) = server.client.get("/v1/plugins").data["items"]
    assert plugin["error"] == (
        f"entrypoints.{key} must be the relative path of a file inside the plugin's folder,"
        f" such as 'ui/index.html' (got {value!r})"
    )
    assert server.client.post("/v1/plugins/bad/enable").status == 409
