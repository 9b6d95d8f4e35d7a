"""Uploads against a real server process: acknowledged tus bytes survive `kill -9`, and no
upload path (tus, raw body, multipart) spools anything in the system temp folder."""

import hashlib
import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from tests.assets_support import BOUNDARY, multipart_headers
from tests.support import Client, ServerProcess, faceforge_command, install_token
from tests.tus_support import TUS, create, offset_of, patch, path_of, tus_client

MIB = 2**20


def start(home: Path, env_extra: dict | None = None) -> tuple[ServerProcess, Client]:
    process = ServerProcess(faceforge_command("--home", str(home), "--port", "0"), home, env_extra)
    assert process.first_line.startswith("FaceForge listening on"), process.first_line
    return process, Client("127.0.0.1", process.port, install_token(home))


def kill(process: ServerProcess) -> None:
    process.process.kill()
    process.process.wait(timeout=10)
    process.process.stdout.close()
    process.process.stderr.close()


def test_acknowledged_bytes_survive_kill_9_and_the_upload_resumes(home, tmp_path):
    data = os.urandom(3 * MIB + 17)
    source = tmp_path / "model.safetensors"
    source.write_bytes(data)
    process, client = start(home)
    try:
        path = path_of(create(client, len(data), {"filename": "model.safetensors"}))
        assert patch(client, path, 0, data[:MIB]).status == 204
        # A PATCH under way when the process dies: headers and part of its body sent.
        half_sent = socket.create_connection(("127.0.0.1", process.port))
        half_sent.sendall(
            f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-FaceForge-Token: {client.token}\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: {MIB}\r\nContent-Length: {MIB}\r\n\r\n".encode()
            + data[MIB : MIB + MIB // 2]
        )
    finally:
        kill(process)
        half_sent.close()
    # What a crash in the middle of an append leaves: bytes past the acknowledged offset,
    # and the marker naming that offset.
    upload_id = path.rsplit("/", 1)[1]
    with open(home / "uploads" / f"{upload_id}.bin", "ab") as data_file:
        data_file.write(b"never acknowledged")
    (home / "uploads" / f"{upload_id}.cut").write_text(str(MIB), encoding="ascii")

    process, client = start(home)
    try:
        assert offset_of(client, path) == MIB
        url = f"http://127.0.0.1:{process.port}{path}"
        tus = tus_client(f"http://127.0.0.1:{process.port}", client.token)
        uploader = tus.uploader(str(source), url=url, chunk_size=MIB)
        assert uploader.offset == MIB
        uploader.upload()
        asset_id = client.get(path).data["asset_id"]
        assert asset_id == hashlib.sha256(data).hexdigest()
        assert client.get(f"/v1/assets/{asset_id}/download").body == data
    finally:
        assert process.terminate() == 0


def test_unfinished_uploads_stay_across_a_restart_and_tmp_is_emptied(home):
    process, client = start(home)
    try:
        path = path_of(create(client, 100, body=b"x" * 40))
    finally:
        assert process.terminate() == 0
    (home / "tmp" / "leftover-spool").write_bytes(b"spooled")
    process, client = start(home)
    try:
        assert offset_of(client, path) == 40
        assert list((home / "tmp").iterdir()) == []
    finally:
        assert process.terminate() == 0


# --- nothing in the system temp folder ---------------------------------------------------

SPOOL_SIZE = 300 * 10**6


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.bin"
    with open(path, "wb") as handle:
        for _ in range(SPOOL_SIZE // (10 * 10**6)):
            handle.write(os.urandom(10 * 10**6))
    return path


class FolderWatch:
    """Every file the process holds open under `folder` (anonymous temp files included, seen
    in /proc/<pid>/fd as `folder/#123 (deleted)`) and every name that appears in it, polled
    in a thread while an upload runs."""

    def __init__(self, pid: int, folder: Path):
        self.pid, self.folder = pid, str(folder)
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        fd_dir = Path(f"/proc/{self.pid}/fd")
        while not self._stop.is_set():
            self.seen.update(os.listdir(self.folder))
            for fd in os.listdir(fd_dir):
                try:
                    target = os.readlink(fd_dir / fd)
                except OSError:
                    continue
                if target.startswith(self.folder):
                    self.seen.add(target)
            self._stop.wait(0.01)

    def __enter__(self) -> "FolderWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


class MultipartFile:
    """A multipart/form-data body around a file on disk, readable in pieces by http.client."""

    def __init__(self, path: Path):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.path = path
        self.length = len(self.head) + path.stat().st_size + len(self.tail)

    def __iter__(self):
        yield self.head
        with open(self.path, "rb") as handle:
            while chunk := handle.read(MIB):
                yield chunk
        yield self.tail


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/fd")
def test_no_upload_path_spools_in_the_system_temp_folder(home, tmp_path, big_file):
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    process, client = start(home, {"TMPDIR": str(system_tmp)})
    try:
        with FolderWatch(process.process.pid, system_tmp) as watch:
            with open(big_file, "rb") as body:
                raw = client.post(
                    "/v1/assets/upload",
                    body=body,
                    headers={"Content-Type": "application/octet-stream"},
                    query={"filename": "raw.bin"},
                )
            assert raw.status == 200, raw.body
            multipart = MultipartFile(big_file)
            headers = {**multipart_headers(), "Content-Length": str(multipart.length)}
            replied = client.post("/v1/assets/upload", body=iter(multipart), headers=headers)
            assert replied.status == 200, replied.body
            tus = tus_client(f"http://127.0.0.1:{process.port}", client.token)
            # One PATCH far above the chunk size: Waitress spools it (under FACEFORGE_HOME/tmp).
            tus.uploader(str(big_file), chunk_size=SPOOL_SIZE, metadata={"filename": "t"}).upload()
        assert watch.seen == set()
        assert client.get("/v1/assets").data["total"] == 1
    finally:
        assert process.terminate() == 0


def test_a_patch_without_the_token_is_refused(home):
    process, client = start(home)
    try:
        path = path_of(create(client, 10))
        reply = client.request(
            "PATCH", path, body=b"x", headers={**TUS, "Upload-Offset": "0"}, token=False
        )
        assert reply.status == 401
        assert offset_of(client, path) == 0
    finally:
        assert process.terminate() == 0
