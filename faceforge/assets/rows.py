"""Asset rows: reading, listing, editing, dedupe/restore and provenance; the only module
that writes the `assets` table.

An asset's id is the SHA-256 of its bytes, so one row exists per distinct content, live or
soft-deleted. Deleting keeps the bytes (the soft delete and the purge that removes them later
are in `maintenance.py`); ingesting the same bytes again brings the row back. Events are
written in the same transaction as the change they describe.
"""

import json
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from faceforge import clock, events, ids, json_text, validate
from faceforge import db as database
from faceforge.errors import NotFound, ValidationError, problem
from faceforge.paging import Paging, newest_first

MAX_FILENAME_CHARS = 1024
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# A Windows path with a drive (`C:\`, `C:/`) or a UNC path (`\\server\share\`): only in such
# a path is a backslash a separator; anywhere else it is part of the name.
WINDOWS_ABSOLUTE_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\")


def asset_from_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "asset_id": row["asset_id"],
        "kind": row["kind"],
        "filename": row["filename"],
        "content_hash": row["content_hash"],
        "byte_size": row["byte_size"],
        "mime_type": row["mime_type"],
        "storage_provider": row["storage_provider"],
        "storage_key": row["storage_key"],
        "meta": json.loads(row["meta_json"]),
        "derived_from_asset_id": row["derived_from_asset_id"],
        "user_metadata": json.loads(row["user_metadata_json"]),
        "metadata_status": row["metadata_status"],
        "thumbnail_status": row["thumbnail_status"],
        "media": None if row["media_json"] is None else json.loads(row["media_json"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def plain_filename(value: Any, loc: tuple) -> str:
    """The name the client sent without its leading directory path: `../../x.jpg` → `x.jpg`,
    and for a Windows drive or UNC path (old browsers send the full path) `C:\\a\\x.jpg` →
    `x.jpg`. Any other backslash is kept (`say "cheese" \\ now.txt` stays whole). Control
    characters are replaced by `_`. It is only ever a label, never a path."""
    if not isinstance(value, str):
        validate.fail(loc, "must be a string", "type_error")
    separators = r"[/\\]" if WINDOWS_ABSOLUTE_PATH.match(value) else "/"
    name = CONTROL_CHARACTERS.sub("_", re.split(separators, value)[-1]).strip()
    if name in ("", ".", ".."):
        validate.fail(loc, "a file name is required", "missing")
    if len(name) > MAX_FILENAME_CHARS:
        validate.fail(loc, f"must be at most {MAX_FILENAME_CHARS} characters", "value_error")
    return name


def is_live(row: sqlite3.Row | None) -> bool:
    """Whether an asset row (of `any_row` or `rows_by_id`) is live: the one place that says it."""
    return row is not None and row["deleted_at"] is None


def live_row(connection: sqlite3.Connection, asset_id: str) -> sqlite3.Row:
    """The live row, or 404 (a malformed id is a 404 too: it matches nothing)."""
    row = any_row(connection, asset_id)
    if not is_live(row):
        raise NotFound("Asset not found")
    return row


def any_row(connection: sqlite3.Connection, asset_id: str) -> sqlite3.Row | None:
    return connection.execute("SELECT * FROM assets WHERE asset_id = ?", (asset_id,)).fetchone()


def rows_by_id(
    connection: sqlite3.Connection, asset_ids: Iterable[str], columns: str = "*"
) -> dict[str, sqlite3.Row]:
    """The rows (live or not) of those of `asset_ids` that have one; `columns` must include
    `asset_id`."""
    rows = database.execute_rows(
        connection,
        f"SELECT {columns} FROM assets WHERE asset_id IN ({{rows}})",
        "?",
        [(asset_id,) for asset_id in asset_ids],
    )
    return {row["asset_id"]: row for row in rows}


def missing_assets(connection: sqlite3.Connection, asset_ids: Iterable[str | None]) -> set[str]:
    """The ids among `asset_ids` (None is skipped) that name no live asset."""
    wanted = {asset_id for asset_id in asset_ids if asset_id is not None}
    found = rows_by_id(connection, sorted(wanted), "asset_id, deleted_at")
    return {asset_id for asset_id in wanted if not is_live(found.get(asset_id))}


def get(db, asset_id: str) -> dict[str, Any]:
    with db.read() as connection:
        return asset_from_row(live_row(connection, asset_id))


def entity_is_live(connection: sqlite3.Connection, entity_id: str) -> bool:
    return ids.is_id(entity_id) and (
        connection.execute(
            "SELECT 1 FROM entities WHERE entity_id = ? AND deleted_at IS NULL", (entity_id,)
        ).fetchone()
        is not None
    )


def check_references(
    connection: sqlite3.Connection, entity_id: str | None, derived_from: str | None, loc: tuple
) -> None:
    """422 naming the field when `entity_id` or `derived_from` names nothing live."""
    problems = []
    if entity_id is not None and not entity_is_live(connection, entity_id):
        problems.append(problem((*loc, "entity_id"), "no such entity", "not_found"))
    if missing_assets(connection, [derived_from]):
        problems.append(problem((*loc, "derived_from"), "no such asset", "not_found"))
    if problems:
        raise ValidationError.many(problems)


def insert(connection: sqlite3.Connection, fields: dict[str, Any]) -> None:
    now = clock.now()
    connection.execute(
        """INSERT INTO assets (asset_id, kind, filename, content_hash, byte_size, mime_type,
               meta_json, storage_provider, storage_key, derived_from_asset_id,
               metadata_status, thumbnail_status, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            fields["asset_id"],
            fields["kind"],
            fields["filename"],
            fields["asset_id"],
            fields["byte_size"],
            fields["mime_type"],
            json_text.dumps({"metadata": fields["metadata"]}),
            fields["storage_provider"],
            fields["storage_key"],
            fields["derived_from"],
            fields["metadata_status"],
            fields["thumbnail_status"],
            now,
            now,
        ),
    )
    events.append(
        connection, "asset.created", "asset", fields["asset_id"], created_data(fields, False)
    )


def created_data(source, restored: bool) -> dict[str, Any]:
    """`asset.created`'s data, from the fields of new bytes or from a row brought back (whose
    kind and filename stay as they were)."""
    return {
        "kind": source["kind"],
        "filename": source["filename"],
        "byte_size": source["byte_size"],
        "restored": restored,
    }


def refresh(connection: sqlite3.Connection, row: sqlite3.Row, fields: dict[str, Any]) -> None:
    """Bytes seen again: bring a deleted row back, point it at re-stored bytes, attach a
    sidecar it does not hold yet, record provenance it lacks, retry a failed extraction."""
    meta = json.loads(row["meta_json"])
    changes = {}
    if not is_live(row):
        changes["deleted_at"] = None
    if (row["storage_provider"], row["storage_key"]) != (
        fields["storage_provider"],
        fields["storage_key"],
    ):
        changes["storage_provider"] = fields["storage_provider"]
        changes["storage_key"] = fields["storage_key"]
    held = {
        (entry.get("Source"), json.dumps(entry.get("Data"), sort_keys=True))
        for entry in meta["metadata"]
    }
    new_entries = [
        entry
        for entry in fields["metadata"]
        if (entry["Source"], json.dumps(entry["Data"], sort_keys=True)) not in held
    ]
    if new_entries:
        changes["meta_json"] = json_text.dumps({"metadata": meta["metadata"] + new_entries})
    if fields["derived_from"] is not None and row["derived_from_asset_id"] is None:
        changes["derived_from_asset_id"] = fields["derived_from"]
    if row["metadata_status"] == "failed" and fields["metadata_status"] == "pending":
        changes["metadata_status"] = "pending"
    if not changes:
        return
    if "deleted_at" in changes:
        write_changes(connection, row["asset_id"], changes)
        events.append(
            connection, "asset.created", "asset", row["asset_id"], created_data(row, True)
        )
    else:
        record_changes(connection, row, changes)


def write_changes(connection: sqlite3.Connection, asset_id: str, changes: dict[str, Any]) -> None:
    """UPDATE the given columns (names come from this module, never from a request)."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    connection.execute(
        f"UPDATE assets SET {assignments}, updated_at = ? WHERE asset_id = ?",
        (*changes.values(), clock.now(), asset_id),
    )


def record_changes(connection: sqlite3.Connection, row: sqlite3.Row, changes: dict) -> None:
    """Write the changes of a row and its `asset.updated` event: the changed fields by
    their API names and the metadata status after the change."""
    write_changes(connection, row["asset_id"], changes)
    data = {
        "fields": sorted(column.removesuffix("_json") for column in changes),
        "metadata_status": changes.get("metadata_status", row["metadata_status"]),
    }
    events.append(connection, "asset.updated", "asset", row["asset_id"], data)


def record(connection: sqlite3.Connection, fields: dict[str, Any], absent: bool = False) -> bool:
    """Insert the row of newly stored bytes, or refresh the row that already has them.
    True when the row is new. `absent`: the caller knows there is no row (it looked under
    the hash's lock), which saves a query per file in a bulk import."""
    row = None if absent else any_row(connection, fields["asset_id"])
    if row is None:
        insert(connection, fields)
        return True
    refresh(connection, row, fields)
    return False


def read_patch(body: dict[str, Any]) -> dict[str, Any]:
    """The columns a PATCH body changes: `kind`, `filename`, `user_metadata`."""
    changes: dict[str, Any] = {}
    if "kind" in body:
        changes["kind"] = validate.name(body["kind"], ("body", "kind"))
    if "filename" in body:
        changes["filename"] = plain_filename(body["filename"], ("body", "filename"))
    if "user_metadata" in body:
        metadata = validate.json_object(body["user_metadata"], ("body", "user_metadata"))
        changes["user_metadata_json"] = json_text.dumps(metadata)
    return changes


def update(db, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
    changes = read_patch(body)
    with db.write() as connection:
        row = live_row(connection, asset_id)
        changed = {column: value for column, value in changes.items() if row[column] != value}
        if changed:
            record_changes(connection, row, changed)
        return asset_from_row(live_row(connection, asset_id))


def soft_delete(connection: sqlite3.Connection, asset_id: str, deleted_at: str) -> None:
    connection.execute(
        "UPDATE assets SET deleted_at = ?, updated_at = ? WHERE asset_id = ?",
        (deleted_at, deleted_at, asset_id),
    )
    events.append(connection, "asset.deleted", "asset", asset_id)


def remove(connection: sqlite3.Connection, asset_id: str) -> None:
    """Remove the row for good (the purge; its bytes go with it)."""
    connection.execute("DELETE FROM assets WHERE asset_id = ?", (asset_id,))


def derived(db, asset_id: str) -> dict[str, list]:
    """Live assets whose `derived_from_asset_id` is this one, oldest first."""
    with db.read() as connection:
        live_row(connection, asset_id)
        rows = connection.execute(
            """SELECT * FROM assets WHERE derived_from_asset_id = ? AND deleted_at IS NULL
               ORDER BY created_at, asset_id""",
            (asset_id,),
        ).fetchall()
    return {"items": [asset_from_row(row) for row in rows]}


def like_prefix(text: str) -> str:
    """A LIKE pattern for `text*` in which `%`, `_` and `\\` are literal."""
    return re.sub(r"([%_\\])", r"\\\1", text) + "%"


def list_assets(db, filters: dict[str, str | None], paging: Paging) -> dict[str, Any]:
    """Live assets, newest first, filtered by kind, filename substring (`q`, case-insensitive),
    linked entity and MIME prefix."""
    clauses, values = ["deleted_at IS NULL"], []
    if filters.get("kind") is not None:
        clauses.append("kind = ?")
        values.append(filters["kind"])
    if filters.get("q") is not None:
        clauses.append("instr(lower(filename), lower(?)) > 0")
        values.append(filters["q"])
    if filters.get("mime_prefix") is not None:
        clauses.append("mime_type LIKE ? ESCAPE '\\'")
        values.append(like_prefix(filters["mime_prefix"]))
    if filters.get("entity_id") is not None:
        clauses.append(
            "asset_id IN (SELECT asset_id FROM entity_assets"
            " WHERE entity_id = ? AND deleted_at IS NULL)"
        )
        values.append(filters["entity_id"])
    with db.read() as connection:
        return newest_first(
            connection,
            "FROM assets",
            " AND ".join(clauses),
            values,
            paging,
            key=("created_at", "asset_id"),
            item=asset_from_row,
        )


def set_metadata_results(db, results: list[tuple[str, str, dict | None]]) -> None:
    """Record extraction outcomes `(asset_id, status, entry)` in one transaction; an `entry`
    replaces any earlier one from its Source."""
    with db.write() as connection:
        for asset_id, status, entry in results:
            row = any_row(connection, asset_id)
            if row is None:
                continue
            changes: dict[str, Any] = {"metadata_status": status}
            if entry is not None:
                kept = [
                    old
                    for old in json.loads(row["meta_json"])["metadata"]
                    if old.get("Source") != entry["Source"]
                ]
                changes["meta_json"] = json_text.dumps({"metadata": [*kept, entry]})
            record_changes(connection, row, changes)


def pending(db, status_column: str) -> list[str]:
    """Live assets still waiting for ExifTool (`metadata_status`) or ffmpeg
    (`thumbnail_status`), e.g. because the server stopped before it ran."""
    with db.read() as connection:
        rows = connection.execute(
            f"SELECT asset_id FROM assets WHERE {status_column} = 'pending' AND deleted_at IS NULL"
        ).fetchall()
    return [row["asset_id"] for row in rows]


def set_thumbnail_results(db, results: list[tuple[str, str, dict | None]]) -> None:
    """Record thumbnail outcomes `(asset_id, status, media facts or None)` in one
    transaction; a row left unchanged writes no event."""
    with db.write() as connection:
        for asset_id, status, media in results:
            row = any_row(connection, asset_id)
            if row is None:
                continue
            media_json = None if media is None else json_text.dumps(media)
            changes = {
                column: value
                for column, value in (("thumbnail_status", status), ("media_json", media_json))
                if row[column] != value
            }
            if changes:
                record_changes(connection, row, changes)


def pictures_and_videos(db) -> list[tuple[str, str]]:
    """(asset_id, thumbnail_status) of every live image and video, oldest first."""
    with db.read() as connection:
        rows = connection.execute(
            """SELECT asset_id, thumbnail_status FROM assets
               WHERE deleted_at IS NULL AND (mime_type LIKE 'image/%' OR mime_type LIKE 'video/%')
               ORDER BY created_at, asset_id"""
        ).fetchall()
    return [(row["asset_id"], row["thumbnail_status"]) for row in rows]
