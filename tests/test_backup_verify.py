"""`POST /v1/admin/backups/{name}/verify` → job `system.backup_verify` (API.md §11,
docs/backups.md): the same checks as `python faceforge.py verify`, with progress, a log line
per problem and `{ok, files_checked, problems}`; only a listed backup, by name, is accepted."""

import contextlib
import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.assets_support import upload_raw
from tests.backup_support import back_up, finished_job
from tests.support import wait_until, write_core_json


def verified(client, name: str) -> dict:
    reply = client.post(f"/v1/admin/backups/{name}/verify")
    assert reply.status == 200, reply.body
    assert reply.data["job_type"] == "system.backup_verify"
    return finished_job(client, reply.data["job_id"])


def test_a_whole_backup_verifies(server):
    upload_raw(server.client, b"a file to keep", "keep.txt")
    backup = back_up(server.client)["result"]
    job = verified(server.client, backup["name"])
    assert job["status"] == "succeeded"
    assert job["result"] == {"ok": True, "files_checked": 3, "problems": []}
    assert job["progress_percent"] == 100


def test_a_flipped_byte_is_named_in_the_result_and_the_log(server):
    asset_id = upload_raw(server.client, b"a file to damage", "damage.txt").data["asset_id"]
    backup = back_up(server.client)["result"]
    path = f"assets/files/{asset_id[:2]}/{asset_id}"
    stored = server.config.home.backups_dir / backup["name"] / path
    stored.write_bytes(b"A" + stored.read_bytes()[1:])
    job = verified(server.client, backup["name"])
    problem = f"{path}: content does not match its SHA-256 in the manifest"
    assert job["result"] == {"ok": False, "files_checked": 3, "problems": [problem]}
    log = server.client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    assert [line["data"] for line in log if line["level"] == "error"] == [{"problem": problem}]


@pytest.mark.parametrize("name", ["20200101T000000Z", "partial", "no manifest", "..", "x y"])
def test_only_a_listed_backup_by_name_is_verified(server, name):
    backup = back_up(server.client)["result"]
    backups_dir = server.config.home.backups_dir
    if name == "partial":
        name = f"{backup['name']}.partial"
        (backups_dir / name).mkdir()
    elif name == "no manifest":
        name = "20210101T000000Z"
        (backups_dir / name).mkdir()
    jobs_before = server.client.get("/v1/jobs").data["total"]
    reply = server.client.post(f"/v1/admin/backups/{quote(name)}/verify")
    assert reply.status == 404, reply.body
    assert reply.error["code"] == "not_found"
    assert reply.error["message"] == f"No complete backup named {name!r}"
    assert server.client.get("/v1/jobs").data["total"] == jobs_before


def test_the_job_api_refuses_a_path_for_a_name(server):
    back_up(server.client)
    body = {"job_type": "system.backup_verify", "input": {"name": "/etc"}}
    reply = server.client.post("/v1/jobs", body)
    assert reply.status == 404
    assert reply.error["message"] == "No complete backup named '/etc'"


EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def hold_on_a_named_pipe(backup: Path, path: str) -> Path:
    """Swap the file at `path` in `backup` for a named pipe its manifest calls empty: a verify
    that reaches it reads until the pipe's writer closes it (and then passes)."""
    os.unlink(backup / path)
    os.mkfifo(backup / path)
    document = json.loads((backup / "MANIFEST.json").read_text(encoding="utf-8"))
    for entry in document["files"]:
        if entry["path"] == path:
            entry.update(byte_size=0, sha256=EMPTY_SHA256)
    (backup / "MANIFEST.json").write_text(json.dumps(document), encoding="utf-8")
    return backup / path


def writer_once_read(pipe: Path) -> int:
    """The pipe's write end, opened once a reader has it open (until then opening fails)."""

    def opened():
        with contextlib.suppress(OSError):
            return os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)

    return wait_until(opened)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="holds a verify half-way with a named pipe")
def test_pruning_leaves_a_backup_being_verified_to_a_later_backup(start_server, home):
    """`backup.keep` 1: the backup after the first would remove it, but a verify is reading
    it, so it stays until the next one."""
    write_core_json(home, {"backup": {"keep": 1}})
    server = start_server(home)
    asset_id = upload_raw(server.client, b"to be held", "held.txt").data["asset_id"]
    backups_dir = server.config.home.backups_dir
    first = back_up(server.client)["result"]["name"]
    pipe = hold_on_a_named_pipe(backups_dir / first, f"assets/files/{asset_id[:2]}/{asset_id}")
    job_id = server.client.post(f"/v1/admin/backups/{first}/verify").data["job_id"]
    writer = writer_once_read(pipe)
    try:
        second = back_up(server.client)["result"]["name"]
        listed = [item["name"] for item in server.client.get("/v1/admin/backups").data["items"]]
        assert listed == [second, first]  # newest first
    finally:
        os.close(writer)
    assert finished_job(server.client, job_id)["result"]["ok"] is True
    third = back_up(server.client)["result"]["name"]
    listed = [item["name"] for item in server.client.get("/v1/admin/backups").data["items"]]
    assert listed == [third]
