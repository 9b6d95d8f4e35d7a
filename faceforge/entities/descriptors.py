"""Descriptors: typed values attached to an entity, at most one live per (entity, scope,
field_key). As in 0.1.x, a descriptor needs a field definition of its scope and key, and its
value must pass it. Descriptor values are searchable (`q=`), so every change rewrites the
entity's descriptor text in the same transaction.
"""

import json
import sqlite3
from typing import Any

from faceforge import clock, events, ids, json_text, validate
from faceforge.db import live_row
from faceforge.entities import store as entity_store
from faceforge.entities.field_defs import DEFAULT_SCOPE, find_rule
from faceforge.entities.field_values import FieldRule, value_errors
from faceforge.errors import Conflict, ValidationError, problem

COLUMNS = "descriptor_id, entity_id, scope, field_key, value_json, created_at, updated_at"


def from_row(row: sqlite3.Row) -> dict:
    return {
        "descriptor_id": row["descriptor_id"],
        "entity_id": row["entity_id"],
        "scope": row["scope"],
        "field_key": row["field_key"],
        "value": json.loads(row["value_json"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def read_new_descriptor(body: dict) -> tuple[str, str, Any]:
    """`scope` (default `descriptor`), `field_key` (required), `value` (absent = null)."""
    values = validate.read_object(
        body, {"scope": validate.name, "field_key": validate.name}, required=("field_key",)
    )
    return values.get("scope", DEFAULT_SCOPE), values["field_key"], body.get("value")


def rule_for(connection: sqlite3.Connection, scope: str, field_key: str) -> FieldRule:
    rule = find_rule(connection, scope, field_key)
    if rule is None:
        msg = f"no field definition of scope {scope!r} has the key {field_key!r}"
        raise ValidationError.many(
            [problem(("body", "field_key"), msg)], "Unknown field definition"
        )
    return rule


def check_value(rule: FieldRule, value: Any) -> None:
    problems = value_errors(rule, value)
    if problems:
        raise ValidationError.many(
            [problem(("body", "value"), msg) for msg in problems], "Invalid descriptor value"
        )


def refresh_search(connection: sqlite3.Connection, entity_id: str) -> None:
    """Make the entity's searchable descriptor text match its live descriptors."""
    state = entity_store.load_live(connection, entity_id)
    values = [
        json.loads(row[0])
        for row in connection.execute(
            "SELECT value_json FROM descriptors WHERE entity_id = ? AND deleted_at IS NULL"
            " ORDER BY scope, field_key",
            (entity_id,),
        )
    ]
    entity_store.set_descriptor_text(connection, state["entity_seq"], values)


def refresh_all_searches(connection: sqlite3.Connection) -> None:
    """`refresh_search` for every live entity with live descriptors (an adopted database)."""
    for (entity_id,) in connection.execute(
        "SELECT DISTINCT d.entity_id FROM descriptors AS d JOIN entities AS e USING (entity_id)"
        " WHERE d.deleted_at IS NULL AND e.deleted_at IS NULL"
    ).fetchall():
        refresh_search(connection, entity_id)


def load_live(connection: sqlite3.Connection, descriptor_id: str) -> dict:
    return from_row(
        live_row(
            connection,
            "descriptors",
            COLUMNS,
            "descriptor_id",
            descriptor_id,
            "Descriptor not found",
        )
    )


def list_descriptors(db, entity_id: str) -> dict:
    with db.read() as connection:
        entity_store.load_live(connection, entity_id)
        rows = connection.execute(
            f"SELECT {COLUMNS} FROM descriptors WHERE entity_id = ? AND deleted_at IS NULL"
            " ORDER BY scope, field_key, descriptor_id",
            (entity_id,),
        ).fetchall()
    return {"items": [from_row(row) for row in rows]}


def event_data(descriptor: dict) -> dict:
    return {
        "entity_id": descriptor["entity_id"],
        "scope": descriptor["scope"],
        "field_key": descriptor["field_key"],
    }


def create_descriptor(db, entity_id: str, body: dict) -> dict:
    scope, field_key, value = read_new_descriptor(body)
    with db.write() as connection:
        entity_store.load_live(connection, entity_id)
        check_value(rule_for(connection, scope, field_key), value)
        now = clock.now()
        descriptor = {
            "descriptor_id": ids.new_id(),
            "entity_id": entity_id,
            "scope": scope,
            "field_key": field_key,
            "value": value,
            "created_at": now,
            "updated_at": now,
        }
        insert(connection, descriptor)
    return descriptor


def insert(connection: sqlite3.Connection, descriptor: dict) -> None:
    """A checked new descriptor (its id and times chosen by the caller: new, or kept by an
    export being imported), the entity's search text and the event; 409 for a second one."""
    try:
        connection.execute(
            f"INSERT INTO descriptors ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                descriptor["descriptor_id"],
                descriptor["entity_id"],
                descriptor["scope"],
                descriptor["field_key"],
                json_text.dumps(descriptor["value"]),
                descriptor["created_at"],
                descriptor["updated_at"],
            ),
        )
    except sqlite3.IntegrityError:
        raise Conflict("Descriptor already exists", event_data(descriptor)) from None
    refresh_search(connection, descriptor["entity_id"])
    events.append(
        connection,
        "descriptor.created",
        "descriptor",
        descriptor["descriptor_id"],
        event_data(descriptor),
    )


def update_descriptor(db, descriptor_id: str, body: dict) -> dict:
    """PATCH `{"value"}`: validated against the definition of the descriptor's scope and key."""
    value = body.get("value")
    with db.write() as connection:
        descriptor = load_live(connection, descriptor_id)
        check_value(rule_for(connection, descriptor["scope"], descriptor["field_key"]), value)
        if json_text.dumps(value) == json_text.dumps(descriptor["value"]):
            return descriptor
        descriptor = {**descriptor, "value": value, "updated_at": clock.now()}
        connection.execute(
            "UPDATE descriptors SET value_json = ?, updated_at = ? WHERE descriptor_id = ?",
            (json_text.dumps(value), descriptor["updated_at"], descriptor_id),
        )
        refresh_search(connection, descriptor["entity_id"])
        events.append(
            connection, "descriptor.updated", "descriptor", descriptor_id, event_data(descriptor)
        )
    return descriptor


def delete_descriptor(db, descriptor_id: str) -> dict:
    with db.write() as connection:
        descriptor = load_live(connection, descriptor_id)
        now = clock.now()
        connection.execute(
            "UPDATE descriptors SET deleted_at = ?, updated_at = ? WHERE descriptor_id = ?",
            (now, now, descriptor_id),
        )
        refresh_search(connection, descriptor["entity_id"])
        events.append(
            connection, "descriptor.deleted", "descriptor", descriptor_id, event_data(descriptor)
        )
    return {"deleted": True}


def delete_for_entity(connection: sqlite3.Connection, entity_id: str, now: str) -> None:
    """Soft-delete every live descriptor of an entity that is being deleted (its search row
    is already gone with it)."""
    rows = connection.execute(
        f"SELECT {COLUMNS} FROM descriptors WHERE entity_id = ? AND deleted_at IS NULL",
        (entity_id,),
    ).fetchall()
    connection.execute(
        "UPDATE descriptors SET deleted_at = ?, updated_at = ? WHERE entity_id = ?"
        " AND deleted_at IS NULL",
        (now, now, entity_id),
    )
    events.append_many(
        connection,
        (
            ("descriptor.deleted", "descriptor", row["descriptor_id"], event_data(from_row(row)))
            for row in rows
        ),
    )
