"""Bytes over HTTP: reading an upload from `wsgi.input`, and answering a download.

Uploads are never read through `request.body`/`forms`/`files` (they copy the whole body):
a multipart body goes through our streaming reader, a raw body is read in chunks, and the
file's bytes go straight to a temp file under tmp/ (see `ingest.stage_chunks`).

Downloads follow the plan of `ranges.plan()`. A whole file or a single range comes back as
the provider's `body()`: for the filesystem a file object seeked to the start with an exact
Content-Length, which Waitress sends through `wsgi.file_wrapper`; for S3 a bounded generator
of ranged reads. Several ranges become `multipart/byteranges`. A thumbnail is a small file
that never changes under its URL, answered whole or with 304 (`cached_file_response`).
"""

import mimetypes
import os
import secrets
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import bottle

from faceforge import clock, validate
from faceforge.assets import ingest
from faceforge.assets import rows as assets
from faceforge.assets.thumbnails import CONTENT_TYPES
from faceforge.assets.upload import Received
from faceforge.errors import PayloadTooLarge, RangeNotSatisfiable
from faceforge.web import multipart, params, ranges
from faceforge.web.envelope import api_error_response

# A thumbnail's URL always means the same bytes (they are made from the asset's content):
# browsers may keep it for a year without asking again.
IMMUTABLE = "private, max-age=31536000, immutable"
# Bytes a multipart upload may carry beyond the file itself (boundaries, headers, sidecar).
MULTIPART_OVERHEAD_BYTES = 64 * 2**20
# Content-Types a raw upload may carry that say nothing about the file (curl's default is
# application/x-www-form-urlencoded).
UNINFORMATIVE_TYPES = frozenset(
    {"", "application/octet-stream", "application/x-www-form-urlencoded"}
)
# Characters RFC 8187 lets through unencoded in `filename*`.
ATTRIBUTE_CHARACTERS = "!#$&+^`|"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def media_type(environ: dict) -> str:
    return environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def receive_upload(environ: dict, tmp_dir, limit: int, sidecar_limit: int, filename: str | None):
    """Stage the uploaded file (multipart part `file`, or the raw body named by `filename`)
    and read the sidecar part `meta`. Whatever fails, no temp file stays behind."""
    if media_type(environ).startswith("multipart/"):
        boundary = multipart.boundary_of(environ.get("CONTENT_TYPE", ""))
        if boundary is None:
            raise multipart.malformed("expected multipart/form-data with a boundary")
        if (params.content_length() or 0) > limit + sidecar_limit + MULTIPART_OVERHEAD_BYTES:
            raise PayloadTooLarge.over_limit("File", limit)
        reader = multipart.MultipartReader(environ["wsgi.input"], boundary, params.content_length())
        return receive_parts(reader, tmp_dir, limit, sidecar_limit)
    if filename is None:
        validate.fail(("query", "filename"), "required for a raw (non-multipart) upload", "missing")
    length = params.content_length()
    if length is not None and length > limit:
        raise PayloadTooLarge.over_limit("File", limit)
    chunks = ingest.read_chunks(environ["wsgi.input"], length)
    staged = ingest.stage_chunks(chunks, tmp_dir, limit)
    declared = media_type(environ)
    return Received(staged, filename, None if declared in UNINFORMATIVE_TYPES else declared)


def receive_parts(reader, tmp_dir, limit: int, sidecar_limit: int) -> Received:
    received = None
    sidecar = sidecar_name = None
    try:
        for part in reader.parts():
            if part.name == "file":
                if received is not None:
                    validate.fail(("body", "file"), "send one file per upload")
                filename = assets.plain_filename(part.filename or "", ("body", "file"))
                staged = ingest.stage_chunks(part.chunks, tmp_dir, limit)
                received = Received(staged, filename, part.content_type or None)
            elif part.name == "meta":
                too_large = PayloadTooLarge(f"meta is larger than {sidecar_limit} bytes")
                sidecar = part.read_all(sidecar_limit, too_large)
                sidecar_name = part.filename or None
    except BaseException:
        if received is not None:
            received.staged.discard()
        raise
    if received is None:
        validate.fail(("body", "file"), "a file part is required", "missing")
    received.sidecar, received.sidecar_name = sidecar, sidecar_name
    return received


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback (quotes and backslashes escaped) plus the exact name."""
    fallback = "".join(c if " " <= c <= "~" else "_" for c in filename)
    fallback = fallback.replace("\\", "\\\\").replace('"', '\\"')
    exact = quote(filename, safe=ATTRIBUTE_CHARACTERS)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def content_type_of(asset: dict) -> str:
    return asset["mime_type"] or mimetypes.guess_type(asset["filename"])[0] or DEFAULT_CONTENT_TYPE


def conditional_headers(environ: dict) -> dict[str, str | None]:
    return {
        name: environ.get("HTTP_" + name.upper().replace("-", "_"))
        for name in ("range", "if-range", "if-none-match", "if-modified-since")
    }


def byteranges(provider, key: str, plan_ranges, size: int, content_type: str):
    """(Content-Type, Content-Length, body) of a `multipart/byteranges` reply."""
    boundary = secrets.token_hex(16)
    heads = [
        (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {first}-{last}/{size}\r\n\r\n"
        ).encode("ascii")
        for first, last in plan_ranges
    ]
    closing = f"--{boundary}--\r\n".encode("ascii")
    length = sum(
        len(head) + last - first + 1 + 2
        for head, (first, last) in zip(heads, plan_ranges, strict=True)
    )

    def body() -> Iterator[bytes]:
        for head, (first, last) in zip(heads, plan_ranges, strict=True):
            yield head
            yield from provider.read_range(key, first, last - first + 1)
            yield b"\r\n"
        yield closing

    return f"multipart/byteranges; boundary={boundary}", length + len(closing), body


def download_response(method: str, environ: dict, asset: dict, provider) -> bottle.HTTPResponse:
    size, key = asset["byte_size"], asset["storage_key"]
    etag = f'"{asset["asset_id"]}"'
    last_modified = clock.parse_time(asset["created_at"])
    plan = ranges.plan(conditional_headers(environ), size, etag, last_modified)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
    }
    if plan.status == 304:
        return bottle.HTTPResponse(status=304, headers=headers)
    if plan.status == 416:
        response = api_error_response(RangeNotSatisfiable("Requested range not satisfiable"))
        response.set_header("Content-Range", f"bytes */{size}")
        return response
    content_type = content_type_of(asset)
    headers.update(
        {
            "Content-Disposition": content_disposition(asset["filename"]),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
    )
    if plan.status == 206 and len(plan.ranges) > 1:
        multipart_type, length, body = byteranges(provider, key, plan.ranges, size, content_type)
        headers.update({"Content-Type": multipart_type, "Content-Length": str(length)})
        return bottle.HTTPResponse(b"" if method == "HEAD" else body(), 206, headers)
    first, last = plan.ranges[0] if plan.status == 206 else (0, size - 1)
    headers.update({"Content-Type": content_type, "Content-Length": str(last - first + 1)})
    if plan.status == 206:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    if method == "HEAD":
        provider.require(key)
        return bottle.HTTPResponse(b"", plan.status, headers)
    return bottle.HTTPResponse(provider.body(key, first, last - first + 1), plan.status, headers)


def cached_file_response(environ: dict, path: Path) -> bottle.HTTPResponse:
    """A thumbnail: strong ETag (its size and modification time: made again, it changes),
    cached for a year, 304 when If-None-Match names it."""
    handle = open(path, "rb")  # noqa: SIM115 (Waitress sends and closes it)
    status = os.fstat(handle.fileno())
    etag = f'"{status.st_size:x}-{status.st_mtime_ns:x}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None and ranges.none_match(if_none_match, etag):
        handle.close()
        return bottle.HTTPResponse(status=304, headers=headers)
    headers.update(
        {
            "Content-Type": CONTENT_TYPES[path.suffix.removeprefix(".")],
            "Content-Length": str(status.st_size),
            "X-Content-Type-Options": "nosniff",
        }
    )
    return bottle.HTTPResponse(handle, 200, headers)
