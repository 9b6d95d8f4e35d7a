"""Adopting a home written by FaceForge Core 0.1.x: its database becomes our schema version 1.

0.1.x kept its own migration table (`schema_migrations`, names 0001_init … 0004_…) and left
`PRAGMA user_version` at 0, so the ladder of migrate.py cannot tell it from an empty database.
`recognise` looks before the database is opened for writing (opening it switches it to WAL,
and a database we refuse must stay byte for byte as it was); `adopt` backs it up, then in ONE
transaction renames 0.1.x's tables to old_*, creates version 1, copies the rows across
(schema/adopt_0_1_x.sql, which also mends what 0.1.x allowed and we refuse), builds the rows
0.1.x never had (tags, search text, totals) through their owners, and sets user_version = 1.
A failure or a crash anywhere in it leaves the database as it was. Stored files are never
touched: storage keys were relative in 0.1.x already.
"""

import logging
import sqlite3
from pathlib import Path

from faceforge import resources
from faceforge.db import Database, DatabaseError, explain
from faceforge.entities import descriptors
from faceforge.entities import store as entity_store
from faceforge.migrate import backup, discover

log = logging.getLogger("faceforge.adopt")

# The migrations of FaceForge Core 0.1.9, the last 0.1.x: every 0.1.x home that 0.1.9 has
# opened holds exactly these.
UPSTREAM_MIGRATIONS = frozenset(
    ("0001_init", "0002_assets_storage", "0003_descriptors", "0004_jobs_inputs_and_cancel")
)
# 0.1.x's tables, renamed old_* for schema/adopt_0_1_x.sql to copy from.
UPSTREAM_TABLES = (
    "entities",
    "assets",
    "entity_assets",
    "field_definitions",
    "descriptors",
    "relationships",
    "jobs",
    "job_logs",
    "plugin_registry",
)
# The characters trim() removes from names, as SQL: space, tab, line feed, carriage return.
WHITESPACE = "' ' || char(9, 10, 13)"
# What the conversion mends or leaves out, counted in the 0.1.x tables before it runs:
# (what a log line says, the query counting it).
REPAIRS = (
    (
        "entities with a blank name were named '(no name)'",
        f"SELECT count(*) FROM entities WHERE trim(display_name, {WHITESPACE}) = ''",
    ),
    (
        "links, descriptors and relationships of deleted entities were ended with them",
        "SELECT (SELECT count(*) FROM entity_assets AS x JOIN entities AS e USING (entity_id)"
        "  WHERE x.deleted_at IS NULL AND e.deleted_at IS NOT NULL)"
        " + (SELECT count(*) FROM descriptors AS x JOIN entities AS e USING (entity_id)"
        "  WHERE x.deleted_at IS NULL AND e.deleted_at IS NOT NULL)"
        " + (SELECT count(*) FROM relationships AS x JOIN entities AS e"
        "  ON e.entity_id IN (x.src_entity_id, x.dst_entity_id)"
        "  WHERE x.deleted_at IS NULL AND e.deleted_at IS NOT NULL)",
    ),
    (
        "relationships with a blank type were given the type 'related'",
        f"SELECT count(*) FROM relationships WHERE trim(relationship_type, {WHITESPACE}) = ''",
    ),
    (
        "duplicate live relationships were ended (the oldest of each is kept)",
        "SELECT count(*) - count(DISTINCT src_entity_id || '/' || dst_entity_id || '/'"
        f" || coalesce(nullif(trim(relationship_type, {WHITESPACE}), ''), 'related'))"
        " FROM relationships WHERE deleted_at IS NULL",
    ),
    (
        "jobs left queued or running by 0.1.x were failed as interrupted",
        "SELECT count(*) FROM jobs WHERE deleted_at IS NULL"
        " AND status NOT IN ('succeeded', 'failed', 'canceled')",
    ),
    (
        "deleted jobs were left out with their logs",
        "SELECT count(*) FROM jobs WHERE deleted_at IS NOT NULL",
    ),
    (
        "links, descriptors, relationships and job log lines naming a row that does not exist"
        " were left out",
        "SELECT (SELECT count(*) FROM entity_assets WHERE entity_id NOT IN"
        "  (SELECT entity_id FROM entities) OR asset_id NOT IN (SELECT asset_id FROM assets))"
        " + (SELECT count(*) FROM descriptors WHERE entity_id NOT IN"
        "  (SELECT entity_id FROM entities))"
        " + (SELECT count(*) FROM relationships WHERE src_entity_id NOT IN"
        "  (SELECT entity_id FROM entities) OR dst_entity_id NOT IN"
        "  (SELECT entity_id FROM entities))"
        " + (SELECT count(*) FROM job_logs WHERE job_id NOT IN"
        "  (SELECT job_id FROM jobs WHERE deleted_at IS NULL))",
    ),
)
# The summary line: (what it counts, the query), in the adopted database.
ADOPTED_COUNTS = (
    ("entities", "SELECT count(*) FROM entities WHERE deleted_at IS NULL"),
    ("deleted entities", "SELECT count(*) FROM entities WHERE deleted_at IS NOT NULL"),
    ("assets", "SELECT count(*) FROM assets WHERE deleted_at IS NULL"),
    ("links", "SELECT count(*) FROM entity_assets WHERE deleted_at IS NULL"),
    ("descriptors", "SELECT count(*) FROM descriptors WHERE deleted_at IS NULL"),
    ("field definitions", "SELECT count(*) FROM field_definitions WHERE deleted_at IS NULL"),
    ("relationships", "SELECT count(*) FROM relationships WHERE deleted_at IS NULL"),
    ("jobs", "SELECT count(*) FROM jobs"),
    ("job log lines", "SELECT count(*) FROM job_logs"),
    ("plugins", "SELECT count(*) FROM plugin_registry"),
)


def recognise(db_path: Path) -> bool:
    """True for a FaceForge 0.1.x database, False for ours or none yet; DatabaseError, and
    the file untouched, for a database of any other schema. Reads through a read-only
    connection, before anything opens the file for writing."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return False
    try:
        connection = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise explain(error, db_path) from None
    try:
        return is_upstream(connection, db_path)
    except sqlite3.Error as error:
        raise explain(error, db_path) from None
    finally:
        connection.close()


def is_upstream(connection: sqlite3.Connection, db_path: Path) -> bool:
    if connection.execute("PRAGMA user_version").fetchone()[0] > 0:
        return False
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if not tables:
        return False
    if "schema_migrations" in tables:
        names = {row[0] for row in connection.execute("SELECT name FROM schema_migrations")}
        if names == UPSTREAM_MIGRATIONS:
            return True
        if names < UPSTREAM_MIGRATIONS:
            raise DatabaseError(
                f"the database {db_path} was written by an early FaceForge 0.1.x: open it once"
                " with FaceForge 0.1.9, then start this version; it was left unchanged"
            )
    raise DatabaseError(
        f"the database {db_path} has an unknown schema (neither FaceForge's nor FaceForge"
        " 0.1.x's): it was left unchanged; point FACEFORGE_HOME at another folder"
    )


def adopt(db: Database, backups_dir: Path) -> None:
    """Back the 0.1.x database up, then convert it to schema version 1 in one transaction."""
    connection = db.connection()
    try:
        saved_to = backup(db, backups_dir, 0)
        log.info("backed up the FaceForge 0.1.x database to %s before adopting it", saved_to)
        repairs = [(what, connection.execute(sql).fetchone()[0]) for what, sql in REPAIRS]
        counts = convert(connection)
    except sqlite3.Error as error:
        raise explain(error, db.path) from None
    for what, count in repairs:
        if count:
            log.warning("adopting FaceForge 0.1.x: %d %s", count, what)
    log.info(
        "adopted the FaceForge 0.1.x database %s: %s",
        db.path,
        ", ".join(f"{count} {what}" for what, count in counts),
    )


def convert(connection: sqlite3.Connection) -> list[tuple[str, int]]:
    """The conversion as one transaction; the ADOPTED_COUNTS it ends with."""
    version_one = discover()[0]
    renames = "".join(f"ALTER TABLE {table} RENAME TO old_{table};\n" for table in UPSTREAM_TABLES)
    copy_rows = (resources.schema_folder() / "adopt_0_1_x.sql").read_text(encoding="utf-8")
    try:
        # executescript() commits an open transaction first, so it opens ours itself and
        # leaves it open for the steps below.
        connection.executescript(f"BEGIN IMMEDIATE;\n{renames}{version_one.sql}\n{copy_rows}")
        entity_store.index_all(connection)
        descriptors.refresh_all_searches(connection)
        connection.execute(f"PRAGMA user_version = {version_one.version}")
        counts = [(what, connection.execute(sql).fetchone()[0]) for what, sql in ADOPTED_COUNTS]
        connection.execute("COMMIT")
    except BaseException as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise DatabaseError(
                f"adopting the FaceForge 0.1.x database failed and was rolled back: {error}"
            ) from None
        raise
    return counts
