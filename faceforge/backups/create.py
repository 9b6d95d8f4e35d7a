"""The `system.backup` job (API.md §11): a backup of the home taken while it keeps serving.

A child process writes the database snapshot, the settings and the files
(backups/contents.py: what it writes and why in another process) into `<name>.partial/`,
and answers with the manifest. This job writes MANIFEST.json last (atomically) and renames
the folder to `<name>/` after it. A failure, a cancel or a shutdown stops the child and
removes the partial folder.
"""

import functools
import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from faceforge import json_text, processes, validate
from faceforge.backups import contents, folders
from faceforge.backups.contents import JOB_TYPE, reason
from faceforge.config import Config
from faceforge.db import Database
from faceforge.home import config_path
from faceforge.jobs.context import JobContext, JobFailed, JobKind
from faceforge.pipes import PipeReader
from faceforge.storage import Storage
from faceforge.storage.local import fsync_path

# How long the job waits for a line from the child before it looks for a cancel again.
LINE_WAIT_SECONDS = 0.2
# How long a child told to stop (cancel, shutdown) has before it is killed.
CHILD_STOP_SECONDS = 5


@dataclass(frozen=True)
class Source:
    """What a backup reads, bound when the runtime registers the job; `lock` lets one
    backup run at a time, and `in_use` names the backups pruning must leave alone."""

    db: Database
    storage: Storage
    config: Config
    in_use: folders.InUse
    lock: threading.Lock


def kind(db: Database, storage: Storage, config: Config, in_use: folders.InUse) -> JobKind:
    source = Source(db, storage, config, in_use, threading.Lock())
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
    keep = source.config["backup.keep"]
    pruned = [] if requested else folders.prune(root, keep, folder.name, source.in_use)
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
    """Have a child process write the snapshot, the settings and the files into `partial`
    (backups/contents.py says why); the manifest to write and the counts of copied and
    linked files."""
    local = source.storage.provider("fs")
    request = contents.Request(
        job_id=context.job_id,
        database=str(source.db.path),
        config_file=str(config_path(source.config.home.root)),
        assets_root=str(local.root),
        tmp_dir=str(local.tmp_dir),
        partial=str(partial),
        previous=str(previous) if previous else None,
    )
    try:
        process = contents.start(request)
    except OSError as error:
        message = f"cannot start the backup process: {reason(error)}"
        raise JobFailed("backup_failed", message) from None
    try:
        answer, said = follow(process, context)
    finally:
        processes.stop(process, CHILD_STOP_SECONDS)
        process.stdin.close()
    if "failed" in answer:
        raise JobFailed("backup_failed", f"backup to {partial.parent} failed: {answer['failed']}")
    if "manifest" not in answer or process.returncode != 0:
        last_words = said.strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
        raise JobFailed(
            "backup_failed", f"the backup process ended without finishing: {last_words[0]}"
        )
    return answer["manifest"], answer["copied"]


def follow(process, context: JobContext) -> tuple[dict, str]:
    """Pass the child's progress and log lines on to the job until it ends; its last answer
    (the manifest, or why it failed) and what it wrote to stderr. A cancel or a shutdown
    raises out of here, and the caller stops the child."""
    lines = PipeReader(process.stdout, "faceforge-backup-out")
    errors = PipeReader(process.stderr, "faceforge-backup-err")
    answer: dict = {}
    while True:
        context.checkpoint()
        try:
            line = lines.next_line(time.monotonic() + LINE_WAIT_SECONDS)
        except TimeoutError:
            continue
        if line is None:
            break
        message = json_text.loads(line.decode())
        if "progress" in message:
            context.progress(*message["progress"])
        elif "log" in message:
            context.log(*message["log"])
        else:
            answer = message
    process.wait()
    errors.wait_for_end(CHILD_STOP_SECONDS)
    return answer, errors.available().decode(errors="replace")


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
