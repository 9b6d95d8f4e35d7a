"""Taking bytes in: stream them to `tmp/` while hashing, move them into the store, make them
durable, and record the rows, sidecars, links and events.

These are the steps; `ingest_batch.py` runs them for a batch of files (an upload is a batch
of one, a bulk import fills batches of many). Nothing here knows about HTTP. Whatever goes
wrong, the outcome for each file is either a committed row with its bytes durably in place, or
no row.
"""

import hashlib
import io
import itertools
import mimetypes
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from faceforge import json_text, validate
from faceforge.assets import links as asset_links
from faceforge.assets import rows as assets
from faceforge.assets import safetensors
from faceforge.assets.extraction import MetadataWorkers
from faceforge.assets.thumbnails import ThumbnailWorkers
from faceforge.db import Database
from faceforge.errors import PayloadTooLarge, ValidationError, problem
from faceforge.storage import Storage

CHUNK_BYTES = 1024 * 1024
DEFAULT_MIME_TYPE = "application/octet-stream"
SIDECAR_LOC = ("body", "meta")
# Temp file names: unique within tmp/ (cleared at every start), cheaper than a random token
# per file; "xb" refuses to reuse a name anyway.
TEMP_PREFIX = secrets.token_hex(4)
TEMP_NUMBERS = itertools.count()


@dataclass(frozen=True)
class Intake:
    """What taking bytes in works with, built once by the runtime: the database, byte storage,
    the ExifTool and ffmpeg workers (new assets are handed to them), tmp/ and the upload size
    limit."""

    db: Database
    storage: Storage
    metadata: MetadataWorkers
    thumbnails: ThumbnailWorkers
    tmp_dir: Path
    max_upload_bytes: int


@dataclass
class StagedFile:
    """Incoming bytes with their hash and size, either in a temp file under tmp/ or, for a
    small file read by bulk import, in memory (`data`; written straight to its place in the
    store, which saves a temp file and a rename per file). Not fsynced: bytes are made durable
    once they are in the store (see `LocalStorage.sync`). As a context manager it removes the
    temp file if nobody moved it into the store."""

    temp_path: Path | None
    sha256: str
    byte_size: int
    data: bytes | None = None

    def __enter__(self) -> "StagedFile":
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()

    def discard(self) -> None:
        if self.temp_path is not None:
            self.temp_path.unlink(missing_ok=True)

    def reader(self) -> BinaryIO:
        """The staged bytes to read, wherever they are held."""
        return open(self.temp_path, "rb") if self.data is None else io.BytesIO(self.data)


def new_temp_path(tmp_dir: Path) -> Path:
    return tmp_dir / f"ingest-{TEMP_PREFIX}-{next(TEMP_NUMBERS)}.part"


def stage_chunks(
    chunks: Iterable[bytes], tmp_dir: Path, limit: int, keep_in_memory: int = 0
) -> StagedFile:
    """Write `chunks` to a new temp file while hashing; 413 as soon as `limit` is passed
    (nothing more is read and the temp file is removed). Up to `keep_in_memory` bytes are
    kept in memory instead, without a temp file."""
    digest = hashlib.sha256()
    byte_size = 0
    held: list[bytes] = []
    temp_path = handle = None
    try:
        for chunk in chunks:
            byte_size += len(chunk)
            if byte_size > limit:
                raise PayloadTooLarge.over_limit("File", limit)
            digest.update(chunk)
            if handle is None and byte_size <= keep_in_memory:
                held.append(chunk)
                continue
            if handle is None:
                temp_path = new_temp_path(tmp_dir)
                handle = open(temp_path, "xb")  # noqa: SIM115 - closed below, also on error
                handle.writelines(held)
                held = []
            handle.write(chunk)
    except BaseException:
        if handle is not None:
            handle.close()
        if temp_path is not None:
            temp_path.unlink(missing_ok=True)
        raise
    if handle is not None:
        handle.close()
    data = None if temp_path is not None else b"".join(held)
    return StagedFile(temp_path, digest.hexdigest(), byte_size, data)


def read_chunks(stream: BinaryIO, length: int | None = None) -> Iterable[bytes]:
    """A binary stream as chunks, stopping after `length` bytes when it is given."""
    while length is None or length > 0:
        chunk = stream.read(CHUNK_BYTES if length is None else min(CHUNK_BYTES, length))
        if not chunk:
            return
        if length is not None:
            length -= len(chunk)
        yield chunk


def stage_source(
    source: Path | BinaryIO, tmp_dir: Path, limit: int, keep_in_memory: int = 0
) -> StagedFile:
    """A path (copied, never linked or moved) or a readable binary stream."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            return stage_chunks(read_chunks(stream), tmp_dir, limit, keep_in_memory)
    return stage_chunks(read_chunks(source), tmp_dir, limit, keep_in_memory)


def sidecar_problem(message: str, loc: tuple) -> ValidationError:
    """422 whose message, naming the file, is also its detail's."""
    return ValidationError.many([problem(loc, message)], message)


def parse_sidecar(raw: bytes, loc: tuple) -> Any:
    """The companion `_meta.json`: UTF-8, valid JSON no deeper than json_text.MAX_DEPTH, and not
    null or ""."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise sidecar_problem("_meta.json must be UTF-8", loc) from None
    if not text.strip():
        raise sidecar_problem("_meta.json must be non-empty", loc)
    try:
        document = json_text.loads(text, parse_constant=json_text.refuse_constant)
    except json_text.TooDeep:
        message = f"_meta.json must not nest deeper than {json_text.MAX_DEPTH} levels"
        raise sidecar_problem(message, loc) from None
    except ValueError:
        raise sidecar_problem("_meta.json must be valid JSON", loc) from None
    if document is None or document == "":
        raise sidecar_problem("_meta.json must be non-empty", loc)
    return document


def sidecar_entry(raw: bytes, name: str | None, loc: tuple) -> dict[str, Any]:
    return {
        "Source": "UserSidecar",
        "Type": "JsonMetadata",
        "Name": name,
        "NameHashes": None,
        "Data": parse_sidecar(raw, loc),
    }


@dataclass(frozen=True)
class Request:
    """What the caller asks for besides the bytes. `loc` prefixes field names in errors
    (("query",) for the upload route, ("body",) for a bulk-import job's input)."""

    filename: str
    kind: str = "file"
    mime_type: str | None = None
    sidecar: bytes | None = None
    sidecar_name: str | None = None
    entity_id: str | None = None
    role: str | None = None
    derived_from: str | None = None
    loc: tuple = ("query",)


def check_request(db, request: Request) -> None:
    """Refuse what can be refused before any byte is read: unknown entity or source asset."""
    with db.read() as connection:
        assets.check_references(connection, request.entity_id, request.derived_from, request.loc)


def model_metadata(staged: StagedFile, filename: str) -> list[dict[str, Any]]:
    """The `Safetensors` entry of a model file, read from the staged bytes before they are
    stored (one small read at their start); none for other files or an invalid header."""
    if not safetensors.is_model_file(filename):
        return []
    label = f"{staged.sha256} ({filename})"
    with staged.reader() as stream:
        entry = safetensors.metadata_entry(stream, staged.byte_size, label)
    return [] if entry is None else [entry]


def describe(intake: Intake, staged: StagedFile, request: Request) -> dict[str, Any]:
    """The new row's fields, storage aside; 422 for a bad sidecar, name or an empty file."""
    metadata = []
    if request.sidecar is not None:
        metadata.append(sidecar_entry(request.sidecar, request.sidecar_name, SIDECAR_LOC))
    filename = assets.plain_filename(request.filename, (*request.loc, "filename"))
    if staged.byte_size == 0:
        raise sidecar_problem("Uploaded file was empty", ("body", "file"))
    mime_type = request.mime_type or mimetypes.guess_type(filename)[0] or DEFAULT_MIME_TYPE
    metadata.extend(model_metadata(staged, filename))
    return {
        "asset_id": staged.sha256,
        "kind": request.kind,
        "filename": filename,
        "byte_size": staged.byte_size,
        "mime_type": mime_type,
        "metadata": metadata,
        "derived_from": request.derived_from,
        "metadata_status": intake.metadata.status_for(filename),
        "thumbnail_status": intake.thumbnails.status_for(mime_type),
    }


def record_in_transaction(
    connection, fields: dict[str, Any], request: Request, absent: bool = False
) -> bool:
    assets.check_references(connection, request.entity_id, request.derived_from, request.loc)
    if request.derived_from == fields["asset_id"]:
        validate.fail((*request.loc, "derived_from"), "an asset cannot derive from itself")
    created = assets.record(connection, fields, absent)
    if request.entity_id is not None:
        role = asset_links.KEEP_ROLE if request.role is None else request.role
        asset_links.link(connection, request.entity_id, fields["asset_id"], role)
    return created


def stage_for(intake: Intake, source: Path | BinaryIO, keep_in_memory: int = 0) -> StagedFile:
    return stage_source(source, intake.tmp_dir, intake.max_upload_bytes, keep_in_memory)
