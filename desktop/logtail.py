"""Following a log file the way `tail -F` does, reading only the bytes added since last time.

The file is opened, read from the remembered offset and closed on every look (an open handle
would stop the logging module from rotating the file on Windows). A new file at the same path
(rotation) or a shorter one (truncation) starts over from its beginning; after a rotation the
unread rest of the old file is taken from `<name>.1` first, so no line is lost.
"""

import os
from pathlib import Path

# On the first look only the end of a big file is shown.
FIRST_LOOK_BYTES = 64 * 1024
# At most this much is read per look, so a burst of logging cannot freeze the window.
MAX_READ_BYTES = 1024 * 1024


class LogTail:
    def __init__(self, path: Path, first_look_bytes: int = FIRST_LOOK_BYTES):
        self.path = Path(path)
        self.first_look_bytes = first_look_bytes
        self.bytes_read = 0  # total bytes read from disk so far (the tests watch it)
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._skip_to_next_line = False

    def read_new_lines(self) -> list[str]:
        """The complete lines written since the last call (a line still being written waits)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return []
        identity = (stat.st_dev, stat.st_ino)
        earlier = b""
        if self._identity is None:
            self._offset = max(0, stat.st_size - self.first_look_bytes)
            # Starting mid-file: the first line is a fragment, drop it.
            self._skip_to_next_line = self._offset > 0
        elif identity != self._identity or stat.st_size < self._offset:
            earlier = self.rest_of_rotated_file()
            self._offset = 0
        self._identity = identity
        fresh = self.read_from(self.path, self._offset, stat.st_size)
        self._offset += len(fresh)
        return self.split_lines(earlier + fresh)

    def rest_of_rotated_file(self) -> bytes:
        """What was appended to the file we followed before it was renamed to `<name>.1`."""
        rotated = self.path.with_name(self.path.name + ".1")
        try:
            stat = os.stat(rotated)
        except OSError:
            return b""
        if (stat.st_dev, stat.st_ino) != self._identity:
            return b""
        return self.read_from(rotated, self._offset, stat.st_size)

    def read_from(self, path: Path, offset: int, size: int) -> bytes:
        wanted = min(size - offset, MAX_READ_BYTES)
        if wanted <= 0:
            return b""
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(wanted)
        except OSError:
            return b""
        self.bytes_read += len(data)
        return data

    def split_lines(self, data: bytes) -> list[str]:
        data = self._partial + data
        if self._skip_to_next_line:
            newline = data.find(b"\n")
            if newline < 0:
                self._partial = data
                return []
            data = data[newline + 1 :]
            self._skip_to_next_line = False
        *lines, self._partial = data.split(b"\n")
        return [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines]


def last_line(path: Path, max_bytes: int = 4096) -> str:
    """The last non-empty line of a file (why a process stopped), or ""."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - max_bytes))
            tail = handle.read()
    except OSError:
        return ""
    lines = [line.strip() for line in tail.decode("utf-8", errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")
