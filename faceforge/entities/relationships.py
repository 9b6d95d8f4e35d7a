"""Relationships between two live entities, and relation-type suggestions (API.md §6).

One live relationship per (source, destination, type): creating it again is a 409. Listing by
entity covers both sides and hides a relationship whose other side has been deleted (deleting
an entity also soft-deletes its relationships; the check covers rows written before that).
"""

import json
import sqlite3

from faceforge import clock, events, ids, json_text, validate
from faceforge.db import live_row
from faceforge.entities import store as entity_store
from faceforge.errors import Conflict, NotFound, problem

SEED_TYPES = (
    "friend",
    "family",
    "parent",
    "child",
    "sibling",
    "spouse",
    "partner",
    "coworker",
    "manager",
    "subordinate",
    "mentor",
    "student",
)
COLUMNS = (
    "relationship_id, src_entity_id, dst_entity_id, relationship_type, fields_json, created_at"
)
# Live relationships of one entity (either side) whose other side is live too.
LIVE_OF_ENTITY = """
SELECT r.relationship_id, r.src_entity_id, r.dst_entity_id, r.relationship_type,
       r.fields_json, r.created_at
FROM relationships AS r
JOIN entities AS src ON src.entity_id = r.src_entity_id AND src.deleted_at IS NULL
JOIN entities AS dst ON dst.entity_id = r.dst_entity_id AND dst.deleted_at IS NULL
WHERE r.relationship_id IN (
    SELECT relationship_id FROM relationships WHERE src_entity_id = :entity AND deleted_at IS NULL
    UNION
    SELECT relationship_id FROM relationships WHERE dst_entity_id = :entity AND deleted_at IS NULL
)
ORDER BY r.created_at DESC, r.relationship_id
"""


def from_row(row: sqlite3.Row) -> dict:
    return {
        "relationship_id": row["relationship_id"],
        "src_entity_id": row["src_entity_id"],
        "dst_entity_id": row["dst_entity_id"],
        "relationship_type": row["relationship_type"],
        "fields": json.loads(row["fields_json"]),
        "created_at": row["created_at"],
    }


def read_relationship(body: dict) -> dict:
    values = validate.read_object(
        body,
        {
            "src_entity_id": validate.name,
            "dst_entity_id": validate.name,
            "relationship_type": validate.name,
            "fields": validate.json_object,
        },
        required=("src_entity_id", "dst_entity_id", "relationship_type"),
    )
    return {
        "src_entity_id": values["src_entity_id"],
        "dst_entity_id": values["dst_entity_id"],
        "relationship_type": values["relationship_type"],
        "fields": values.get("fields", {}),
    }


def require_live_entity(connection: sqlite3.Connection, key: str, entity_id: str, label: str):
    """404 naming the body field, as 0.1.x answered for a missing side."""
    try:
        entity_store.load_live(connection, entity_id)
    except NotFound:
        raise NotFound(
            f"{label} entity not found",
            [problem(("body", key), "no such entity", "not_found")],
        ) from None


def event_data(relationship: dict) -> dict:
    return {
        key: relationship[key] for key in ("src_entity_id", "dst_entity_id", "relationship_type")
    }


def create_relationship(db, body: dict) -> dict:
    values = read_relationship(body)
    with db.write() as connection:
        require_live_entity(connection, "src_entity_id", values["src_entity_id"], "Source")
        require_live_entity(connection, "dst_entity_id", values["dst_entity_id"], "Destination")
        relationship = {"relationship_id": ids.new_id(), **values, "created_at": clock.now()}
        insert(connection, relationship)
    return relationship


def insert(connection: sqlite3.Connection, relationship: dict) -> None:
    """A relationship between two live entities (its id and time chosen by the caller: new,
    or kept by an export being imported) with its event; 409 for a second one."""
    try:
        connection.execute(
            f"INSERT INTO relationships ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (
                relationship["relationship_id"],
                relationship["src_entity_id"],
                relationship["dst_entity_id"],
                relationship["relationship_type"],
                json_text.dumps(relationship["fields"]),
                relationship["created_at"],
            ),
        )
    except sqlite3.IntegrityError:
        raise Conflict("Relationship already exists", event_data(relationship)) from None
    events.append(
        connection,
        "relationship.created",
        "relationship",
        relationship["relationship_id"],
        event_data(relationship),
    )


def list_relationships(db, entity_id: str) -> dict:
    with db.read() as connection:
        entity_store.load_live(connection, entity_id)
        rows = connection.execute(LIVE_OF_ENTITY, {"entity": entity_id}).fetchall()
    return {"items": [from_row(row) for row in rows]}


def delete_relationship(db, relationship_id: str) -> dict:
    with db.write() as connection:
        row = live_row(
            connection,
            "relationships",
            COLUMNS,
            "relationship_id",
            relationship_id,
            "Relationship not found",
        )
        connection.execute(
            "UPDATE relationships SET deleted_at = ? WHERE relationship_id = ?",
            (clock.now(), relationship_id),
        )
        events.append(
            connection, "relationship.deleted", "relationship", relationship_id, event_data(row)
        )
    return {"deleted": True}


def delete_for_entity(connection: sqlite3.Connection, entity_id: str, now: str) -> None:
    """Soft-delete the live relationships on either side of an entity being deleted."""
    rows = connection.execute(
        f"SELECT {COLUMNS} FROM relationships WHERE deleted_at IS NULL"
        " AND (src_entity_id = :entity OR dst_entity_id = :entity)",
        {"entity": entity_id},
    ).fetchall()
    connection.executemany(
        "UPDATE relationships SET deleted_at = ? WHERE relationship_id = ?",
        [(now, row["relationship_id"]) for row in rows],
    )
    events.append_many(
        connection,
        (
            ("relationship.deleted", "relationship", row["relationship_id"], event_data(row))
            for row in rows
        ),
    )


def relation_types(db, query: str, limit: int) -> dict:
    """The seed types and the types in use, without case-only duplicates; with a query, only
    those containing it (ignoring case), the ones starting with it first."""
    with db.read() as connection:
        in_use = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT relationship_type FROM relationships WHERE deleted_at IS NULL"
            )
        ]
    types: dict[str, str] = {}
    for name in (*SEED_TYPES, *in_use):
        types.setdefault(name.casefold(), name)
    needle = query.casefold()
    matching = [(folded, name) for folded, name in types.items() if needle in folded]
    matching.sort(key=lambda item: (not item[0].startswith(needle), item[0], item[1]))
    return {"items": [name for _, name in matching[:limit]]}
