"""Online backups over HTTP (API.md §11): `POST /v1/admin/backups` → job `system.backup`,
`GET /v1/admin/backups`; consistent under concurrent writes, hard links to the previous
backup, failures that leave nothing complete-looking, a kill -9 mid-backup, the schedule."""

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from faceforge.backups import contents, verify
from tests.assets_support import upload_raw
from tests.backup_support import back_up, finished_job, manifest, snapshot_query
from tests.conftest import require_tool
from tests.entity_support import create, seed
from tests.support import (
    Client,
    ServerProcess,
    faceforge_command,
    install_token,
    wait_until,
    write_core_json,
)


def upload_files(client, count: int, prefix: str = "file") -> list[str]:
    return [
        upload_raw(client, f"{prefix} {n}".encode(), f"{prefix}{n}.txt").data["asset_id"]
        for n in range(count)
    ]


def asset_paths(folder) -> set[str]:
    return {
        entry["path"] for entry in manifest(folder)["files"] if entry["path"].startswith("assets/")
    }


def test_backup_under_concurrent_writes_has_rows_and_files_that_agree(server):
    client = server.client
    seed(client, 5000)
    upload_files(client, 20)
    stop = threading.Event()
    written = {"entities": 0, "uploads": 0}

    def keep_writing():
        writer = Client("127.0.0.1", server.port, server.token)
        while not stop.is_set():
            create(writer, display_name=f"Writer {written['entities']}")
            written["entities"] += 1
            upload_raw(writer, f"during {written['uploads']}".encode(), "during.txt")
            written["uploads"] += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        job = back_up(client)
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert job["status"] == "succeeded", job
    assert written["uploads"] > 0
    folder = server.config.home.backups_dir / job["result"]["name"]
    counts = manifest(folder)["counts"]
    for table in ("entities", "assets", "entity_assets", "jobs", "events"):
        [(rows,)] = snapshot_query(folder, f"SELECT count(*) FROM {table}")
        assert counts[table] == rows, table
    keys = snapshot_query(folder, "SELECT storage_key FROM assets WHERE storage_provider = 'fs'")
    assert asset_paths(folder) == {f"assets/{key}" for (key,) in keys}
    assert counts["files"] == len(keys)
    assert verify.problems(folder) == []
    # The writes went on after the snapshot: the home has more than the backup holds.
    assert client.get("/v1/entities", query={"limit": 1}).data["total"] > counts["entities"]


def test_a_second_backup_hard_links_unchanged_files(server):
    upload_files(server.client, 5)
    first = back_up(server.client)["result"]
    upload_files(server.client, 1, prefix="new")
    second = back_up(server.client)["result"]
    assert (first["copied_files"], first["linked_files"]) == (5, 0)
    assert (second["copied_files"], second["linked_files"]) == (1, 5)
    old, new = (server.config.home.backups_dir / result["name"] for result in (first, second))
    for path in asset_paths(old):
        assert (old / path).stat().st_ino == (new / path).stat().st_ino
    listed = server.client.get("/v1/admin/backups").data["items"]
    assert [item["name"] for item in listed] == [second["name"], first["name"]]
    assert listed[0]["counts"]["files"] == 6
    assert (new / "config" / "core.json").stat().st_mode & 0o777 == 0o600


def unwritable_folder(tmp_path) -> Path:
    """An existing folder this process cannot create anything in: a read-only one, or for
    root (whom permissions do not stop) Linux's /sys."""
    if os.name == "nt":
        pytest.skip("Windows has no read-only folders that stop creating files in them")
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        return folder
    if not Path("/sys/kernel").is_dir():
        pytest.skip("running as root without /sys: no folder root cannot write to")
    return Path("/sys")


def test_an_unwritable_destination_fails_the_job_and_the_server_keeps_serving(server, tmp_path):
    folder = unwritable_folder(tmp_path)
    job = back_up(server.client, {"destination": str(folder)})
    assert job["status"] == "failed"
    assert job["error"]["code"] == "destination_unusable"
    assert job["error"]["message"] in (
        f"cannot write to {folder}: Permission denied",
        f"cannot write to {folder}: Operation not permitted",
    )
    assert list(folder.glob("*.partial")) == []
    assert server.client.get("/v1/ping").data == {"pong": True}
    assert server.client.get("/v1/admin/backups").data == {"items": []}


def test_a_backup_that_runs_out_of_room_fails_the_job_and_leaves_nothing(start_server, home):
    """prlimit caps the size of any file the server writes below one asset's size: the copy
    of that file fails as on a full disk, while the small database keeps working."""
    prlimit = require_tool("prlimit")
    server = start_server(home)
    upload_raw(server.client, os.urandom(3 * 2**20), "big.bin")
    server.close()
    capped = [prlimit, f"--fsize={2 * 2**20}", *faceforge_command("--port", "0")]
    process = ServerProcess(capped, home)
    try:
        client = Client("127.0.0.1", process.port, install_token(home))
        job = back_up(client)
        assert (job["status"], job["error"]["code"]) == ("failed", "backup_failed")
        backups = home / "backups"
        assert job["error"]["message"] == f"backup to {backups} failed: File too large"
        assert list(backups.iterdir()) == []
        assert client.get("/v1/admin/backups").data == {"items": []}
        assert client.get("/v1/assets").data["total"] == 1
    finally:
        process.terminate()


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("backups/here", "backups/here is not an absolute path"),
        ("{tmp}/missing", "{tmp}/missing does not exist"),
        ("{tmp}/a file", "{tmp}/a file is not a directory"),
        ("/", "backing up into the filesystem root is not supported"),
        ("  ", "must not be blank"),
    ],
)
def test_a_destination_that_is_not_an_existing_folder_is_refused(
    server, tmp_path, destination, message
):
    (tmp_path / "a file").write_text("not a folder")
    body = {"destination": destination.format(tmp=tmp_path)}
    reply = server.client.post("/v1/admin/backups", body)
    assert reply.status == 422
    [detail] = reply.error["details"]
    assert (detail["loc"], detail["msg"]) == (["body", "destination"], message.format(tmp=tmp_path))
    assert server.client.get("/v1/jobs").data["items"] == []


def test_a_backup_whose_manifest_cannot_be_read_is_not_listed(server):
    broken = back_up(server.client)["result"]
    kept = back_up(server.client)["result"]
    (server.config.home.backups_dir / broken["name"] / "MANIFEST.json").write_text("{")
    listed = server.client.get("/v1/admin/backups").data["items"]
    assert [item["name"] for item in listed] == [kept["name"]]


def test_a_backup_to_a_destination_goes_there_and_is_not_listed(server, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    job = back_up(server.client, {"destination": str(tmp_path / "elsewhere")})
    assert job["status"] == "succeeded"
    assert (tmp_path / "elsewhere" / job["result"]["name"] / "MANIFEST.json").is_file()
    assert server.client.get("/v1/admin/backups").data == {"items": []}


def test_backup_keep_removes_the_oldest(start_server, home):
    write_core_json(home, {"backup": {"keep": 1}})
    server = start_server(home)
    first = back_up(server.client)["result"]
    second = back_up(server.client)["result"]
    listed = server.client.get("/v1/admin/backups").data["items"]
    assert [item["name"] for item in listed] == [second["name"]]
    assert not (server.config.home.backups_dir / first["name"]).exists()


def backup_jobs(client) -> list[dict]:
    return client.get("/v1/jobs", query={"job_type": "system.backup"}).data["items"]


def test_a_scheduled_backup_is_queued_when_due_and_not_again_after_a_restart(start_server, home):
    write_core_json(home, {"backup": {"every_hours": 24}})
    server = start_server(home)
    [job] = wait_until(lambda: backup_jobs(server.client))
    wait_until(lambda: server.client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "succeeded")
    server.close()
    again = start_server(home)
    time.sleep(1.0)
    assert [item["job_id"] for item in backup_jobs(again.client)] == [job["job_id"]]
    assert len(again.client.get("/v1/admin/backups").data["items"]) == 1


def test_kill_9_during_a_backup_leaves_the_home_as_before(start_server, home):
    process = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        client = Client("127.0.0.1", process.port, install_token(home))
        seed(client, 10000)
        seed(client, 10000, start=10000)
        asset_ids = upload_files(client, 30)
        entities_before = client.get("/v1/entities", query={"limit": 100}).data["items"]
        partial = kill_during_a_backup(process, client, home / "backups")
    finally:
        if process.process.poll() is None:
            process.terminate()
    assert not (partial / "MANIFEST.json").exists()
    wait_until(lambda: not backup_processes(partial), timeout=10)  # it ends with the server
    server = start_server(home)
    assert server.client.get("/v1/entities", query={"limit": 100}).data["items"] == entities_before
    for asset_id in asset_ids:
        assert server.client.get(f"/v1/assets/{asset_id}/download").status == 200
    listed = server.client.get("/v1/admin/backups").data["items"]
    assert partial.name.removesuffix(".partial") not in [item["name"] for item in listed]
    interrupted = backup_jobs(server.client)[0]
    assert (interrupted["status"], interrupted["error"]["code"]) == ("failed", "interrupted")
    finished = back_up(server.client)
    assert finished["status"] == "succeeded"
    assert not partial.exists()  # the next backup clears what the crash left


def test_a_canceled_backup_stops_its_process_and_leaves_nothing(server):
    """The child is frozen (SIGSTOP) half-way, so the cancel always finds it running; a child
    that does not stop when told is killed."""
    seed(server.client, 10000)
    root = server.config.home.root / "backups"
    for _ in range(10):
        job = server.client.post("/v1/admin/backups", {}).data
        partial = wait_until(lambda: next(root.glob("*.partial"), None), timeout=60)
        child = wait_until(
            lambda partial=partial, job=job: backup_processes(partial) or job_ended(server, job),
            timeout=60,
        )
        if child is not True:
            os.kill(int(child[0]), signal.SIGSTOP)
            server.client.post(f"/v1/jobs/{job['job_id']}/cancel")
            break
        # finished before its process was seen: try again
    ended = finished_job(server.client, job["job_id"])
    assert ended["status"] == "canceled"
    assert not partial.exists()
    assert backup_processes(partial) == []
    assert back_up(server.client)["status"] == "succeeded"


def job_ended(server, job) -> bool:
    status = server.client.get(f"/v1/jobs/{job['job_id']}").data["status"]
    return status in ("succeeded", "failed", "canceled")


def test_the_backup_process_stops_at_once_when_its_stdin_closes(server, tmp_path):
    """What ends the child when the server dies: it must not go on writing a backup."""
    seed(server.client, 10000)
    home = server.config.home
    request = contents.Request(
        job_id="0" * 32,
        database=str(home.db_path),
        config_file=str(home.root / "config" / "core.json"),
        assets_root=str(home.assets_dir),
        tmp_dir=str(home.tmp_dir),
        partial=str(tmp_path / "backup.partial"),
        previous=None,
    )
    process = contents.start(request)
    process.stdin.close()
    with process.stdout, process.stderr:
        output = process.stdout.read()
    assert process.wait(timeout=60) == 1
    assert b"manifest" not in output


def backup_processes(partial: Path) -> list[str]:
    """The ids of the running processes writing the backup folder `partial` (from /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        pytest.skip("needs /proc to see the backup's child process")
    found = []
    for entry in proc.iterdir():
        with contextlib.suppress(OSError):
            command_line = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            if b"faceforge.backups.contents" in command_line and bytes(partial) in command_line:
                found.append(entry.name)
    return found


def kill_during_a_backup(process, client, root):
    """Queue backups until one is caught half-way (its `.partial` folder exists), kill -9 the
    server then, and return that folder."""
    for _ in range(5):
        complete = len(list(root.glob("2*Z")))
        client.post("/v1/admin/backups", {})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partials = list(root.glob("*.partial"))
            if partials:
                os.kill(process.process.pid, signal.SIGKILL)
                process.process.communicate()
                return partials[0]
            if len(list(root.glob("2*Z"))) > complete:
                break  # finished before it was seen: try again
            time.sleep(0.001)
    raise AssertionError("no backup was caught half-way")
