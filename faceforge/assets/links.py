"""Links between entities and assets (`entity_assets`), each with an optional role; the only
module that writes that table, and so the only one that writes `asset.linked` and
`asset.unlinked` events.

The replies keep FaceForge 0.1.x's meanings: a link answers `{"linked": true}` whenever it
succeeds, also when the link was already there (the role is replaced when one is given); an
unlink answers `{"linked": true}` when it removed a link and `{"linked": false}` when there was
none. An `asset.linked` event is written only when something changed (a new link or a new
role), `asset.unlinked` only when a link was removed. Both ends must be live, else 404.
"""

import sqlite3
from typing import Any

from faceforge import clock, events, validate
from faceforge.assets.rows import asset_from_row, entity_is_live, live_row
from faceforge.db import find_live
from faceforge.errors import NotFound
from faceforge.paging import Paging, newest_first

MAX_ROLE_CHARS = 200
LINK_COLUMNS = "rowid, entity_id, asset_id, role"
KEEP_ROLE = object()


def read_role(value: Any, loc: tuple) -> str | None:
    """A role is optional: null or blank means none; otherwise trimmed text."""
    if value is None:
        return None
    if not isinstance(value, str):
        validate.fail(loc, "must be a string or null", "type_error")
    role = value.strip()
    if len(role) > MAX_ROLE_CHARS:
        validate.fail(loc, f"must be at most {MAX_ROLE_CHARS} characters")
    return role or None


def read_link_role(value: Any, entity_id: str | None, loc: tuple) -> str | None:
    """The role of the links an upload or a bulk import makes: as `read_role`, and only
    together with the entity to link to."""
    role = read_role(value, loc)
    if role is not None and entity_id is None:
        validate.fail(loc, "needs entity_id", "value_error")
    return role


def require_live_entity(connection: sqlite3.Connection, entity_id: str) -> None:
    if not entity_is_live(connection, entity_id):
        raise NotFound("Entity not found")


def live_link(connection: sqlite3.Connection, entity_id: str, asset_id: str) -> sqlite3.Row | None:
    return find_live(
        connection, "entity_assets", LINK_COLUMNS, entity_id=entity_id, asset_id=asset_id
    )


def live_links(connection: sqlite3.Connection, column: str, value: str) -> list[sqlite3.Row]:
    """The live links of one entity (`column` "entity_id") or of one asset ("asset_id")."""
    assert column in ("entity_id", "asset_id")
    return connection.execute(
        f"SELECT {LINK_COLUMNS} FROM entity_assets WHERE {column} = ? AND deleted_at IS NULL",
        (value,),
    ).fetchall()


def remove_links(connection: sqlite3.Connection, links: list[sqlite3.Row], now: str) -> None:
    """Soft-delete these live links, each with its `asset.unlinked` event."""
    connection.executemany(
        "UPDATE entity_assets SET deleted_at = ? WHERE rowid = ?",
        [(now, link["rowid"]) for link in links],
    )
    events.append_many(
        connection,
        (
            (
                "asset.unlinked",
                "asset",
                link["asset_id"],
                {"entity_id": link["entity_id"], "role": link["role"]},
            )
            for link in links
        ),
    )


def unlink_all(connection: sqlite3.Connection, column: str, value: str, now: str) -> None:
    """Remove every live link of an entity or an asset that is being deleted."""
    remove_links(connection, live_links(connection, column, value), now)


def forget_links(connection: sqlite3.Connection, asset_id: str) -> None:
    """Remove an asset's (already unlinked) link rows for good, as its purge does."""
    connection.execute("DELETE FROM entity_assets WHERE asset_id = ?", (asset_id,))


def link(connection: sqlite3.Connection, entity_id: str, asset_id: str, role=KEEP_ROLE) -> None:
    """Make (or re-role) the link, inside the caller's transaction; both ends checked live."""
    existing = live_link(connection, entity_id, asset_id)
    if existing is None:
        new_role = None if role is KEEP_ROLE else role
        connection.execute(
            "INSERT INTO entity_assets (entity_id, asset_id, role, created_at) VALUES (?, ?, ?, ?)",
            (entity_id, asset_id, new_role, clock.now()),
        )
    elif role is KEEP_ROLE or role == existing["role"]:
        return
    else:
        new_role = role
        connection.execute(
            "UPDATE entity_assets SET role = ? WHERE rowid = ?", (new_role, existing["rowid"])
        )
    events.append(
        connection, "asset.linked", "asset", asset_id, {"entity_id": entity_id, "role": new_role}
    )


def link_asset(db, entity_id: str, asset_id: str, body: dict[str, Any]) -> dict[str, bool]:
    role = read_role(body["role"], ("body", "role")) if "role" in body else KEEP_ROLE
    with db.write() as connection:
        require_live_entity(connection, entity_id)
        live_row(connection, asset_id)
        link(connection, entity_id, asset_id, role)
    return {"linked": True}


def unlink_asset(db, entity_id: str, asset_id: str) -> dict[str, bool]:
    """`linked` says whether a link was removed (0.1.x's reply), not whether one remains."""
    with db.write() as connection:
        require_live_entity(connection, entity_id)
        live_row(connection, asset_id)
        existing = live_link(connection, entity_id, asset_id)
        if existing is not None:
            remove_links(connection, [existing], clock.now())
    return {"linked": existing is not None}


def entity_assets(db, entity_id: str, kind: str | None, paging: Paging) -> dict[str, Any]:
    """The entity's live assets, most recently linked first, each with `role` and `linked_at`."""
    clauses = ["l.entity_id = ?", "l.deleted_at IS NULL", "a.deleted_at IS NULL"]
    values: list = [entity_id]
    if kind is not None:
        clauses.append("a.kind = ?")
        values.append(kind)
    with db.read() as connection:
        require_live_entity(connection, entity_id)
        return newest_first(
            connection,
            "FROM entity_assets l JOIN assets a ON a.asset_id = l.asset_id",
            " AND ".join(clauses),
            values,
            paging,
            select="a.*, l.role AS role, l.created_at AS linked_at",
            key=("l.created_at", "l.asset_id"),
            cursor_key=("linked_at", "asset_id"),
            item=lambda row: {
                **asset_from_row(row),
                "role": row["role"],
                "linked_at": row["linked_at"],
            },
        )


def asset_entities(db, asset_id: str) -> dict[str, list[dict[str, Any]]]:
    """The live entities a live asset is linked to, most recently linked first, each with the
    link's `role` and `linked_at`; 404 for an asset that is not live."""
    with db.read() as connection:
        live_row(connection, asset_id)
        rows = connection.execute(
            """SELECT e.entity_id, e.display_name, l.role, l.created_at AS linked_at
               FROM entity_assets l JOIN entities e ON e.entity_id = l.entity_id
               WHERE l.asset_id = ? AND l.deleted_at IS NULL AND e.deleted_at IS NULL
               ORDER BY l.created_at DESC, l.rowid DESC""",
            (asset_id,),
        ).fetchall()
    return {"items": [dict(row) for row in rows]}
