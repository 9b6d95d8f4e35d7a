"""Helpers shared by the asset tests: multipart bodies, uploads, and walking the home folder
to prove that nothing was left behind."""

import hashlib
import os
from pathlib import Path

from tests.support import wait_until

BOUNDARY = "faceforge-test-boundary"
CHUNK = 1024 * 1024


def multipart_body(
    parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = BOUNDARY
) -> bytes:
    """`parts` = [(name, filename or None, content type or None, bytes)]."""
    body = bytearray()
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
            disposition += f'; filename="{escaped}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body)


def multipart_headers(boundary: str = BOUNDARY) -> dict:
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(client, data: bytes, filename="file.bin", content_type=None, meta=None, **query):
    parts = [("file", filename, content_type, data)]
    if meta is not None:
        parts.append(("meta", "file_meta.json", "application/json", meta))
    return client.post(
        "/v1/assets/upload",
        body=multipart_body(parts),
        headers=multipart_headers(),
        query=query or None,
    )


def upload_raw(client, data: bytes, filename="file.bin", headers=None, **query):
    return client.post(
        "/v1/assets/upload",
        body=data,
        headers={"Content-Type": "application/octet-stream", **(headers or {})},
        query={"filename": filename, **query},
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def patterned(size: int, seed: int = 0) -> bytes:
    """`size` bytes that differ from seed to seed and never repeat within a MiB."""
    block = hashlib.sha256(str(seed).encode()).digest() * (CHUNK // 32 + 1)
    data = bytearray()
    counter = 0
    while len(data) < size:
        data += counter.to_bytes(8, "big") + block[: CHUNK - 8]
        counter += 1
    return bytes(data[:size])


def files_under(folder: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, _, names in os.walk(folder)
        for name in names
    )


def leftovers(server) -> dict:
    """Every stored file, temp file and asset row: all empty after a refused upload."""
    with server.services.db.read() as connection:
        rows = connection.execute("SELECT asset_id FROM assets").fetchall()
    return {
        "assets": files_under(server.config.home.assets_dir),
        "tmp": files_under(server.config.home.tmp_dir),
        "rows": [row[0] for row in rows],
    }


NOTHING = {"assets": [], "tmp": [], "rows": []}


def settled(server, asset_id: str) -> dict:
    """The asset once ExifTool and ffmpeg are done with it (both run after the upload returns;
    ExifTool may hold a temporary copy under tmp/ meanwhile)."""

    def done():
        asset = server.client.get(f"/v1/assets/{asset_id}").data
        busy = "pending" in (asset["metadata_status"], asset["thumbnail_status"])
        return None if busy else asset

    return wait_until(done, timeout=60)


def insert_entity(server, display_name: str = "Ann") -> str:
    """A live entity, created through the entity API."""
    return server.client.post("/v1/entities", {"display_name": display_name}).data["entity_id"]


def delete_entity(server, entity_id: str) -> None:
    """Soft-delete an entity through the entity API."""
    assert server.client.delete(f"/v1/entities/{entity_id}").data == {"deleted": True}


def events_of(server, asset_id: str) -> list[tuple[str, str | None]]:
    with server.services.db.read() as connection:
        rows = connection.execute(
            "SELECT type, data_json FROM events WHERE subject_id = ? ORDER BY event_id",
            (asset_id,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def child_processes(parent_pid: int, needle: bytes) -> list[int]:
    """Pids of the children of `parent_pid` whose command line contains `needle`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == parent_pid and needle in command:
            found.append(int(entry.name))
    return found
