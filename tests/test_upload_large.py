"""A 2 GiB multipart upload to a real server process: memory stays flat (peak RSS from
/proc well under 100 MiB) and the stored bytes hash to what was sent. Data is generated on the
fly and the stored copy is removed afterwards."""

import hashlib
import http.client
import json
import shutil
from pathlib import Path

import pytest

from tests.assets_support import BOUNDARY, CHUNK, multipart_headers
from tests.support import ServerProcess, faceforge_command, install_token

SIZE = 2 * 1024**3
RSS_LIMIT_KIB = 100 * 1024


def peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return int(status.split("VmHWM:", 1)[1].split()[0])


def multipart_frame() -> tuple[bytes, bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.safetensors"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail


def file_chunks(digest):
    """SIZE bytes, each MiB distinct, hashed as they are produced."""
    block = bytearray(hashlib.sha256(b"large").digest() * (CHUNK // 32))
    for number in range(SIZE // CHUNK):
        block[:8] = number.to_bytes(8, "big")
        digest.update(block)
        yield bytes(block)


@pytest.mark.slow
def test_two_gib_upload_streams_in_flat_memory(tmp_path):
    home = tmp_path / "home"
    process = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        token = install_token(home)
        digest = hashlib.sha256()
        head, tail = multipart_frame()
        connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=600)
        connection.putrequest("POST", "/v1/assets/upload")
        for name, value in {
            **multipart_headers(),
            "X-FaceForge-Token": token,
            "Content-Length": str(len(head) + SIZE + len(tail)),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(head)
        for chunk in file_chunks(digest):
            connection.send(chunk)
        connection.send(tail)
        reply = connection.getresponse()
        body = json.loads(reply.read())
        connection.close()
        assert reply.status == 200, body
        asset = body["data"]
        assert asset["byte_size"] == SIZE
        assert asset["asset_id"] == digest.hexdigest()
        assert (home / "assets" / asset["storage_key"]).stat().st_size == SIZE
        peak = peak_rss_kib(process.process.pid)
        print(f"server peak RSS {peak / 1024:.1f} MiB")
        assert peak < RSS_LIMIT_KIB
    finally:
        process.terminate()
        shutil.rmtree(home / "assets", ignore_errors=True)
