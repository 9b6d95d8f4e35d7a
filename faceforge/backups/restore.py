"""`python faceforge.py restore BACKUP --home DIR`: a home made from a verified backup.

The backup is verified first; a home that holds anything is refused unless forced. Then the
asset files, core.json (with its install token and keys) and, last, the snapshot are copied
in; folders come from the restored core.json, as they would when that home starts.
"""

import shutil
from pathlib import Path

from faceforge import config as settings
from faceforge.backups import folders, verify
from faceforge.backups.contents import (
    ASSETS_PREFIX,
    CONFIG_PATH,
    DATABASE_PATH,
    copy_private,
    make_durable,
)
from faceforge.home import Home, config_path, layout


class RestoreRefused(Exception):
    """The restore did not start; `problems` lists what verify found, if that was why."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


def restore(backup: Path, root: Path, force: bool) -> dict:
    """Restore `backup` into the home at `root`; what was copied."""
    problems = verify.problems(backup)
    if problems:
        raise RestoreRefused(f"{backup} did not verify; nothing restored", problems)
    home = restored_layout(backup, root)
    if not force:
        refuse_occupied(root, home.db_path)
    manifest = folders.read_manifest(backup)
    copy_private(backup / CONFIG_PATH, config_path(root))
    written = [config_path(root)]
    for entry in manifest["files"]:
        if entry["path"].startswith(ASSETS_PREFIX):
            target = home.assets_dir / entry["path"].removeprefix(ASSETS_PREFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(backup / entry["path"], target)
            written.append(target)
    written.append(replace_database(backup / DATABASE_PATH, home.db_path))
    make_durable(root, written)
    return {"home": str(root), "files": len(written) - 2, "counts": manifest["counts"]}


def restored_layout(backup: Path, root: Path) -> Home:
    """The folders of the home at `root` as the backup's core.json places them (its
    `paths.*` settings may put the database outside the home)."""
    return layout(root, settings.read_checked(backup, {}, {}).section("paths"))


def refuse_occupied(root: Path, db_path: Path) -> None:
    """RestoreRefused when the home, or the database place its settings name, holds anything."""
    if any(root.iterdir() if root.is_dir() else ()):
        raise RestoreRefused(f"{root} is not empty: restore into an empty folder or add --force")
    if db_path.exists():
        raise RestoreRefused(f"{db_path} already exists: move it away or add --force")


def replace_database(snapshot: Path, db_path: Path) -> Path:
    """Put the snapshot in place of the home's database, with no WAL of the old one left
    beside it (SQLite would apply it to the new file)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = db_path.with_name(f"{db_path.name}.restoring")
    shutil.copyfile(snapshot, temp_path)
    for end in ("-wal", "-shm"):
        db_path.with_name(db_path.name + end).unlink(missing_ok=True)
    temp_path.replace(db_path)
    return db_path
