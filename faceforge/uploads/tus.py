"""The tus 1.0.0 wire format, as plain functions: header values in, clean values or errors out.

No bottle here: `web/uploads.py` hands over header strings and turns the errors into replies.
tus answers some problems with its own status codes (412, 415, 460); they are ApiErrors like
every other, so the reply still carries the error envelope.
"""

import base64
import binascii
import hashlib
from datetime import datetime
from email.utils import format_datetime

from faceforge.errors import ApiError, ValidationError

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
CHECKSUM_ALGORITHMS = ("sha1", "md5", "sha256")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
METADATA_LOC = ("header", "Upload-Metadata")


class VersionMismatch(ApiError):
    """412: the request does not speak tus 1.0.0 (the reply names the version we speak)."""

    status = 412


class UnsupportedMediaType(ApiError):
    status = 415


class ChecksumMismatch(ApiError):
    """460 Checksum Mismatch, tus's own status code (checksum extension)."""

    status = 460


def bad_header(name: str, msg: str) -> ApiError:
    """400 for a malformed tus header: the protocol, not the upload, is wrong."""
    details = [{"loc": ["header", name], "msg": msg, "type": "value_error"}]
    return ApiError(f"{name}: {msg}", details)


def check_version(value: str | None) -> None:
    if value != VERSION:
        raise VersionMismatch(f"Tus-Resumable must be {VERSION}, got {value!r}")


def check_content_type(media_type: str) -> None:
    """`media_type`: the Content-Type without parameters, lower case."""
    if media_type != OFFSET_CONTENT_TYPE:
        raise UnsupportedMediaType(f"Content-Type must be {OFFSET_CONTENT_TYPE}")


def read_size(name: str, value: str | None) -> int:
    """A non-negative decimal header (Upload-Length, Upload-Offset)."""
    if value is None:
        raise bad_header(name, "required")
    if not value.isascii() or not value.isdigit():
        raise bad_header(name, "must be a non-negative integer")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """`Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
    Values must be UTF-8 text; keys must be unique."""
    metadata: dict[str, str] = {}
    for pair in (value or "").split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        if key in metadata:
            raise ValidationError.field((*METADATA_LOC, key), "sent twice")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValidationError.field(
                (*METADATA_LOC, key), "must be base64 of UTF-8 text"
            ) from None
    return metadata


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}".rstrip()
        for key, value in metadata.items()
    )


def read_checksum(value: str | None) -> tuple["hashlib._Hash", bytes] | None:
    """`Upload-Checksum: <algorithm> <base64 digest>` → (a fresh hash object, expected digest);
    None when the header is absent. An algorithm we do not offer is 400."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        supported = ", ".join(CHECKSUM_ALGORITHMS)
        raise bad_header("Upload-Checksum", f"algorithm must be one of {supported}")
    try:
        expected = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise bad_header("Upload-Checksum", "the digest must be base64") from None
    return hashlib.new(algorithm), expected


def http_date(moment: datetime) -> str:
    """RFC 9110's IMF-fixdate, as `Upload-Expires` wants it."""
    return format_datetime(moment, usegmt=True)
