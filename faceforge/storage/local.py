"""The filesystem provider: `files/<aa>/<sha256>` under `<home>/assets`.

Bytes arrive as a temp file under `<home>/tmp`; `put()` renames it into place and `sync(keys)`
makes a whole batch of such files durable at once (ingest calls it before it writes any row
that points at them). A user's own file is never linked or moved in: bulk import copies into
`tmp/` first. Keys come from our own rows and are checked against their one shape before they
touch the filesystem.
"""

import ctypes
import errno
import functools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from faceforge.storage.errors import MissingBytes

KEY_PATTERN = re.compile(r"files/([0-9a-f]{2})/\1[0-9a-f]{62}")
READ_CHUNK_BYTES = 1024 * 1024
# From this many files on, one syncfs(2) of the store's filesystem is cheaper than an fsync
# per file and folder (measured: 64 files of 4-64 KiB take 0.5-12 ms with syncfs, 6-20 ms
# with fsyncs, ~2 ms each when every file commits on its own).
SYNCFS_MIN_FILES = 4


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@functools.cache
def libc_syncfs():
    """Linux's syncfs(2), or None where the C library has none (other systems)."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None


def syncfs(path: Path) -> bool:
    """Flush the whole filesystem holding `path` (data, inodes, folder entries) and wait for
    it; False when the system has no syncfs."""
    function = libc_syncfs()
    if function is None:
        return False
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if function(descriptor) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
    finally:
        os.close(descriptor)
    return True


def copy_synced(source: Path, target: Path) -> None:
    with open(source, "rb") as reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer, READ_CHUNK_BYTES)
        writer.flush()
        os.fsync(writer.fileno())


def move(temp_path: Path, target: Path) -> None:
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


class LocalStorage:
    name = "fs"

    def __init__(self, root: Path, tmp_dir: Path):
        self.root = root
        self.tmp_dir = tmp_dir
        # Folders made by put() whose own entry sync() has yet to make durable.
        self._new_folders: set[Path] = set()
        self._new_folders_lock = threading.Lock()

    def key_for(self, sha256: str) -> str:
        return f"files/{sha256[:2]}/{sha256}"

    def path_of(self, key: str) -> Path:
        if not KEY_PATTERN.fullmatch(key):
            raise MissingBytes(f"storage key {key!r} is not a filesystem key")
        return self.root / key

    def put(self, temp_path: Path, key: str) -> None:
        """Move the temp file to `key`; the temp file is gone afterwards. Durable only once
        `sync()` has returned for the key."""
        target = self.path_of(key)
        try:
            move(temp_path, target)
        except FileNotFoundError:
            if not temp_path.exists():
                raise
            self._make_folder(target.parent)
            move(temp_path, target)

    def put_bytes(self, data: bytes, key: str) -> None:
        """Write `data` at `key` in place, as for put() durable only after `sync()`. Only for
        bytes no row points at yet: a crash half-way leaves a file that no row owns (the
        ingest journal has it removed at the next start)."""
        target = self.path_of(key)
        try:
            target.write_bytes(data)
        except FileNotFoundError:
            self._make_folder(target.parent)
            target.write_bytes(data)

    def _make_folder(self, folder: Path) -> None:
        made = [path for path in (folder.parent, folder) if not path.is_dir()]
        folder.mkdir(parents=True, exist_ok=True)
        with self._new_folders_lock:
            self._new_folders.update(made)

    def sync(self, keys: list[str]) -> None:
        """Make the files at `keys`, their folder entries and those of the folders put() made
        durable."""
        with self._new_folders_lock:
            new_folders, self._new_folders = self._new_folders, set()
        if len(keys) >= SYNCFS_MIN_FILES and syncfs(self.root):
            return
        paths = [self.path_of(key) for key in keys]
        folders = {path.parent for path in paths} | {folder.parent for folder in new_folders}
        for path in [*paths, *folders]:
            fsync_path(path)

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
