"""The `system.export` job (API.md §11): the library as a folder tree a person can read
without FaceForge; docs/export.md describes the tree exactly.

One folder per live entity, `<display name> (<first 8 of id>)/`, holding `entity.json` (the
Entity, its descriptors and relationships), each linked file under its own (safe, numbered
on collision) name, and a `<file>_meta.json` sidecar per file (the asset's fields, metadata
entries and link role). A full export puts assets no entity links to in `_unlinked/`.
`faceforge-export.json` at the top is written last: a tree without it is an unfinished export.

Files are copied, never linked (an export must outlive the home), streamed and hashed on
the way, each written under a temporary name and renamed into place once synced. An export
goes into a new or empty folder only: updating an old export in place could leave a mix of
two states that looks whole.
"""

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from faceforge import __version__, clock, validate
from faceforge.assets import links as asset_links
from faceforge.assets.bulk_import import SIDECAR_SUFFIX
from faceforge.entities import descriptors, field_defs, relationships
from faceforge.entities import store as entity_store
from faceforge.errors import ApiError, NotFound
from faceforge.exports.names import FolderNames, entity_folder_name
from faceforge.jobs.context import JobContext, JobFailed, JobKind

JOB_TYPE = "system.export"
FORMAT = "faceforge-export"
FORMAT_VERSION = 1
MANIFEST_NAME = "faceforge-export.json"
ENTITY_FILE = "entity.json"
UNLINKED_FOLDER = "_unlinked"
PARTIAL_SUFFIX = ".part"
# Entity ids read per query by an export of the whole library.
ID_PAGE_SIZE = 1000
# Where the manifest's `entities` array goes in its JSON text: the top-level key, two spaces
# in (nested keys are indented further, so no field definition can match it).
ENTITIES_PLACEHOLDER = '\n  "entities": []'
# The asset fields a sidecar keeps (where the bytes live in this home is no one else's business).
ASSET_FIELDS = (
    "asset_id",
    "kind",
    "filename",
    "byte_size",
    "mime_type",
    "derived_from_asset_id",
    "user_metadata",
    "metadata_status",
    "created_at",
    "updated_at",
)


class ExportRefused(Exception):
    """The destination cannot take an export; the message says why in one line."""


def kind(db, storage, home_root: Path) -> JobKind:
    """The job type as the runtime registers it, bound to the library it reads and the
    FACEFORGE_HOME it never writes into."""
    return JobKind(
        JOB_TYPE,
        functools.partial(prepare_input, db, home_root),
        functools.partial(run, db, storage),
    )


def prepare_input(db, home_root: Path, job_input: dict, loc: tuple) -> dict:
    """`destination` (an absolute folder, new or empty, outside FACEFORGE_HOME; created here)
    and `entity_ids` (live entities; absent or null: all of them); 422 naming the field."""
    raw_path = validate.name(
        validate.required(job_input, "destination", loc), (*loc, "destination")
    )
    entity_ids = job_input.get("entity_ids")
    if entity_ids is not None:
        entity_ids = live_entity_ids(db, entity_ids, (*loc, "entity_ids"))
    try:
        destination = ready_destination(raw_path, home_root)  # last: it creates the folder
    except ExportRefused as refused:
        validate.fail((*loc, "destination"), str(refused))
    return {"destination": str(destination), "entity_ids": entity_ids}


def ready_destination(raw_path: str, home_root: Path) -> Path:
    """The destination folder, created when missing; ExportRefused unless it is an absolute
    path outside FACEFORGE_HOME to an empty folder the server can write. Relative paths are
    refused: they would be relative to wherever the server runs (the CLI resolves them)."""
    if not Path(raw_path).expanduser().is_absolute():
        raise ExportRefused(f"{raw_path} is not an absolute path")
    path = Path(raw_path).expanduser().resolve()
    if path == home_root or home_root in path.parents:
        raise ExportRefused(f"{path} is inside FACEFORGE_HOME: export to a folder of your own")
    if path.exists() and not path.is_dir():
        raise ExportRefused(f"{path} is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportRefused(f"{path} cannot be created: {error.strerror or error}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ExportRefused(f"{path} is not writable")
    if any(path.iterdir()):
        raise ExportRefused(f"{path} is not empty: export into a new or empty folder")
    return path


def live_entity_ids(db, value, loc: tuple) -> list[str]:
    """The ids, each naming a live entity (422 naming the one that does not)."""
    if not isinstance(value, list) or not value:
        validate.fail(loc, "must be a non-empty list of entity ids", "type_error")
    with db.read() as connection:
        for index, entity_id in enumerate(value):
            if not (
                isinstance(entity_id, str)
                and entity_store.load_live_by(connection, "entity_id", [entity_id])
            ):
                validate.fail((*loc, index), "no such entity", "not_found")
    return list(dict.fromkeys(value))


def live_entity_count(db) -> tuple[int, int]:
    """How many live entities there are now, and the newest one's `entity_seq` (an export
    of all covers those; entities created meanwhile are left to the next export)."""
    with db.read() as connection:
        count, newest = connection.execute(
            "SELECT count(*), coalesce(max(entity_seq), 0) FROM entities WHERE deleted_at IS NULL"
        ).fetchone()
    return count, newest


def entity_ids_up_to(db, newest: int):
    """The ids of the live entities up to `newest`, oldest first, read a page at a time so
    that a library of a million entities is never held in memory at once."""
    after = 0
    while True:
        with db.read() as connection:
            page = connection.execute(
                "SELECT entity_seq, entity_id FROM entities WHERE deleted_at IS NULL"
                " AND entity_seq > ? AND entity_seq <= ? ORDER BY entity_seq LIMIT ?",
                (after, newest, ID_PAGE_SIZE),
            ).fetchall()
        if not page:
            return
        yield from (entity_id for _, entity_id in page)
        after = page[-1][0]


def entity_document(db, entity_id: str) -> tuple[dict, list[dict]]:
    """`entity.json`'s content and the entity's linked assets; NotFound if it went meanwhile."""
    with db.read() as connection:
        entity = entity_store.public(entity_store.load_live(connection, entity_id))
        linked = asset_links.all_linked_assets(connection, entity_id)
    document = {
        "entity": entity,
        "descriptors": descriptors.list_descriptors(db, entity_id)["items"],
        "relationships": relationships.list_relationships(db, entity_id)["items"],
        "files": [],
    }
    return document, linked


def sidecar_document(asset: dict) -> dict:
    return {
        "asset": {"sha256": asset["content_hash"], **{key: asset[key] for key in ASSET_FIELDS}},
        "role": asset.get("role"),
        "linked_at": asset.get("linked_at"),
        "metadata": asset["meta"]["metadata"],
    }


def write_atomically(target: Path, chunks) -> str:
    """Write the chunks under a temporary name beside `target`, sync, rename into place: the
    SHA-256 of what was written."""
    digest = hashlib.sha256()
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:
        with open(partial, "xb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest()


def write_json(target: Path, document: dict) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(target, [text.encode("utf-8")])


class Exporter:
    """One export run: the tree under `root`, and the counts it reports."""

    def __init__(self, db, storage, context: JobContext, root: Path, listed: BinaryIO):
        self.db = db
        self.storage = storage
        self.context = context
        self.root = root
        self.folder_names = FolderNames((MANIFEST_NAME, UNLINKED_FOLDER))
        self.counts = {"entities": 0, "files": 0, "bytes": 0, "errors": 0}
        # The manifest's `entities`, one JSON text per line, kept in a temporary file until
        # the manifest is written (a million of them would be hundreds of MB as objects).
        self.listed = listed
        self.unlinked: dict | None = None

    def chunks(self, asset: dict):
        """The stored bytes, with a checkpoint before each chunk (a cancel stops a long copy)."""
        provider = self.storage.provider(asset["storage_provider"])
        for chunk in provider.read_range(asset["storage_key"], 0, asset["byte_size"]):
            self.context.checkpoint()
            yield chunk

    def write_files(self, folder: Path, assets: list[dict], names: FolderNames) -> list[str]:
        """Each asset's bytes under its own name, then its sidecar: the names written. A file
        whose stored bytes cannot be read or do not match their hash is logged and left out;
        a failure to write (a full or read-only disk) stops the export."""
        written = []
        for asset in assets:
            self.context.checkpoint()
            name = names.claim(asset["filename"], SIDECAR_SUFFIX)
            target = folder / name
            try:
                sha256 = write_atomically(target, self.chunks(asset))
            except ApiError as error:  # storage: the bytes are missing, or S3 is unreachable
                self.leave_out(folder, name, error.message)
                continue
            if sha256 != asset["asset_id"]:
                target.unlink()
                self.leave_out(folder, name, "the stored bytes do not match their SHA-256")
                continue
            write_json(folder / (name + SIDECAR_SUFFIX), sidecar_document(asset))
            written.append(name)
            self.counts["files"] += 1
            self.counts["bytes"] += asset["byte_size"]
        return written

    def leave_out(self, folder: Path, name: str, problem: str) -> None:
        self.counts["errors"] += 1
        details = {"file": f"{folder.name}/{name}", "error": problem}
        self.context.log("error", "File left out", details)

    def export_entity(self, entity_id: str) -> str | None:
        """Write the entity's folder: its name, or None when the entity is gone."""
        try:
            document, linked = entity_document(self.db, entity_id)
        except NotFound:
            details = {"entity_id": entity_id, "error": "deleted during the export"}
            self.context.log("warning", "Entity left out", details)
            return None
        display_name = document["entity"]["display_name"]
        folder = self.root / self.folder_names.claim(entity_folder_name(display_name, entity_id))
        folder.mkdir()
        document["files"] = self.write_files(folder, linked, FolderNames((ENTITY_FILE,)))
        write_json(folder / ENTITY_FILE, document)
        listed = {"entity_id": entity_id, "folder": folder.name}
        self.listed.write(json.dumps(listed, ensure_ascii=False).encode("utf-8") + b"\n")
        self.counts["entities"] += 1
        return folder.name

    def export_unlinked(self) -> None:
        with self.db.read() as connection:
            unlinked = asset_links.unlinked_assets(connection)
        if unlinked:
            folder = self.root / UNLINKED_FOLDER
            folder.mkdir()
            files = self.write_files(folder, unlinked, FolderNames())
            self.unlinked = {"folder": UNLINKED_FOLDER, "files": files}

    def export(self, entity_ids, total: int, full: bool) -> None:
        """Every entity's folder, the unlinked files of a full export, then the manifest."""
        context = self.context
        try:
            for done, entity_id in enumerate(entity_ids, start=1):
                context.checkpoint()
                folder = self.export_entity(entity_id)
                line = {"entity_id": entity_id, "folder": folder, "done": done, "total": total}
                context.log("info", "Exported", line)
                context.progress(done, total, f"{done} of {total} entities")
            if full:
                self.export_unlinked()
            self.write_manifest(full)
        except OSError as error:
            raise JobFailed(
                "destination_unusable", f"writing {self.root} failed: {error}"
            ) from None

    def write_manifest(self, full: bool) -> None:
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "faceforge_version": __version__,
            "created_at": clock.now(),
            "complete_library": full,
            "counts": self.counts,
            "field_definitions": field_defs.list_field_defs(self.db, None)["items"],
            "entities": [],
            "unlinked": self.unlinked,
        }
        before, after = json.dumps(manifest, indent=2, ensure_ascii=False).split(
            ENTITIES_PLACEHOLDER
        )
        write_atomically(
            self.root / MANIFEST_NAME,
            [before.encode(), *self.listed_entities(), after.encode() + b"\n"],
        )

    def listed_entities(self):
        """The manifest's `entities` array, read back from the spool file a line at a time."""
        self.listed.seek(0)
        yield b'\n  "entities": ['
        for number, line in enumerate(self.listed):
            yield (b",\n    " if number else b"\n    ") + line.rstrip(b"\n")
        yield b"\n  ]" if self.counts["entities"] else b"]"


def run(db, storage, context: JobContext, job_input: dict) -> dict:
    root = Path(job_input["destination"])
    try:
        if not root.is_dir() or any(root.iterdir()):
            raise JobFailed("destination_not_empty", f"{root} is no longer an empty folder")
    except OSError as error:
        raise JobFailed("destination_unusable", f"{root}: {error.strerror or error}") from None
    full = job_input["entity_ids"] is None
    if full:
        total, newest = live_entity_count(db)
        entity_ids = entity_ids_up_to(db, newest)
    else:
        entity_ids = job_input["entity_ids"]
        total = len(entity_ids)
    context.log("info", f"Exporting {total} entities", {"destination": str(root), "total": total})
    with tempfile.TemporaryFile() as listed:
        exporter = Exporter(db, storage, context, root, listed)
        exporter.export(entity_ids, total, full)
    return {"destination": str(root), **exporter.counts}
