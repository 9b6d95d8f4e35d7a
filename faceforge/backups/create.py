"""The `system.backup` job (API.md §11): a backup of the home taken while it keeps serving.

The database is copied through SQLite's online backup API from a connection holding one
read transaction, so the copy is the database as of that moment, however much is written
meanwhile. In WAL mode a reader never blocks a writer, and a snapshot held by our own read
transaction is not disturbed by their commits, so the copy runs in steps of
SNAPSHOT_STEP_PAGES without ever starting over. The asset files to copy are read from the
copy's own rows: rows and files agree even while uploads go on. Files are content-addressed
and never change, so a file the previous complete backup already holds is hard-linked.

Everything is written into `<name>.partial/`; MANIFEST.json goes in last (atomically) and
the folder is renamed to `<name>/` after it. A failure removes the partial folder.
"""

import functools
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from faceforge import __version__, clock, validate
from faceforge.backups import folders
from faceforge.config import Config
from faceforge.db import Database
from faceforge.home import config_path
from faceforge.jobs import queue as job_queue
from faceforge.jobs.context import JobContext, JobFailed, JobKind
from faceforge.storage import Storage
from faceforge.storage.local import fsync_path, syncfs

JOB_TYPE = "system.backup"
# Pages copied per step of the online backup (4 MiB at SQLite's default page size): a step
# is a short burst of reading, and the job can be canceled between steps.
SNAPSHOT_STEP_PAGES = 1024
# How long a step waits before trying again when the database is busy or locked.
SNAPSHOT_RETRY_SECONDS = 0.05
DATABASE_PATH = "db/core.sqlite3"
CONFIG_PATH = "config/core.json"
ASSETS_PREFIX = "assets/"
# The tables whose rows MANIFEST.json counts.
COUNTED_TABLES = (
    "entities",
    "assets",
    "entity_assets",
    "descriptors",
    "relationships",
    "field_definitions",
    "jobs",
    "events",
    "plugin_registry",
)
# The result a home restored from a backup shows for the job that took it.
RESTORED_NOTE = (
    "This home was restored from the backup this job took. The job was still running when"
    " the snapshot was taken; it is recorded as succeeded because only a complete, verified"
    " backup can be restored."
)


@dataclass(frozen=True)
class Source:
    """What a backup reads, bound when the runtime registers the job; `lock` lets one
    backup run at a time."""

    db: Database
    storage: Storage
    config: Config
    lock: threading.Lock


def kind(db: Database, storage: Storage, config: Config) -> JobKind:
    source = Source(db, storage, config, threading.Lock())
    return JobKind(JOB_TYPE, prepare_input, functools.partial(run, source))


def prepare_input(job_input: dict, loc: tuple) -> dict:
    """`destination`: an existing folder given by its absolute path, or null for the
    configured backups folder. It must exist already, so that a typo is a 422 rather than a
    backup in a folder nobody looks at (whether it is writable, the job finds out)."""
    destination = job_input.get("destination")
    if destination is None:
        return {"destination": None}
    destination_loc = (*loc, "destination")
    folder = validate.existing_folder(validate.name(destination, destination_loc), destination_loc)
    if folder == Path(folder.anchor):
        validate.fail(destination_loc, "backing up into the filesystem root is not supported")
    return {"destination": str(folder)}


def run(source: Source, context: JobContext, job_input: dict) -> dict:
    requested = job_input.get("destination")
    root = Path(requested) if requested else folders.backups_root(source.config)
    with source.lock:
        folder, copied = write_backup(source, context, root)
    pruned = [] if requested else folders.prune(root, source.config["backup.keep"], folder.name)
    for old in pruned:
        context.log("info", "Removed an old backup", {"path": str(old)})
    return {**folders.describe(folder), **copied}


def write_backup(source: Source, context: JobContext, root: Path) -> tuple[Path, dict]:
    """The complete backup folder and how many files were copied or linked;
    nothing but the failure's reason when it cannot be finished."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        name, partial = claim_name(root, context)
    except OSError as error:
        raise JobFailed(
            "destination_unusable", f"cannot write to {root}: {reason(error)}"
        ) from None
    try:
        manifest, copied = fill(source, context, partial, folders.newest(root))
        write_manifest(partial, manifest)
        folder = root / name
        partial.rename(folder)
        sync_folder(root)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(error, (OSError, sqlite3.Error)):
            raise JobFailed("backup_failed", f"backup to {root} failed: {reason(error)}") from None
        raise
    context.log("info", "Backup complete", {"path": str(folder), **copied})
    return folder, copied


def reason(error: Exception) -> str:
    """What went wrong, as the system says it ("No space left on device"); the file named by
    the error is left out, since it may be the source of the copy rather than the target."""
    return getattr(error, "strerror", None) or str(error)


def claim_name(root: Path, context: JobContext) -> tuple[str, Path]:
    """A fresh stamp and its `.partial` folder, created here (a second backup within the
    same second waits for the next one)."""
    while True:
        name = folders.stamp(datetime.now(UTC))
        partial = root / f"{name}{folders.PARTIAL_SUFFIX}"
        if not (root / name).exists():
            try:
                partial.mkdir()
                return name, partial
            except FileExistsError:
                pass
        context.sleep(0.2)


def fill(source: Source, context: JobContext, partial: Path, previous: Path | None):
    """Write the snapshot, the settings and the files into `partial`; the manifest to write
    and the counts of copied and linked files."""
    created_at = clock.now()
    database = partial / DATABASE_PATH
    snapshot_database(source.db, database, context)
    folder = partial.with_name(partial.name.removesuffix(folders.PARTIAL_SUFFIX))
    record_own_success(database, context.job_id, folder)
    schema_version, counts, asset_rows = snapshot_contents(database)
    context.log("info", "Database snapshot taken", {"counts": counts})
    copy_private(config_path(source.config.home.root), partial / CONFIG_PATH)
    files, s3_objects, copied = copy_asset_files(
        source.storage, context, partial, asset_rows, previous_files(previous)
    )
    make_durable(
        partial, [partial / path for path in (DATABASE_PATH, CONFIG_PATH, *copied["written"])]
    )
    own_files = [file_entry(partial, path) for path in (DATABASE_PATH, CONFIG_PATH)]
    manifest = {
        "faceforge_version": __version__,
        "schema_version": schema_version,
        "created_at": created_at,
        "counts": {**counts, "files": len(files), "s3_objects": len(s3_objects)},
        "files": own_files + files,
        "s3_objects": s3_objects,
    }
    return manifest, {"copied_files": len(copied["written"]), "linked_files": copied["linked"]}


def snapshot_database(db: Database, target: Path, context: JobContext) -> None:
    """Copy the database as of one moment into `target`, in steps, as a single file."""
    target.parent.mkdir(parents=True)
    reader = db.connect()
    copy = sqlite3.connect(target)
    try:
        # The read transaction fixes the moment copied: every step reads the same snapshot.
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        reader.backup(
            copy,
            pages=SNAPSHOT_STEP_PAGES,
            progress=functools.partial(snapshot_progress, context),
            sleep=SNAPSHOT_RETRY_SECONDS,
        )
        reader.execute("ROLLBACK")
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
        reader.close()


def record_own_success(database: Path, job_id: str, folder: Path) -> None:
    """Mark this backup's job succeeded in its own snapshot. It was running at the moment
    copied, so a home restored from the backup would fail it as interrupted; but a snapshot
    is only ever restored from a backup that was completed and verifies, so in that home the
    job did succeed. The live home records the job's real end as usual."""
    connection = sqlite3.connect(database)
    try:
        with connection:
            row = {"job_id": job_id, "job_type": JOB_TYPE}
            result = {"path": str(folder), "note": RESTORED_NOTE}
            job_queue.finish(connection, row, "succeeded", result=result)
    finally:
        connection.close()


def snapshot_progress(context: JobContext, status: int, remaining: int, total: int) -> None:
    context.progress(total - remaining, total, f"database: {total - remaining} of {total} pages")
    context.checkpoint()


def snapshot_contents(database: Path) -> tuple[int, dict, list]:
    """The snapshot's schema version, its row counts and its distinct stored files."""
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        schema_version = connection.execute("PRAGMA user_version").fetchone()[0]
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in COUNTED_TABLES
        }
        asset_rows = connection.execute(
            "SELECT storage_provider, storage_key, min(content_hash) AS sha256,"
            " min(byte_size) AS byte_size FROM assets"
            " GROUP BY storage_provider, storage_key ORDER BY storage_key"
        ).fetchall()
    finally:
        connection.close()
    return schema_version, counts, asset_rows


def copy_private(source: Path, target: Path) -> None:
    """Copy a file readable by its owner only (core.json holds the token and keys)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as writer:
        writer.write(source.read_bytes())
    os.chmod(target, 0o600)


def previous_files(previous: Path | None) -> tuple[Path | None, dict[str, str]]:
    """The previous complete backup and its files' hashes by path (nothing to link from
    when there is none, or its manifest cannot be read)."""
    if previous is None:
        return None, {}
    try:
        manifest = folders.read_manifest(previous)
    except folders.BackupError:
        return None, {}
    return previous, {entry["path"]: entry["sha256"] for entry in manifest["files"]}


def copy_asset_files(storage: Storage, context: JobContext, partial: Path, asset_rows, previous):
    """Every filesystem-stored file of the snapshot's rows under `assets/` (hard-linked from
    the previous backup when it holds the same file), and the S3-stored ones listed."""
    files, s3_objects, written, linked = [], [], [], 0
    folders_made: set[Path] = set()
    total = len(asset_rows)
    for done, row in enumerate(asset_rows, start=1):
        context.checkpoint()
        context.progress(done, total, f"files: {done} of {total}")
        entry = {"sha256": row["sha256"], "byte_size": row["byte_size"]}
        if row["storage_provider"] != "fs":
            s3_objects.append({**entry, "key": row["storage_key"]})
            continue
        path = ASSETS_PREFIX + row["storage_key"]
        folder = (partial / path).parent
        if folder not in folders_made:
            folder.mkdir(parents=True, exist_ok=True)
            folders_made.add(folder)
        placed = place_file(storage, partial, path, row, previous)
        if placed is None:
            # Purged after the snapshot was taken: its row was already a deleted one.
            context.log("warning", "File gone before it was copied", {"path": path})
            continue
        if placed == "linked":
            linked += 1
        else:
            written.append(path)
        files.append({**entry, "path": path})
    return files, s3_objects, {"written": written, "linked": linked}


def place_file(storage: Storage, partial: Path, path: str, row, previous) -> str | None:
    """Put one stored file at `path` in the backup: "linked" to the previous backup's copy
    of the same file, else "copied" from the store; None when the store no longer has it."""
    previous_folder, previous_hashes = previous
    target = partial / path
    if previous_hashes.get(path) == row["sha256"] and link(previous_folder / path, target):
        return "linked"
    try:
        shutil.copyfile(storage.provider("fs").path_of(row["storage_key"]), target)
    except FileNotFoundError:
        return None
    return "copied"


def link(existing: Path, target: Path) -> bool:
    """Hard-link `target` to `existing`; False when the file system cannot (another file
    system, FAT, a link count at its limit) or the previous copy has gone."""
    try:
        os.link(existing, target)
    except OSError:
        return False
    return True


def make_durable(folder: Path, paths: list[Path]) -> None:
    """Flush the files written below `folder` to disk: one syncfs of its file system where
    there is one, else an fsync per file (opened for writing: Windows flushes no other)."""
    if syncfs(folder):
        return
    for path in paths:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def file_entry(partial: Path, path: str) -> dict:
    with open(partial / path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"sha256": digest, "byte_size": (partial / path).stat().st_size, "path": path}


def write_manifest(partial: Path, manifest: dict) -> None:
    """MANIFEST.json, written last and atomically: its presence says the backup is whole."""
    target = partial / folders.MANIFEST_NAME
    temp_path = target.with_name(f"{target.name}.tmp")
    with open(temp_path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp_path, target)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (folders cannot be opened for that on Windows)."""
    if os.name != "nt":
        fsync_path(folder)
