"""Is this backup whole? `python faceforge.py verify BACKUP`, and the `system.backup_verify`
job (`POST /v1/admin/backups/{name}/verify`) for a listed backup. Every problem is one line.

The snapshot must pass SQLite's `PRAGMA integrity_check`, and every file MANIFEST.json names
(the snapshot and core.json included) must be there with its byte size and SHA-256.
"""

import functools
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from faceforge import validate
from faceforge.backups import folders
from faceforge.backups.contents import ASSETS_PREFIX, CONFIG_PATH, DATABASE_PATH
from faceforge.errors import NotFound
from faceforge.jobs.context import JobContext, JobKind
from faceforge.storage.local import KEY_PATTERN

JOB_TYPE = "system.backup_verify"


def problems(backup: Path, checked: Callable[[int, int], None] | None = None) -> list[str]:
    """What is wrong with the backup at `backup`, one sentence each; [] when it is whole.
    `checked(done, total)` hears of each file of the manifest once it is checked."""
    try:
        manifest = folders.read_manifest(backup)
    except folders.BackupError as error:
        return [str(error)]
    found = []
    total = len(manifest["files"])
    for number, entry in enumerate(manifest["files"]):
        try:
            problem = file_problem(backup, entry["path"], entry["byte_size"], entry["sha256"])
        except (KeyError, TypeError):
            problem = f"{folders.MANIFEST_NAME}: file entry {number} is malformed"
        if problem:
            found.append(problem)
        if checked:
            checked(number + 1, total)
    return found + database_problems(backup / DATABASE_PATH)


def is_backup_path(path: str) -> bool:
    """Whether a manifest path is one a backup writes: the snapshot, core.json or a stored
    file's key under assets/ (never anything a restore could be steered elsewhere with)."""
    if path in (DATABASE_PATH, CONFIG_PATH):
        return True
    return path.startswith(ASSETS_PREFIX) and bool(
        KEY_PATTERN.fullmatch(path.removeprefix(ASSETS_PREFIX))
    )


def file_problem(backup: Path, path: str, byte_size: int, sha256: str) -> str | None:
    if not is_backup_path(path):
        return f"{path}: not a file a backup holds"
    target = backup / path
    try:
        size = target.stat().st_size
        if size != byte_size:
            return f"{path}: {size} bytes, the manifest says {byte_size}"
        with open(target, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return f"{path}: missing"
    except OSError as error:
        return f"{path}: cannot be read: {error.strerror}"
    if digest != sha256:
        return f"{path}: content does not match its SHA-256 in the manifest"
    return None


def database_problems(database: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds in the snapshot (opened read-only)."""
    if not database.is_file():
        return []  # the manifest's file list has named it missing already
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        try:
            results = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.Error as error:
        return [f"{DATABASE_PATH}: {error}"]
    return [] if results == ["ok"] else [f"{DATABASE_PATH}: {result}" for result in results]


def kind(root: Path, in_use: folders.InUse) -> JobKind:
    """The job type as the runtime registers it, bound to the folder backups are listed from
    and to the backups being read (which pruning leaves alone)."""
    return JobKind(
        JOB_TYPE, functools.partial(prepare_input, root), functools.partial(run, root, in_use)
    )


def prepare_input(root: Path, job_input: dict, loc: tuple) -> dict:
    """`name`: a backup `GET /v1/admin/backups` lists, by name; never a path. 404 otherwise."""
    name = validate.name(validate.required(job_input, "name", loc), (*loc, "name"))
    if name not in {folder.name for folder in folders.complete_backups(root)}:
        raise NotFound(f"No complete backup named {name!r}")
    return {"name": name}


def run(root: Path, in_use: folders.InUse, context: JobContext, job_input: dict) -> dict:
    """Check the backup with progress and one error line per problem:
    `{ok, files_checked, problems}`."""
    counted = {"files": 0}

    def checked(done: int, total: int) -> None:
        counted["files"] = done
        context.progress(done, total, f"files: {done} of {total}")
        context.checkpoint()

    with in_use.reading(job_input["name"]):
        found = problems(root / job_input["name"], checked)
    for problem in found:
        context.log("error", "Problem found", {"problem": problem})
    return {"ok": not found, "files_checked": counted["files"], "problems": found}
