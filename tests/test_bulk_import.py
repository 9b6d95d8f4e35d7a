"""API.md §7 bulk import: checked at submit, files copied through the upload path, all four
sidecar spellings, dedupe, one log line per file, re-runs that add nothing, cancel."""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.assets_support import insert_entity, leftovers, settled, sha256, upload
from tests.bulk_import_support import (
    BROKEN,
    DEEP,
    NESTED,
    A,
    B,
    C,
    D,
    file_lines,
    make_tree,
    run_import,
    sidecars,
    wait_for_end,
)
from tests.conftest import require_tool
from tests.support import wait_until, write_core_json

EXPECTED_LINES = [
    ("Imported", "a.jpg"),
    ("Sidecar JSON skipped", "a.jpg_meta.json"),
    ("Imported", "b.png"),
    ("Sidecar JSON skipped", "b.png._meta.json"),
    ("Sidecar left out", "broken.gif"),
    ("Imported", "broken.gif"),
    ("Sidecar JSON skipped", "broken.gif_meta.json"),
    ("Imported", "c.txt"),
    ("Sidecar JSON skipped", "c_meta.json"),
    ("Sidecar JSON skipped", "d._meta.json"),
    ("Imported", "d.bin"),
    ("Skipped (already imported)", "dup-of-a.jpg"),
    ("Skipped empty file", "empty.dat"),
    ("Imported", "nested/x.txt"),
    ("Sidecar JSON skipped", "nested/x.txt_meta.json"),
    ("Sidecar JSON skipped", "nested/x_meta.json"),
    ("Imported", "nested/deeper/Ünïcødé 名前.png"),
]


def counts(root: Path, imported=0, skipped_existing=0, errors=0, warnings=0) -> dict:
    """A bulk import's result."""
    return {
        "path": str(root),
        "imported": imported,
        "skipped_existing": skipped_existing,
        "errors": errors,
        "warnings": warnings,
    }


def test_a_tree_is_imported_with_sidecars_one_log_line_per_file(server, tmp_path):
    root = make_tree(tmp_path / "photos")
    job = run_import(server.client, path=str(root))
    assert job["status"] == "succeeded"
    assert job["result"] == counts(root, imported=7, skipped_existing=1, warnings=1)
    assert job["progress_percent"] == 100
    lines = file_lines(server.client, job["job_id"])
    assert [(line["message"], line["data"]["file"]) for line in lines] == EXPECTED_LINES
    assert [line["data"]["done"] for line in lines] == [1, 2, 3, 4, 5, 5, *range(6, 17)]
    assert {line["data"]["total"] for line in lines} == {16}
    assert [line["level"] for line in lines].count("warning") == 1

    def asset(data: bytes) -> dict:
        return server.client.get(f"/v1/assets/{sha256(data)}").data

    assert sidecars(asset(A)) == [{"who": "a"}]
    assert sidecars(asset(B)) == [{"who": "b"}]
    assert sidecars(asset(C)) == [{"who": "c"}]
    assert sidecars(asset(D)) == [{"who": "d"}]
    assert sidecars(asset(NESTED)) == [{"who": "x, first spelling"}]
    assert sidecars(asset(DEEP)) == []
    assert sidecars(asset(BROKEN)) == []
    assert asset(A)["filename"] == "a.jpg"
    assert asset(DEEP)["filename"] == "Ünïcødé 名前.png"
    stored = leftovers(server)
    assert len(stored["rows"]) == 7
    assert len(stored["assets"]) == 7
    assert stored["tmp"] == []


def test_files_are_copied_never_linked(server, tmp_path):
    root = make_tree(tmp_path / "photos")
    run_import(server.client, path=str(root))
    stored = next(server.config.home.assets_dir.rglob(sha256(A)))
    assert stored.stat().st_ino != (root / "a.jpg").stat().st_ino
    assert stored.stat().st_nlink == 1
    assert (root / "a.jpg").read_bytes() == A


def test_bytes_met_twice_in_one_import_are_read_by_exiftool_once(server, tmp_path):
    require_tool("exiftool")
    root = tmp_path / "twins"
    root.mkdir()
    for index in range(8):
        (root / f"copy-{index}.txt").write_bytes(A)
    run_import(server.client, path=str(root))
    assert settled(server, sha256(A))["metadata_status"] == "done"
    updates = server.client.get("/v1/events", query={"type": "asset.updated"}).data["items"]
    assert [event["data"] for event in updates] == [
        {"fields": ["meta", "metadata_status"], "metadata_status": "done"}
    ]


def test_running_the_import_again_adds_nothing(server, tmp_path):
    root = make_tree(tmp_path / "photos")
    run_import(server.client, path=str(root))
    imported = (A, B, C, D, BROKEN, NESTED, DEEP)
    before = {data: settled(server, sha256(data)) for data in imported}
    events_before = server.client.get("/v1/events", query={"type": "asset."}).data["items"]
    again = run_import(server.client, path=str(root))
    assert again["result"] == counts(root, skipped_existing=8, warnings=1)
    for data, asset in before.items():
        assert server.client.get(f"/v1/assets/{sha256(data)}").data["meta"] == asset["meta"]
    events_after = server.client.get("/v1/events", query={"type": "asset."}).data["items"]
    assert events_after == events_before


def test_a_sidecar_is_attached_once_to_an_asset_that_was_already_there(server, tmp_path):
    assert upload(server.client, A, filename="uploaded.jpg").status == 200
    root = tmp_path / "later"
    root.mkdir()
    (root / "a.jpg").write_bytes(A)
    (root / "a_meta.json").write_text(json.dumps({"who": "late sidecar"}))
    first = run_import(server.client, path=str(root))
    assert first["result"]["skipped_existing"] == 1
    second = run_import(server.client, path=str(root))
    assert second["result"]["skipped_existing"] == 1
    asset = server.client.get(f"/v1/assets/{sha256(A)}").data
    assert asset["filename"] == "uploaded.jpg"
    assert sidecars(asset) == [{"who": "late sidecar"}]


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (b"{not json", "_meta.json must be valid JSON"),
        (b"\xff\xfe", "_meta.json must be UTF-8"),
        (b"null", "_meta.json must be non-empty"),
    ],
)
def test_a_broken_sidecar_is_left_out_and_attached_once_mended(server, tmp_path, broken, problem):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "broken.gif").write_bytes(BROKEN)
    (root / "broken.gif_meta.json").write_bytes(broken)
    first = run_import(server.client, path=str(root))
    assert first["result"] == counts(root, imported=1, warnings=1)
    [warning] = [
        line for line in file_lines(server.client, first["job_id"]) if line["level"] != "info"
    ]
    assert (warning["level"], warning["message"]) == ("warning", "Sidecar left out")
    assert warning["data"] == {
        "file": "broken.gif",
        "sidecar": "broken.gif_meta.json",
        "error": problem,
        "done": 1,
        "total": 2,
    }
    asset = server.client.get(f"/v1/assets/{sha256(BROKEN)}").data
    assert (asset["filename"], sidecars(asset)) == ("broken.gif", [])

    (root / "broken.gif_meta.json").write_text(json.dumps({"who": "mended"}))
    second = run_import(server.client, path=str(root))
    assert second["result"] == counts(root, skipped_existing=1)
    assert sidecars(server.client.get(f"/v1/assets/{sha256(BROKEN)}").data) == [{"who": "mended"}]


def test_kind_entity_and_role_apply_to_every_file(server, tmp_path):
    entity_id = insert_entity(server)
    root = make_tree(tmp_path / "photos")
    job = run_import(
        server.client,
        path=str(root),
        kind="photo",
        entity_id=entity_id,
        role="portrait",
        recursive=False,
    )
    assert job["result"]["imported"] == 5
    linked = server.client.get(f"/v1/entities/{entity_id}/assets", query={"limit": 50}).data
    assert sorted(item["filename"] for item in linked["items"]) == [
        "a.jpg",
        "b.png",
        "broken.gif",
        "c.txt",
        "d.bin",
    ]
    assert {(item["kind"], item["role"]) for item in linked["items"]} == {("photo", "portrait")}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "path"]),
        ({"path": ""}, ["body", "path"]),
        ({"path": 5}, ["body", "path"]),
        ({"path": "relative/folder"}, ["body", "path"]),
        ({"path": "/"}, ["body", "path"]),
        ({"path": "{root}/a.jpg"}, ["body", "path"]),
        ({"path": "{root}/missing"}, ["body", "path"]),
        ({"path": "{root}/nested/../../nowhere"}, ["body", "path"]),
        ({"path": "{home}/assets"}, ["body", "path"]),
        ({"path": "{root}", "recursive": "yes please"}, ["body", "recursive"]),
        ({"path": "{root}", "kind": " "}, ["body", "kind"]),
        ({"path": "{root}", "entity_id": "0" * 64}, ["body", "entity_id"]),
        ({"path": "{root}", "role": "friend"}, ["body", "role"]),
        ({"path": "{root}", "throttle_ms": -1}, ["body", "throttle_ms"]),
    ],
)
def test_bad_input_is_422_before_any_job_exists(server, tmp_path, body, loc):
    root = make_tree(tmp_path / "photos")
    places = {"root": str(root), "home": str(server.home)}
    body = {k: v.format(**places) if isinstance(v, str) else v for k, v in body.items()}
    for path, wrapped in (
        ("/v1/assets/bulk-import", body),
        ("/v1/jobs", {"job_type": "assets.bulk-import", "input": body}),
    ):
        reply = server.client.post(path, wrapped)
        assert reply.status == 422, (path, reply.body)
        expected = loc if path == "/v1/assets/bulk-import" else ["body", "input", *loc[1:]]
        assert reply.error["details"][0]["loc"] == expected
    assert server.client.get("/v1/jobs").data["total"] == 0


def test_the_path_is_resolved_before_it_is_checked_and_stored(server, tmp_path):
    root = make_tree(tmp_path / "photos")
    link = tmp_path / "link-to-photos"
    link.symlink_to(root, target_is_directory=True)
    job = server.client.post("/v1/assets/bulk-import", {"path": f"{link}/nested/.."}).data
    stored = server.client.get(f"/v1/jobs/{job['job_id']}").data
    assert stored["input"] == {
        "path": str(root),
        "recursive": True,
        "kind": "file",
        "entity_id": None,
        "role": None,
        "throttle_ms": 0,
    }


def test_symlinked_folders_are_not_followed(server, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "a.jpg").write_bytes(A)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "b.png").write_bytes(B)
    (root / "elsewhere").symlink_to(outside, target_is_directory=True)
    job = run_import(server.client, path=str(root))
    assert job["result"]["imported"] == 1


def test_a_cancel_stops_the_import_inside_a_large_file(server, tmp_path):
    root = tmp_path / "big"
    root.mkdir()
    with open(root / "huge.bin", "wb") as handle:
        handle.truncate(64 * 2**30)  # sparse: 64 GiB to read, nothing on disk
    job = server.client.post("/v1/assets/bulk-import", {"path": str(root)}).data
    wait_until(lambda: list(server.config.home.tmp_dir.iterdir()))
    server.client.post(f"/v1/jobs/{job['job_id']}/cancel")
    ended = wait_for_end(server.client, job["job_id"])
    assert ended["status"] == "canceled"
    assert ended["result"] == counts(root)
    assert leftovers(server) == {"assets": [], "tmp": [], "rows": []}
    messages = [
        line["message"] for line in server.client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    ]
    assert "Cancel requested" in messages
    assert messages[-1] == "Job canceled"
    assert not any(message.startswith("Import") for message in messages)


def test_a_failed_or_canceled_import_can_be_retried(server, tmp_path):
    root = make_tree(tmp_path / "photos")
    job = server.client.post(
        "/v1/assets/bulk-import", {"path": str(root), "throttle_ms": 60_000}
    ).data
    wait_until(lambda: server.client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "running")
    wait_until(lambda: file_lines(server.client, job["job_id"]))
    server.client.post(f"/v1/jobs/{job['job_id']}/cancel")
    canceled = wait_for_end(server.client, job["job_id"])
    assert canceled["status"] == "canceled"
    assert canceled["result"] == counts(root, imported=1), (
        "the counts of what was done before the cancel"
    )
    retried = server.client.post(f"/v1/jobs/{job['job_id']}/retry").data
    assert retried["input"]["throttle_ms"] == 60_000
    server.client.post(f"/v1/jobs/{retried['job_id']}/cancel")
    assert wait_for_end(server.client, retried["job_id"])["status"] == "canceled"


def test_the_folder_vanishing_before_the_job_runs_fails_the_job(start_server, home, tmp_path):
    write_core_json(home, {"jobs": {"workers": 1}})
    server = start_server(home)
    first = make_tree(tmp_path / "first")
    blocker = server.client.post(
        "/v1/assets/bulk-import", {"path": str(first), "throttle_ms": 60_000}
    ).data
    second = make_tree(tmp_path / "second")
    waiting = server.client.post("/v1/assets/bulk-import", {"path": str(second)}).data
    shutil.rmtree(second)
    server.client.post(f"/v1/jobs/{blocker['job_id']}/cancel")
    ended = wait_for_end(server.client, waiting["job_id"])
    assert ended["status"] == "failed"
    assert ended["error"] == {
        "code": "path_missing",
        "message": f"{second} is no longer a directory",
    }
    assert os.listdir(server.config.home.tmp_dir) == []
