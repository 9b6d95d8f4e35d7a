"""What goes into a backup folder (API.md §11), written by a child process of the server.

Why a child process: on a home of 1,000,000 entities and 20,000 files, the copy done by a
thread of the server made the p99 latency of the requests it answered meanwhile 3-5 times
the idle one, while the same copy done by another process made it about twice the idle one
(docs/backups.md, "How fast"): a thread shares the interpreter lock and SQLite's
process-wide locks with the threads answering requests. The child runs at the lowest
priority. It reports progress, log lines and, at the end, the manifest as JSON lines on
stdout, and ends by itself when its stdin closes: a killed server leaves a `.partial`
folder, never a finished-looking backup, since the server, not the child, writes
MANIFEST.json.

The database is copied through SQLite's online backup API from a connection holding one
read transaction, so the copy is the database as of that moment, however much is written
meanwhile. In WAL mode a reader never blocks a writer, and a snapshot held by our own read
transaction is not disturbed by their commits, so the copy runs in steps of
SNAPSHOT_STEP_PAGES without ever starting over. The asset files to copy are read in that
same transaction first and copied by a second thread while the database is: rows and files
agree even while uploads go on. Files are content-addressed and never change, so a file the
previous complete backup already holds is hard-linked.
"""

import functools
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import faceforge
from faceforge import __version__, clock, json_text, processes
from faceforge.backups import folders
from faceforge.db import Database
from faceforge.jobs import queue as job_queue
from faceforge.storage.local import LocalStorage, syncfs

JOB_TYPE = "system.backup"
# Pages copied per step of the online backup (4 MiB at SQLite's default page size).
SNAPSHOT_STEP_PAGES = 1024
# How long a step waits before trying again when the database is busy or locked.
SNAPSHOT_RETRY_SECONDS = 0.05
# Progress lines are sent at most this often (the job records progress every second).
PROGRESS_INTERVAL_SECONDS = 0.25
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
# The distinct stored files the snapshot's rows name, in the order of their keys.
STORED_FILES = (
    "SELECT storage_provider, storage_key, min(content_hash) AS sha256,"
    " min(byte_size) AS byte_size FROM assets"
    " GROUP BY storage_provider, storage_key ORDER BY storage_key"
)
# The result a home restored from a backup shows for the job that took it.
RESTORED_NOTE = (
    "This home was restored from the backup this job took. The job was still running when"
    " the snapshot was taken; it is recorded as succeeded because only a complete, verified"
    " backup can be restored."
)


@dataclass(frozen=True)
class Request:
    """What the child is asked to write: paths as strings, since it travels as JSON."""

    job_id: str
    database: str
    config_file: str
    assets_root: str
    tmp_dir: str
    partial: str
    previous: str | None

    @property
    def folder(self) -> Path:
        """Where the backup will be once complete."""
        return Path(self.partial.removesuffix(folders.PARTIAL_SUFFIX))


def start(request: Request) -> subprocess.Popen:
    """The child process writing `request`, at the lowest priority. It runs isolated (`-I
    -S`: no environment variables, current folder or site packages on its import path) with
    the folder or archive this package was loaded from put first, so that it imports this
    very package, from a checkout, an installed wheel or the zipapp alike."""
    package_root = str(Path(faceforge.__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {package_root!r}); import {__name__} as c; c.main()"
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", code, json_text.dumps(asdict(request))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **processes.IDLE,
    )
    processes.lower_priority(process, processes.IDLE_NICENESS)
    return process


class Report:
    """The child's side of the conversation: one JSON object per line on stdout. Progress
    comes in parts done side by side (database pages, files) and is sent as their mean."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._lock = threading.Lock()
        self._parts: dict[str, tuple[int, int]] = {}
        self._last_progress = 0.0

    def send(self, message: dict) -> None:
        with self._lock:
            self._stream.write(json_text.dumps(message).encode() + b"\n")
            self._stream.flush()

    def progress(self, part: str, done: int, total: int) -> None:
        """`done` of `total` in `part` ("database pages", "files")."""
        with self._lock:
            self._parts[part] = (done, total)
            now = time.monotonic()
            if done < total and now - self._last_progress < PROGRESS_INTERVAL_SECONDS:
                return
            self._last_progress = now
            step = ", ".join(f"{name}: {d} of {t}" for name, (d, t) in self._parts.items())
            # Each part weighs the same: 300,000 pages would otherwise hide 20,000 files.
            shares = [d / t if t else 1.0 for d, t in self._parts.values()]
            permille = round(1000 * sum(shares) / len(shares))
        self.send({"progress": [permille, 1000, step]})

    def log(self, level: str, message: str, data: dict | None = None) -> None:
        self.send({"log": [level, message, data]})


def main() -> None:
    request = Request(**json_text.loads(sys.argv[1]))
    threading.Thread(target=end_when_stdin_closes, daemon=True).start()
    report = Report(sys.stdout.buffer)
    try:
        manifest, copied = fill(request, report)
    except (OSError, sqlite3.Error) as error:
        report.send({"failed": reason(error)})
        os._exit(1)  # at once: a copy still running in the other thread is of no use now
    report.send({"manifest": manifest, "copied": copied})


def end_when_stdin_closes() -> None:
    """The server holds the child's stdin open while it waits for it; when it closes, the
    server died (or gave up on the backup), and the child stops at once. (`os.read`, not
    `sys.stdin`: a daemon thread blocked inside a buffered reader aborts the interpreter's
    exit.)"""
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os._exit(1)


def reason(error: Exception) -> str:
    """What went wrong, as the system says it ("No space left on device"); the file named by
    the error is left out, since it may be the source of the copy rather than the target."""
    return getattr(error, "strerror", None) or str(error)


def fill(request: Request, report: Report) -> tuple[dict, dict]:
    """Write the snapshot, the settings and the files into the partial folder; the manifest
    to write and the counts of copied and linked files. The files are copied while the
    database is: the list of them is read in the snapshot's own transaction first."""
    partial = Path(request.partial)
    created_at = clock.now()
    database = partial / DATABASE_PATH
    storage = LocalStorage(Path(request.assets_root), Path(request.tmp_dir))
    previous = previous_files(Path(request.previous) if request.previous else None)
    copy_private(Path(request.config_file), partial / CONFIG_PATH)
    copier = ThreadPoolExecutor(1, thread_name_prefix="backup-files")
    try:

        def copy_files(asset_rows) -> Future:
            return copier.submit(copy_asset_files, storage, report, partial, asset_rows, previous)

        copying = snapshot_database(Path(request.database), database, report, copy_files)
        record_own_success(database, request.job_id, request.folder)
        own_files = [file_entry(partial, DATABASE_PATH), file_entry(partial, CONFIG_PATH)]
        schema_version, counts = snapshot_counts(database)
        report.log("info", "Database snapshot taken", {"counts": counts})
        files, s3_objects, copied = copying.result()
    finally:
        copier.shutdown(wait=False)
    make_durable(
        partial, [partial / path for path in (DATABASE_PATH, CONFIG_PATH, *copied["written"])]
    )
    manifest = {
        "faceforge_version": __version__,
        "schema_version": schema_version,
        "created_at": created_at,
        "counts": {**counts, "files": len(files), "s3_objects": len(s3_objects)},
        "files": own_files + files,
        "s3_objects": s3_objects,
    }
    return manifest, {"copied_files": len(copied["written"]), "linked_files": copied["linked"]}


def snapshot_database(
    source: Path, target: Path, report: Report, copy_files: Callable[[list], Future]
) -> Future:
    """Copy the database as of one moment into `target`, in steps, as a single file; the
    copy of the files its rows name, started by `copy_files` once those rows are read."""
    target.parent.mkdir(parents=True)
    db = Database(source)
    reader = db.connect()
    copy = sqlite3.connect(target)
    try:
        # The read transaction fixes the moment copied: every step reads the same snapshot,
        # and so does the query for the files.
        reader.execute("BEGIN")
        copying = copy_files(reader.execute(STORED_FILES).fetchall())
        reader.backup(
            copy,
            pages=SNAPSHOT_STEP_PAGES,
            progress=functools.partial(snapshot_progress, report),
            sleep=SNAPSHOT_RETRY_SECONDS,
        )
        reader.execute("ROLLBACK")
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
        reader.close()
        db.close()
    return copying


def snapshot_progress(report: Report, status: int, remaining: int, total: int) -> None:
    report.progress("database pages", total - remaining, total)


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


def snapshot_counts(database: Path) -> tuple[int, dict]:
    """The snapshot's schema version and its row counts."""
    connection = sqlite3.connect(database)
    try:
        schema_version = connection.execute("PRAGMA user_version").fetchone()[0]
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in COUNTED_TABLES
        }
    finally:
        connection.close()
    return schema_version, counts


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


def copy_asset_files(storage: LocalStorage, report: Report, partial: Path, asset_rows, previous):
    """Every filesystem-stored file of the snapshot's rows under `assets/` (hard-linked from
    the previous backup when it holds the same file), and the S3-stored ones listed."""
    files, s3_objects, written, linked = [], [], [], 0
    folders_made: set[Path] = set()
    total = len(asset_rows)
    for done, row in enumerate(asset_rows, start=1):
        report.progress("files", done, total)
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
            report.log("warning", "File gone before it was copied", {"path": path})
            continue
        if placed == "linked":
            linked += 1
        else:
            written.append(path)
        files.append({**entry, "path": path})
    return files, s3_objects, {"written": written, "linked": linked}


def place_file(storage: LocalStorage, partial: Path, path: str, row, previous) -> str | None:
    """Put one stored file at `path` in the backup: "linked" to the previous backup's copy
    of the same file, else "copied" from the store; None when the store no longer has it."""
    previous_folder, previous_hashes = previous
    target = partial / path
    if previous_hashes.get(path) == row["sha256"] and link(previous_folder / path, target):
        return "linked"
    try:
        shutil.copyfile(storage.path_of(row["storage_key"]), target)
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
