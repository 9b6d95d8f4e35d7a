"""The folders backups live in: their names, which ones are complete, listing and pruning.

A backup is written as `<name>.partial/` and renamed to `<name>/` only after its
MANIFEST.json is in place, so a folder is a complete backup exactly when its name is a bare
UTC stamp and it holds a manifest. Anything else (a `.partial` folder left by a crash, the
database copies the migration runner keeps beside them) is not listed and never serves as
the source of hard links.
"""

import contextlib
import logging
import re
import shutil
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from faceforge import json_text

log = logging.getLogger("faceforge.backups")

MANIFEST_NAME = "MANIFEST.json"
PARTIAL_SUFFIX = ".partial"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMP = re.compile(r"\d{8}T\d{6}Z")


class BackupError(Exception):
    """A backup folder cannot be used; the message names the folder and why."""


def backups_root(config) -> Path:
    """Where scheduled and requested backups go: `backup.dir` (relative to the home), or the
    home's backups folder (`paths.backups_dir`)."""
    chosen = config["backup.dir"]
    if not chosen:
        return config.home.backups_dir
    return (config.home.root / Path(chosen).expanduser()).resolve()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def stamp_time(name: str) -> datetime:
    return datetime.strptime(name, STAMP_FORMAT).replace(tzinfo=UTC)


def read_manifest(folder: Path) -> dict:
    """The folder's MANIFEST.json; BackupError when it is missing or unreadable."""
    path = folder / MANIFEST_NAME
    try:
        manifest = json_text.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a complete backup: it has no {MANIFEST_NAME}") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise BackupError(f"{path} is not a FaceForge backup manifest")
    return manifest


def complete_backups(root: Path) -> list[Path]:
    """The complete backups under `root`, oldest first."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    return sorted(
        entry
        for entry in entries
        if STAMP.fullmatch(entry.name) and (entry / MANIFEST_NAME).is_file()
    )


def newest(root: Path) -> Path | None:
    found = complete_backups(root)
    return found[-1] if found else None


def byte_size(manifest: dict) -> int:
    """What the backup's files add up to (hard-linked files count in full)."""
    return sum(entry["byte_size"] for entry in manifest["files"])


def describe(folder: Path) -> dict:
    manifest = read_manifest(folder)
    return {
        "name": folder.name,
        "path": str(folder),
        "created_at": manifest["created_at"],
        "byte_size": byte_size(manifest),
        "counts": manifest["counts"],
    }


def list_backups(root: Path) -> dict:
    """`GET /v1/admin/backups`: the complete backups, newest first. One whose manifest cannot
    be read is left out, with a warning in the log (`verify` says more about it)."""
    items = []
    for folder in reversed(complete_backups(root)):
        try:
            items.append(describe(folder))
        except (BackupError, KeyError, TypeError) as error:
            log.warning("backup %s is not listed: %s", folder, error)
    return {"items": items}


class InUse:
    """The backups a verify job is reading. Pruning leaves them for the next backup to
    remove: taking the folder away under a verify would make it report every file missing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._readers: Counter[str] = Counter()

    @contextlib.contextmanager
    def reading(self, name: str):
        with self._lock:
            self._readers[name] += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers[name] -= 1

    def __contains__(self, name: str) -> bool:
        with self._lock:
            return self._readers[name] > 0


def prune(root: Path, keep: int, finished: str, in_use: InUse) -> list[Path]:
    """Remove all but the `keep` newest complete backups (0 keeps all) that no verify is
    reading, and the `.partial` folders of backups that started before the one just
    `finished` (crash leftovers)."""
    complete = complete_backups(root)
    old = complete[:-keep] if keep else []
    being_read = [folder for folder in old if folder.name in in_use]
    for folder in being_read:
        log.info("backup %s is being verified; a later backup removes it", folder)
    doomed = [folder for folder in old if folder not in being_read]
    doomed += [
        entry
        for entry in root.glob(f"*{PARTIAL_SUFFIX}")
        if STAMP.fullmatch(entry.name.removesuffix(PARTIAL_SUFFIX))
        and entry.name.removesuffix(PARTIAL_SUFFIX) < finished
    ]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed
