"""Field definitions: the types and rules of entity fields (scope `entity`) and of descriptor
values (any other scope, `descriptor` by default), as in 0.1.x plus the [fix]/[new] items of
API.md §4.

A definition is addressed by its id or, as a convenience, by its `field_key` within a scope
(`descriptor` unless the caller names another). A definition is checked whole, on create and
after every PATCH: the type must be known, a regex must compile (and only string fields take
one), an enum needs a non-empty list of string options, bounds must be numbers.
"""

import json
import sqlite3
from typing import Any

from faceforge import clock, events, ids, json_text, validate
from faceforge.db import find_live
from faceforge.entities.field_values import FIELD_TYPES, FieldRule, definition_errors
from faceforge.errors import Conflict, NotFound, ValidationError, problem

ENTITY_SCOPE = "entity"
DEFAULT_SCOPE = "descriptor"
COLUMNS = (
    "field_def_id, scope, field_key, field_type, required, options_json, regex,"
    " created_at, updated_at"
)
PUBLIC_KEYS = ("scope", "field_key", "field_type", "required", "options", "regex")


def from_row(row: sqlite3.Row) -> dict:
    return {
        "field_def_id": row["field_def_id"],
        "scope": row["scope"],
        "field_key": row["field_key"],
        "field_type": row["field_type"],
        "required": bool(row["required"]),
        "options": json.loads(row["options_json"] or "{}"),
        "regex": row["regex"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def rule_of(definition: dict) -> FieldRule:
    return FieldRule(
        field_key=definition["field_key"],
        kind=FIELD_TYPES[definition["field_type"]],
        required=definition["required"],
        options=definition["options"],
        regex=definition["regex"],
    )


def rules_for_scope(connection: sqlite3.Connection, scope: str) -> dict[str, FieldRule]:
    """`{field_key: FieldRule}` of the live definitions of one scope."""
    rows = connection.execute(
        f"SELECT {COLUMNS} FROM field_definitions WHERE scope = ? AND deleted_at IS NULL",
        (scope,),
    )
    return {row["field_key"]: rule_of(from_row(row)) for row in rows}


def read_field_type(value: Any, loc: tuple) -> str:
    field_type = validate.name(value, loc).lower()
    return validate.choice(field_type, loc, tuple(FIELD_TYPES))


def read_options(value: Any, loc: tuple) -> dict:
    return {} if value is None else validate.json_object(value, loc)


def read_regex(value: Any, loc: tuple) -> str | None:
    if value is not None and not isinstance(value, str):
        validate.fail(loc, "must be a string or null", "type_error")
    return value


READERS = {
    "scope": validate.name,
    "field_key": validate.name,
    "field_type": read_field_type,
    "required": validate.boolean,
    "options": read_options,
    "regex": read_regex,
}
# In a PATCH, null clears these two; for the others null means "leave as is" (0.1.x).
NULL_CLEARS = frozenset({"options", "regex"})


def read_definition(body: dict, *, creating: bool) -> dict:
    """The definition keys `body` gives, cleaned; all problems reported together."""
    return validate.read_object(
        body,
        READERS,
        required=("field_key", "field_type") if creating else (),
        null_allowed=NULL_CLEARS,
    )


def check_definition(definition: dict) -> None:
    problems = definition_errors(
        FIELD_TYPES[definition["field_type"]], definition["options"], definition["regex"]
    )
    if problems:
        raise ValidationError.many([problem(("body", *place), msg) for place, msg in problems])


def row_values(definition: dict) -> tuple:
    return (
        definition["scope"],
        definition["field_key"],
        definition["field_type"],
        int(definition["required"]),
        json_text.dumps(definition["options"]),
        definition["regex"],
    )


def write_row(connection: sqlite3.Connection, definition: dict, *, creating: bool) -> None:
    """Insert or update; a second live definition of the same (scope, key) is a 409."""
    try:
        if creating:
            connection.execute(
                f"INSERT INTO field_definitions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    definition["field_def_id"],
                    *row_values(definition),
                    definition["created_at"],
                    definition["updated_at"],
                ),
            )
        else:
            connection.execute(
                "UPDATE field_definitions SET scope = ?, field_key = ?, field_type = ?,"
                " required = ?, options_json = ?, regex = ?, updated_at = ?"
                " WHERE field_def_id = ?",
                (*row_values(definition), definition["updated_at"], definition["field_def_id"]),
            )
    except sqlite3.IntegrityError:
        raise Conflict(
            "Field definition already exists",
            {"scope": definition["scope"], "field_key": definition["field_key"]},
        ) from None


def new_definition(body: dict, field_def_id: str, created_at: str, updated_at: str) -> dict:
    """The definition a create's body describes, read and checked whole; 422 otherwise."""
    values = read_definition(body, creating=True)
    definition = {
        "field_def_id": field_def_id,
        "scope": values.get("scope", DEFAULT_SCOPE),
        "field_key": values["field_key"],
        "field_type": values["field_type"],
        "required": values.get("required", False),
        "options": values.get("options", {}),
        "regex": values.get("regex"),
        "created_at": created_at,
        "updated_at": updated_at,
    }
    check_definition(definition)
    return definition


def create_field_def(db, body: dict) -> dict:
    now = clock.now()
    definition = new_definition(body, ids.new_id(), now, now)
    with db.write() as connection:
        insert(connection, definition)
    return definition


def insert(connection: sqlite3.Connection, definition: dict) -> None:
    """A checked new definition (its id and times chosen by the caller: new, or kept by an
    export being imported) with its event."""
    write_row(connection, definition, creating=True)
    events.append(
        connection,
        "field_def.created",
        "field_def",
        definition["field_def_id"],
        {"scope": definition["scope"], "field_key": definition["field_key"]},
    )


def list_field_defs(db, scope: str | None) -> dict:
    where, params = "deleted_at IS NULL", []
    if scope:
        where, params = "scope = ? AND deleted_at IS NULL", [scope]
    with db.read() as connection:
        rows = connection.execute(
            f"SELECT {COLUMNS} FROM field_definitions WHERE {where}"
            " ORDER BY scope, field_key, field_def_id",
            params,
        ).fetchall()
    return {"items": [from_row(row) for row in rows]}


def find(connection: sqlite3.Connection, id_or_key: str, scope: str | None) -> dict:
    """By id, else by field_key within `scope` (default `descriptor`); NotFound otherwise."""
    row = None
    if ids.is_id(id_or_key):
        row = connection.execute(
            f"SELECT {COLUMNS} FROM field_definitions WHERE field_def_id = ?"
            " AND deleted_at IS NULL",
            (id_or_key,),
        ).fetchone()
    if row is None:
        row = row_by_key(connection, scope or DEFAULT_SCOPE, id_or_key.strip())
    if row is None:
        raise NotFound("Field definition not found")
    return from_row(row)


def row_by_key(connection: sqlite3.Connection, scope: str, field_key: str) -> sqlite3.Row | None:
    return find_live(connection, "field_definitions", COLUMNS, scope=scope, field_key=field_key)


def find_rule(connection: sqlite3.Connection, scope: str, field_key: str) -> FieldRule | None:
    row = row_by_key(connection, scope, field_key)
    return None if row is None else rule_of(from_row(row))


def get_field_def(db, id_or_key: str, scope: str | None) -> dict:
    with db.read() as connection:
        return find(connection, id_or_key, scope)


def update_field_def(db, id_or_key: str, scope: str | None, body: dict) -> dict:
    values = read_definition(body, creating=False)
    with db.write() as connection:
        current = find(connection, id_or_key, scope)
        changed = [key for key in PUBLIC_KEYS if key in values and values[key] != current[key]]
        if not changed:
            return current
        definition = {**current, **values, "updated_at": clock.now()}
        check_definition(definition)
        write_row(connection, definition, creating=False)
        events.append(
            connection,
            "field_def.updated",
            "field_def",
            definition["field_def_id"],
            {"changed": changed},
        )
    return definition


def delete_field_def(db, id_or_key: str, scope: str | None) -> dict:
    with db.write() as connection:
        definition = find(connection, id_or_key, scope)
        now = clock.now()
        connection.execute(
            "UPDATE field_definitions SET deleted_at = ?, updated_at = ? WHERE field_def_id = ?",
            (now, now, definition["field_def_id"]),
        )
        events.append(
            connection,
            "field_def.deleted",
            "field_def",
            definition["field_def_id"],
            {"scope": definition["scope"], "field_key": definition["field_key"]},
        )
    return {"deleted": True}
