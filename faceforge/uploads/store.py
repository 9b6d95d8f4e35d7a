"""The upload store: resumable uploads under FACEFORGE_HOME/uploads/, one upload = two files.

- `<id>.json`, the record: length, the tus metadata, created_at and, once the upload became an
  asset, its asset_id. Written once at creation (and once at the finish), atomically.
- `<id>.bin`, the bytes received so far. **The offset is this file's size**: nothing records
  it separately, so there is no moment at which record and bytes disagree. Each PATCH
  appends to it once and fsyncs before it is acknowledged, so an acknowledged offset survives
  a crash (kill -9 or power loss).
- `<id>.cut`, present only while a PATCH is being written: the offset before it. A PATCH that
  fails (checksum, too many bytes, an error) truncates its bytes away; a crash in the middle
  leaves the marker, and `recover()` at the next start truncates to it. So the bytes of a PATCH
  are kept whole once acknowledged, or not at all.

The SHA-256 of the whole file (the asset id) is carried from PATCH to PATCH in memory
(hashlib objects cannot be saved); after a restart it is computed once from the file. A PATCH
is hashed by a thread of its own while the request's thread writes and fsyncs the same pieces
(hashlib releases the GIL on large buffers): one pass over the bytes, and the client, which
waits for each 204, waits for the slower of the two instead of their sum.
An upload expires `expire_hours` after its last write (the .bin's modification time, or the
record's once finished); expired uploads answer 404 and are removed by `expire()`.
"""

import contextlib
import hashlib
import json
import os
import queue
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faceforge import clock, ids
from faceforge.assets.ingest import CHUNK_BYTES, StagedFile, new_temp_path
from faceforge.errors import Conflict, NotFound, PayloadTooLarge
from faceforge.storage.local import fsync_path
from faceforge.uploads.tus import ChecksumMismatch


@dataclass(frozen=True)
class Upload:
    record: dict[str, Any]
    offset: int
    expires: datetime

    @property
    def finished(self) -> bool:
        return self.record["asset_id"] is not None

    def view(self) -> dict[str, Any]:
        """The JSON view of `GET /v1/uploads/{id}`."""
        return {
            "upload_id": self.record["upload_id"],
            "filename": self.record["metadata"].get("filename", ""),
            "upload_length": self.record["upload_length"],
            "upload_offset": self.offset,
            "metadata": self.record["metadata"],
            "created_at": self.record["created_at"],
            "expires_at": clock.format_time(self.expires),
            "asset_id": self.record["asset_id"],
        }


class UploadStore:
    def __init__(self, folder: Path, tmp_dir: Path, expire_hours: int):
        self.folder = folder
        self.tmp_dir = tmp_dir
        self.lifetime = timedelta(hours=expire_hours)
        self._digests: dict[str, tuple[int, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _path(self, upload_id: str, suffix: str) -> Path:
        return self.folder / f"{upload_id}{suffix}"

    def lock(self, upload_id: str) -> threading.Lock:
        """One writer per upload: a second PATCH waits, then finds the offset moved (409)."""
        with self._locks_guard:
            return self._locks.setdefault(upload_id, threading.Lock())

    def create(self, upload_length: int, metadata: dict[str, str]) -> Upload:
        upload_id = ids.new_id()
        record = {
            "upload_id": upload_id,
            "upload_length": upload_length,
            "metadata": metadata,
            "created_at": clock.now(),
            "asset_id": None,
        }
        self._path(upload_id, ".bin").touch(exist_ok=False)
        self._write_record(record)
        return self.get(upload_id)

    def _write_record(self, record: dict[str, Any]) -> None:
        """Atomically: a temp file, fsynced, renamed over the record; then the folder."""
        path = self._path(record["upload_id"], ".json")
        temp_path = path.with_suffix(".json.tmp")
        with open(temp_path, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
        with contextlib.suppress(OSError):  # Windows cannot open a folder to fsync it.
            fsync_path(self.folder)

    def get(self, upload_id: str) -> Upload:
        """The upload; 404 when unknown, terminated or expired."""
        upload = self._read(upload_id) if ids.is_id(upload_id) else None
        if upload is None or upload.expires <= datetime.now(UTC):
            raise NotFound("Upload not found")
        return upload

    def _read(self, upload_id: str) -> Upload | None:
        try:
            record = json.loads(self._path(upload_id, ".json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        try:
            data = self._path(upload_id, ".bin").stat()
        except FileNotFoundError:
            if record["asset_id"] is None:
                return None
            data = self._path(upload_id, ".json").stat()
            offset = record["upload_length"]
        else:
            offset = data.st_size
        last_write = datetime.fromtimestamp(data.st_mtime, UTC)
        return Upload(record, offset, last_write + self.lifetime)

    def unfinished(self) -> list[Upload]:
        """Live unfinished uploads, newest first."""
        found = []
        for path in self.folder.glob("*.json"):
            with contextlib.suppress(NotFound):
                upload = self.get(path.stem)
                if not upload.finished:
                    found.append(upload)
        return sorted(found, key=lambda upload: upload.record["created_at"], reverse=True)

    def append(self, upload_id: str, offset: int, chunks: Iterable[bytes], checksum=None) -> Upload:
        """Append one request's bytes at `offset`, durably, or keep none of them: 409 when the
        offset is not the upload's, 413 past its length, 460 when `checksum` (a hash object
        and the expected digest) does not match."""
        with self.lock(upload_id):
            upload = self.get(upload_id)
            if upload.finished:
                raise Conflict(f"The upload is complete: asset {upload.record['asset_id']}")
            if offset != upload.offset:
                raise Conflict(f"Upload-Offset is {offset}, the upload is at {upload.offset}")
            digest = self._digest(upload_id, offset).copy()
            written = self._write_once(upload, chunks, digest, checksum)
            self._digests[upload_id] = (offset + written, digest)
            return self.get(upload_id)

    def _write_once(self, upload: Upload, pieces, digest, checksum) -> int:
        upload_id, offset = upload.record["upload_id"], upload.offset
        room = upload.record["upload_length"] - offset
        cut_path = self._path(upload_id, ".cut")
        cut_path.write_text(str(offset), encoding="ascii")
        hashes = [digest] if checksum is None else [digest, checksum[0]]
        written = 0
        try:
            with open(self._path(upload_id, ".bin"), "ab") as handle, Hashing(hashes) as hashing:
                for piece in pieces:
                    written += len(piece)
                    if written > room:
                        raise beyond_length(room, offset)
                    hashing.feed(piece)
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            if checksum is not None and checksum[0].digest() != checksum[1]:
                raise ChecksumMismatch("Upload-Checksum does not match the bytes received")
        except BaseException:
            truncate(self._path(upload_id, ".bin"), offset)
            raise
        finally:
            cut_path.unlink(missing_ok=True)
        return written

    def _digest(self, upload_id: str, offset: int):
        """The SHA-256 of the first `offset` bytes: carried in memory, or read from the file
        (after a restart, or if another request left the cache behind)."""
        cached = self._digests.get(upload_id)
        if cached is not None and cached[0] == offset:
            return cached[1]
        digest = hashlib.sha256()
        with open(self._path(upload_id, ".bin"), "rb") as handle:
            remaining = offset
            while remaining > 0:
                chunk = handle.read(min(CHUNK_BYTES, remaining))
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
        return digest

    def staged(self, upload: Upload) -> StagedFile:
        """The complete bytes as a file in tmp/ for the ingest path: a hard link, so the
        upload's own file stays if ingest refuses (no copy, the bytes are written once). A
        filesystem without hard links gets a copy: the bytes must survive a refusal."""
        upload_id = upload.record["upload_id"]
        data_path = self._path(upload_id, ".bin")
        temp_path = new_temp_path(self.tmp_dir)
        try:
            os.link(data_path, temp_path)
        except OSError:
            shutil.copyfile(data_path, temp_path)
        sha256 = self._digest(upload_id, upload.offset).hexdigest()
        return StagedFile(temp_path, sha256, upload.offset)

    def mark_finished(self, upload: Upload, asset_id: str) -> None:
        """The upload became `asset_id`: the record says so, the bytes go."""
        upload_id = upload.record["upload_id"]
        self._write_record({**upload.record, "asset_id": asset_id})
        self._path(upload_id, ".bin").unlink(missing_ok=True)
        self._digests.pop(upload_id, None)

    def terminate(self, upload_id: str) -> None:
        with self.lock(upload_id):
            self.get(upload_id)
            self._remove(upload_id)

    def _remove(self, upload_id: str) -> None:
        """The record first: from then on the upload is gone, whatever is left of it."""
        for suffix in (".json", ".bin", ".cut", ".json.tmp"):
            self._path(upload_id, suffix).unlink(missing_ok=True)
        self._digests.pop(upload_id, None)
        with self._locks_guard:
            self._locks.pop(upload_id, None)

    def expire(self) -> int:
        """Remove expired uploads; how many went. Files without a record are left alone: one
        may be an upload being created right now (`recover` removes them at start)."""
        removed = 0
        now = datetime.now(UTC)
        for record_path in self.folder.glob("*.json"):
            upload_id = record_path.stem
            if not ids.is_id(upload_id):
                continue
            with self.lock(upload_id):
                upload = self._read(upload_id)
                if upload is not None and upload.expires <= now:
                    self._remove(upload_id)
                    removed += 1
        return removed

    def recover(self) -> None:
        """At start, before any request: cut every upload back to the offset its interrupted
        PATCH began at, and remove the files of uploads whose creation a crash cut short."""
        for cut_path in self.folder.glob("*.cut"):
            data_path = cut_path.with_suffix(".bin")
            if data_path.exists():
                truncate(data_path, int(cut_path.read_text(encoding="ascii")))
            cut_path.unlink()
        for upload_id in {path.name.split(".")[0] for path in self.folder.iterdir()}:
            if ids.is_id(upload_id) and self._read(upload_id) is None:
                self._remove(upload_id)


class Hashing:
    """Hash objects updated in a thread of their own with the pieces fed to it, in order. The
    pieces are not copied: the feeder must leave them unchanged until the block ends, which
    waits for the thread. At most QUEUED_PIECES wait, so a large spooled body is not read
    into memory ahead of the hashing."""

    QUEUED_PIECES = 4

    def __init__(self, hashes: list):
        self._hashes = hashes
        self._pieces: queue.Queue = queue.Queue(self.QUEUED_PIECES)
        self._thread = threading.Thread(target=self._run, name="upload-hashing", daemon=True)

    def __enter__(self) -> "Hashing":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._pieces.put(None)
        self._thread.join()

    def feed(self, piece) -> None:
        self._pieces.put(piece)

    def _run(self) -> None:
        while (piece := self._pieces.get()) is not None:
            for hash_object in self._hashes:
                hash_object.update(piece)


def beyond_length(room: int, offset: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"More bytes than Upload-Length: {room} may follow offset {offset}")


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)
        handle.flush()
        os.fsync(handle.fileno())
