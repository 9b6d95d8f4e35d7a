"""`python faceforge.py verify BACKUP`: is this backup whole? Every problem is one line.

The snapshot must pass SQLite's `PRAGMA integrity_check`, and every file MANIFEST.json names
(the snapshot and core.json included) must be there with its byte size and SHA-256.
"""

import hashlib
import sqlite3
from pathlib import Path

from faceforge.backups import folders
from faceforge.backups.create import ASSETS_PREFIX, CONFIG_PATH, DATABASE_PATH
from faceforge.storage.local import KEY_PATTERN


def problems(backup: Path) -> list[str]:
    """What is wrong with the backup at `backup`, one sentence each; [] when it is whole."""
    try:
        manifest = folders.read_manifest(backup)
    except folders.BackupError as error:
        return [str(error)]
    found = []
    for number, entry in enumerate(manifest["files"]):
        try:
            problem = file_problem(backup, entry["path"], entry["byte_size"], entry["sha256"])
        except (KeyError, TypeError):
            problem = f"{folders.MANIFEST_NAME}: file entry {number} is malformed"
        if problem:
            found.append(problem)
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
