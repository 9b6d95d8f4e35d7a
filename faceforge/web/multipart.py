"""A small streaming `multipart/form-data` reader (RFC 7578 over RFC 2046 §5.1).

Bottle's `request.files`/`forms`/`body` copy the whole body; this reads `wsgi.input` in
bounded chunks and hands out each part's body as an iterator of chunks, so a file part can be
streamed straight to disk whatever its size. Memory use is one chunk plus one delimiter.

Each part must be consumed (or abandoned) before the next is asked for; `parts()` skips
whatever the caller left. Broken framing (no boundary, a missing closing delimiter, a body cut
short, oversized part headers) is a 422 naming the body.
"""

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote

from faceforge.assets.rows import WINDOWS_ABSOLUTE_PATH
from faceforge.errors import ValidationError, problem

CHUNK_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024
# RFC 2046: 1 to 70 characters from a restricted set (we accept any visible ASCII but `"`).
BOUNDARY = re.compile(r"[!#-~ ]{0,69}[!#-~]")
PARAMETER = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
# Browsers and current curl and urllib3 send a backslash in a quoted file name as it is (and
# `"` as %22); older clients escape `\` and `"` with a backslash. So only `\\` and `\"` are
# unescaped: `say "cheese" \ now.txt` keeps its backslash whichever client sent it.
ESCAPED = re.compile(r'\\([\\"])')
EXTENDED_VALUE = re.compile(r"([\w!#$%&+^`{}~-]*)'[^']*'(.*)", re.ASCII)
# HTML's form encoding (which curl follows) writes `"`, CR and LF in names and file names as
# %22, %0D and %0A; any other `%` is sent as it is, so only these three are decoded.
HTML_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}
HTML_ESCAPE = re.compile("|".join(HTML_ESCAPES), re.IGNORECASE)


def malformed(reason: str) -> ValidationError:
    message = f"multipart body is malformed: {reason}"
    return ValidationError.many([problem(("body",), message, "multipart_invalid")], message)


def unquoted(key: str, content: str) -> str:
    """A quoted string's content, unescaped. A file name that is a full Windows path (old
    browsers send one) is kept as sent: such a path holds no `"`, and each of its backslashes,
    escaped or not, separates folders (unescaping would turn a UNC `\\\\server` into
    `\\server`); `assets.plain_filename` keeps only its last part."""
    if key == "filename" and WINDOWS_ABSOLUTE_PATH.match(content):
        return content
    return ESCAPED.sub(r"\1", content)


def header_parameters(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="file"; filename="a.jpg"` → ("form-data", {"name": ..., ...}).
    Quoted strings may escape `\\` and `"` with a backslash; `name` and `filename` also use
    HTML's %22/%0D/%0A; `filename*` (RFC 8187) wins over `filename`."""
    main, _, rest = value.partition(";")
    found: dict[str, str] = {}
    for match in PARAMETER.finditer(";" + rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = unquoted(key, raw[1:-1])
        if key in ("name", "filename"):
            raw = HTML_ESCAPE.sub(lambda escape: HTML_ESCAPES[escape.group().upper()], raw)
        found.setdefault(key, raw)
    extended = EXTENDED_VALUE.fullmatch(found.pop("filename*", ""))
    if extended:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            found["filename"] = unquote(extended.group(2), extended.group(1) or "utf-8", "strict")
    return main.strip().lower(), found


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a `multipart/form-data` Content-Type, or None when it is not one."""
    media_type, parameters = header_parameters(content_type)
    boundary = parameters.get("boundary", "")
    if media_type != "multipart/form-data" or not BOUNDARY.fullmatch(boundary):
        return None
    return boundary.encode("ascii")


@dataclass
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    headers: dict[str, str]
    chunks: Iterator[bytes] = field(repr=False)

    def read_all(self, limit: int, too_large: Exception) -> bytes:
        """The whole (small) part, raising `too_large` beyond `limit` bytes."""
        collected = bytearray()
        for chunk in self.chunks:
            collected += chunk
            if len(collected) > limit:
                raise too_large
        return bytes(collected)


class MultipartReader:
    def __init__(self, stream: BinaryIO, boundary: bytes, length: int | None):
        self._stream = stream
        self._remaining = length
        # A CRLF in front lets the first boundary match the same delimiter as the others.
        self._buffer = bytearray(b"\r\n")
        self._delimiter = b"\r\n--" + boundary

    def _fill(self) -> bool:
        """Read one more chunk into the buffer; False at the end of the body."""
        wanted = CHUNK_BYTES if self._remaining is None else min(CHUNK_BYTES, self._remaining)
        chunk = self._stream.read(wanted) if wanted else b""
        if not chunk:
            return False
        if self._remaining is not None:
            self._remaining -= len(chunk)
        self._buffer += chunk
        return True

    def _until(self, delimiter: bytes, what: str) -> Iterator[bytes]:
        """Yield the bytes before `delimiter`, then drop the delimiter itself."""
        keep = len(delimiter) - 1
        while True:
            index = self._buffer.find(delimiter)
            if index >= 0:
                if index:
                    yield bytes(self._buffer[:index])
                del self._buffer[: index + len(delimiter)]
                return
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                yield bytes(self._buffer[:cut])
                del self._buffer[:cut]
            if not self._fill():
                raise malformed(f"the body ends inside {what}")

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count and self._fill():
            pass
        taken = bytes(self._buffer[:count])
        del self._buffer[:count]
        return taken

    def _at_final_boundary(self) -> bool:
        """After a delimiter: `--` closes the body; otherwise padding and CRLF open a part."""
        ending = self._take(2)
        if ending == b"--":
            return True
        while ending[:1] in (b" ", b"\t"):
            ending = ending[1:] + self._take(1)
        if ending != b"\r\n":
            raise malformed("a boundary must be followed by CRLF or --")
        return False

    def _headers(self) -> dict[str, str]:
        raw = bytearray()
        for chunk in self._until(b"\r\n\r\n", "part headers"):
            raw += chunk
            if len(raw) > MAX_HEADER_BYTES:
                raise malformed("part headers are too long")
        headers: dict[str, str] = {}
        for line in raw.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise malformed(f"bad part header line {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        return headers

    def parts(self) -> Iterator[Part]:
        for _ in self._until(self._delimiter, "the preamble (no opening boundary)"):
            pass
        while not self._at_final_boundary():
            headers = self._headers()
            disposition, parameters = header_parameters(headers.get("content-disposition", ""))
            if disposition != "form-data":
                raise malformed("each part needs Content-Disposition: form-data")
            part = Part(
                name=parameters.get("name"),
                filename=parameters.get("filename"),
                content_type=headers.get("content-type"),
                headers=headers,
                chunks=self._until(self._delimiter, "a part (no closing boundary)"),
            )
            yield part
            for _ in part.chunks:
                pass
