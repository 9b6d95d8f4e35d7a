"""Jobs across restarts: kill -9 of the server in the middle of a bulk import leaves the job
`failed` with error.code "interrupted" at the next start, never an asset row without its
bytes; the retry finishes the work. A clean shutdown interrupts running jobs the same way."""

import hashlib
import json
import os
import signal
import urllib.request

from tests.support import ServerProcess, faceforge_command, install_token, wait_until

FILES = 40


def make_folder(root):
    root.mkdir()
    for index in range(FILES):
        (root / f"file{index:03d}.bin").write_bytes(f"content {index} ".encode() * 5000)
    return root


def call(port: int, token: str, method: str, path: str, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-FaceForge-Token": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)["data"]


def wait_for_status(client, job_id: str, status: str) -> dict:
    def reached():
        job = client.get(f"/v1/jobs/{job_id}").data
        return job if job["status"] == status else None

    return wait_until(reached, timeout=60)


def assert_every_asset_has_its_bytes(server) -> list[str]:
    with server.services.db.read() as connection:
        rows = connection.execute("SELECT asset_id, storage_key, byte_size FROM assets").fetchall()
    for asset_id, storage_key, byte_size in rows:
        stored = server.config.home.assets_dir / storage_key
        data = stored.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (byte_size, asset_id)
    return [row[0] for row in rows]


def test_kill_9_mid_import_then_restart_marks_the_job_interrupted(start_server, home, tmp_path):
    folder = make_folder(tmp_path / "photos")
    process = ServerProcess(faceforge_command("--port", "0"), home)
    token = install_token(home)
    try:
        job = call(process.port, token, "POST", "/v1/assets/bulk-import",
                   {"path": str(folder), "throttle_ms": 50})  # fmt: skip

        def imported_some():
            page = call(process.port, token, "GET", f"/v1/jobs/{job['job_id']}/log?limit=1000")
            return sum(line["message"] == "Imported" for line in page["items"]) >= 5

        wait_until(imported_some, timeout=30)
        os.kill(process.process.pid, signal.SIGKILL)
        process.process.wait(timeout=10)
    finally:
        process.process.stdout.close()
        process.process.stderr.close()

    server = start_server(home)
    interrupted = server.client.get(f"/v1/jobs/{job['job_id']}").data
    assert interrupted["status"] == "failed"
    assert interrupted["error"]["code"] == "interrupted"
    assert interrupted["finished_at"] is not None
    before = assert_every_asset_has_its_bytes(server)
    assert 5 <= len(before) < FILES
    assert os.listdir(server.config.home.tmp_dir) == []
    failed_events = server.client.get("/v1/events", query={"type": "job.failed"}).data["items"]
    assert [e["subject_id"] for e in failed_events] == [job["job_id"]]

    retried = server.client.post(f"/v1/jobs/{job['job_id']}/retry").data
    done = wait_for_status(server.client, retried["job_id"], "succeeded")
    assert done["result"]["imported"] + done["result"]["skipped_existing"] == FILES
    assert done["result"]["skipped_existing"] == len(before)
    assert len(assert_every_asset_has_its_bytes(server)) == FILES


def test_a_clean_shutdown_interrupts_a_running_import(start_server, home, tmp_path):
    folder = make_folder(tmp_path / "photos")
    first = start_server(home)
    job = first.client.post(
        "/v1/assets/bulk-import", {"path": str(folder), "throttle_ms": 60_000}
    ).data
    wait_for_status(first.client, job["job_id"], "running")
    first.close()
    second = start_server(home)
    stopped = second.client.get(f"/v1/jobs/{job['job_id']}").data
    assert stopped["status"] == "failed"
    assert stopped["error"] == {"code": "interrupted", "message": "Core is shutting down"}
