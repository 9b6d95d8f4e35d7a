"""The filesystem provider: `files/<aa>/<sha256>` under `<home>/assets`.

Bytes arrive as a temp file under `<home>/tmp` that is already fsynced; `put()` renames it into
place (and fsyncs the folder, so the rename survives a crash). A user's own file is never
linked or moved in: bulk import copies into `tmp/` first. Keys come from our own rows and are
checked against their one shape before they touch the filesystem.
"""

import errno
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faceforge.storage.errors import MissingBytes

KEY_PATTERN = re.compile(r"files/([0-9a-f]{2})/\1[0-9a-f]{62}")
READ_CHUNK_BYTES = 1024 * 1024


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def copy_synced(source: Path, target: Path) -> None:
    with open(source, "rb") as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer, READ_CHUNK_BYTES)
        writer.flush()
        os.fsync(writer.fileno())


class LocalStorage:
    name = "fs"

    def __init__(self, root: Path, tmp_dir: Path):
        self.root = root
        self.tmp_dir = tmp_dir

    def key_for(self, sha256: str) -> str:
        return f"files/{sha256[:2]}/{sha256}"

    def path_of(self, key: str) -> Path:
        if not KEY_PATTERN.fullmatch(key):
            raise MissingBytes(f"storage key {key!r} is not a filesystem key")
        return self.root / key

    def put(self, temp_path: Path, key: str) -> None:
        """Move the (fsynced) temp file to `key`; the temp file is gone afterwards."""
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(temp_path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            # tmp/ on another filesystem: copy beside the target, then rename.
            beside = target.with_name(f".{target.name}.{os.getpid()}.incoming")
            try:
                copy_synced(temp_path, beside)
                os.replace(beside, target)
            finally:
                beside.unlink(missing_ok=True)
            temp_path.unlink()
        fsync_folder(target.parent)

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def require(self, key: str) -> None:
        """MissingBytes (404) unless the bytes are there."""
        if not self.exists(key):
            raise MissingBytes(f"the bytes of {key} are missing from {self.root}")

    def size(self, key: str) -> int | None:
        try:
            return self.path_of(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def open(self, key: str):
        try:
            return open(self.path_of(key), "rb")
        except FileNotFoundError:
            raise MissingBytes(f"the bytes of {key} are missing from {self.root}") from None

    def body(self, key: str, start: int, length: int):
        """A file object seeked to `start`: with an exact Content-Length, Waitress sends it
        through `wsgi.file_wrapper` without copying it through Python."""
        handle = self.open(key)
        handle.seek(start)
        return handle

    def read_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        with self.open(key) as handle:
            handle.seek(start)
            while length > 0:
                chunk = handle.read(min(READ_CHUNK_BYTES, length))
                if not chunk:
                    raise MissingBytes(f"{key} is shorter than its row says")
                length -= len(chunk)
                yield chunk

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A path tools such as ExifTool can read; here simply the stored file."""
        self.require(key)
        yield self.path_of(key)

    def stored_files(self) -> Iterator[tuple[str, int]]:
        """(relative path, size) of every file under the root, for `faceforge check`."""
        for folder, _, names in os.walk(self.root):
            for name in names:
                path = Path(folder, name)
                yield path.relative_to(self.root).as_posix(), path.stat().st_size
