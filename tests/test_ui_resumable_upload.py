"""The web UI's uploads over tus (API.md §9) in a real browser against a real server: chunks of
the size the server advertises, a dropped connection retried by itself, and a reload resumed
from the server's offset when the same file is picked again."""

import hashlib
import random
import re

import pytest

from tests.support import wait_until
from tests.ui_support import expect

UPLOADS = "**/v1/uploads/**"


@pytest.fixture
def chunk_bytes(server) -> int:
    """The PATCH size the server advertises (and the UI therefore sends)."""
    reply = server.client.request("OPTIONS", "/v1/uploads", headers={"Tus-Resumable": "1.0.0"})
    return int(reply.headers["FaceForge-Chunk-Size"])


@pytest.fixture
def big_file(tmp_path, chunk_bytes):
    """Two and a bit chunks: three PATCHes."""
    path = tmp_path / "holiday.mp4"
    path.write_bytes(random.Random(13).randbytes(2 * chunk_bytes + 12345))
    return path


class Outage:
    """A route handler: lets `working` PATCHes through, then fails every request of the uploads
    until the test removes the route (the network is back)."""

    def __init__(self, working: int):
        self.working = working

    def handle(self, route):
        if self.working == 0:
            return route.abort("aborted")
        if route.request.method == "PATCH":
            self.working -= 1
        return route.continue_()


def patch_offsets(page) -> list[int]:
    """The `Upload-Offset` of every PATCH the page sends from now on (a list that grows)."""
    offsets: list[int] = []

    def record(request):
        if request.method == "PATCH":
            offsets.append(int(request.headers["upload-offset"]))

    page.on("request", record)
    return offsets


def assert_stored_intact(server, path) -> None:
    """The asset has exactly the file's bytes (its id is their SHA-256), no upload is left."""
    asset_id = hashlib.sha256(path.read_bytes()).hexdigest()
    asset = server.client.get(f"/v1/assets/{asset_id}").data
    assert (asset["filename"], asset["byte_size"]) == (path.name, path.stat().st_size)
    assert server.client.get("/v1/uploads").data["items"] == []


def test_an_upload_goes_in_chunks_and_retries_by_itself_after_the_network_drops(
    ui, big_file, chunk_bytes
):
    page = ui.visit("#/assets", "Assets")
    offsets = patch_offsets(page)
    page.route(UPLOADS, Outage(working=1).handle)
    ui.aborts_allowed = True  # the outage: requests failed by the route, on purpose
    page.get_by_label("Files to upload").set_input_files(str(big_file))

    item = page.locator(".upload-item")
    expect(item).to_have_class(re.compile(r"\bretrying\b"))
    expect(item.locator(".status")).to_contain_text("connection lost, retrying in")
    page.unroute(UPLOADS)
    expect(item).to_have_class(re.compile(r"\bdone\b"), timeout=30_000)

    assert_stored_intact(ui.server, big_file)
    assert sorted(set(offsets)) == list(range(0, big_file.stat().st_size, chunk_bytes))
    assert offsets.count(chunk_bytes) >= 2  # the chunk that met the outage, sent again


def test_after_a_reload_the_same_file_picked_again_resumes_where_the_server_stopped(
    ui, big_file, chunk_bytes
):
    page = ui.visit("#/assets", "Assets")
    ui.slow_uploads(chunk_bytes // 2)  # a chunk every two seconds
    page.get_by_label("Files to upload").set_input_files(str(big_file))
    status = page.locator(".upload-item .status")
    expect(status).to_contain_text(re.compile(r"MB/s · \d+ s left$"))
    ui.screenshot("ui-upload-progress.png")

    def a_chunk_stored():
        items = ui.server.client.get("/v1/uploads").data["items"]
        return items and items[0]["upload_offset"] >= chunk_bytes and items[0]

    upload_id = wait_until(a_chunk_stored, timeout=30)["upload_id"]
    ui.reload()
    ui.heading("Assets")
    unfinished = page.locator(".unfinished-uploads")
    expect(unfinished).to_contain_text("holiday.mp4")
    expect(unfinished).to_contain_text("pick the file again to resume")
    stored = ui.server.client.get(f"/v1/uploads/{upload_id}").data
    assert chunk_bytes <= stored["upload_offset"] < big_file.stat().st_size

    offsets = patch_offsets(page)
    page.get_by_label("Files to upload").set_input_files(str(big_file))
    expect(page.locator(".upload-item.done")).to_have_count(1, timeout=30_000)
    assert offsets[0] == stored["upload_offset"]
    assert_stored_intact(ui.server, big_file)
    expect(unfinished).to_be_hidden()
