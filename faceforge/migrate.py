"""The schema ladder: `schema/NNNN_name.sql`, applied in order, `PRAGMA user_version` = last.

Each file and its version bump run as one transaction. `executescript()` commits whatever is
open before it runs, so the runner itself puts `BEGIN IMMEDIATE;` in front of the script and
rolls back when any statement fails: a broken migration changes nothing. A database written by
a newer FaceForge is refused rather than guessed at, and a non-empty database is backed up
before it is changed.
"""

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from faceforge import clock, resources
from faceforge.db import Database, DatabaseError, explain

log = logging.getLogger("faceforge.migrate")
FILE_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(folder=None) -> list[Migration]:
    """The migrations in `folder` (default: the shipped schema/), checked to run 1..N."""
    folder = folder or resources.schema_folder()
    found = sorted(
        (int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (match := FILE_NAME.fullmatch(entry.name))
    )
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise DatabaseError(f"schema migrations must be numbered without gaps: {name}")
    return [Migration(version, name, sql) for version, name, sql in found]


def current_version(connection: sqlite3.Connection) -> int:
    return connection.execute("PRAGMA user_version").fetchone()[0]


def backup(db: Database, backups_dir: Path, version: int) -> Path:
    stamp = clock.now().replace(":", "").replace(".", "")
    target = backups_dir / f"core-v{version}-{stamp}.sqlite3"
    destination = sqlite3.connect(target)
    try:
        db.connection().backup(destination)
    finally:
        destination.close()
    return target


def migrate(db: Database, backups_dir: Path, migrations: list[Migration] | None = None) -> int:
    """Bring the database to the newest version; returns the version it is at."""
    migrations = discover() if migrations is None else migrations
    newest = len(migrations)
    connection = db.connection()
    try:
        version = current_version(connection)
        if version > newest:
            raise DatabaseError(
                f"the database {db.path} was written by a newer FaceForge (schema {version},"
                f" this version knows {newest}): upgrade FaceForge"
            )
        pending = migrations[version:]
        has_data = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if pending and has_data:
            log.info(
                "backed up the database to %s before migrating", backup(db, backups_dir, version)
            )
        for migration in pending:
            apply(connection, migration)
            log.info("applied migration %s", migration.name)
        return current_version(connection)
    except sqlite3.Error as error:
        raise explain(error, db.path) from None


def apply(connection: sqlite3.Connection, migration: Migration) -> None:
    script = (
        f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
    )
    try:
        connection.executescript(script)
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise DatabaseError(
            f"migration {migration.name} failed and was rolled back: {error}"
        ) from None
