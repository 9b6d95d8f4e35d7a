"""Entities: create, read, PATCH and delete (API.md §6). Listing and search live in
listing.py and bulk-upsert in bulk_upsert.py; all of them store through store.py.

Every change writes its event in the same transaction. Deleting an entity also soft-deletes,
in that transaction, its asset links, its descriptors and its relationships (either side),
with an event for each.
"""

import sqlite3

from faceforge import clock, events, ids, validate
from faceforge.assets import links as asset_links
from faceforge.assets.rows import missing_assets
from faceforge.entities import descriptors, relationships
from faceforge.entities import store as entity_store
from faceforge.entities.columns import CHANGEABLE_KEYS, DEFAULTS
from faceforge.entities.field_defs import ENTITY_SCOPE, rules_for_scope
from faceforge.entities.field_values import FieldRule, fields_problems
from faceforge.entities.values import combine, read_values
from faceforge.errors import Conflict, ValidationError, problem


def reference_problems(
    rules: dict[str, FieldRule],
    missing: set[str],
    state: dict,
    values: dict,
    loc: tuple,
    *,
    creating: bool,
) -> list[dict]:
    """What the stored rules and rows say about an entity's new state: its fields against the
    definitions of scope `entity` (when fields are given, and always on create) and its
    thumbnail against the assets table."""
    problems = []
    if creating or "fields" in values:
        problems += fields_problems(rules, state["fields"], (*loc, "fields"))
    if values.get("primary_thumbnail_asset_id") in missing:
        problems.append(problem((*loc, "primary_thumbnail_asset_id"), "no such asset"))
    return problems


def check_state(connection: sqlite3.Connection, state: dict, values: dict, *, creating: bool):
    """Raise for a state that breaks a field definition, names a missing asset (422) or takes
    an external id that belongs to another live entity (409)."""
    problems = reference_problems(
        rules_for_scope(connection, ENTITY_SCOPE),
        missing_assets(connection, [values.get("primary_thumbnail_asset_id")]),
        state,
        values,
        ("body",),
        creating=creating,
    )
    if problems:
        raise ValidationError.many(problems)
    owners = entity_store.owners_of(connection, entity_store.external_pairs(state))
    taken = [pair for pair, seq in owners.items() if seq != state["entity_seq"]]
    if taken:
        raise Conflict(
            "external_ids: an id already belongs to another entity",
            [{"source": source, "external_id": external_id} for source, external_id in taken],
        )


def changed_keys(old: dict, new: dict) -> list[str]:
    return [key for key in CHANGEABLE_KEYS if old[key] != new[key]]


def get_entity(db, entity_id: str) -> dict:
    with db.read() as connection:
        return entity_store.public(entity_store.load_live(connection, entity_id))


def create_entity(db, body: dict) -> dict:
    values = read_values(body, creating=True)
    with db.write() as connection:
        now = clock.now()
        state = insert_new(connection, ids.new_id(), now, now, values)
    return entity_store.public(state)


def insert_new(connection, entity_id: str, created_at: str, updated_at: str, values: dict) -> dict:
    """Check and insert a new entity with these values, with its event: its state."""
    state = combine(
        {
            **DEFAULTS,
            "entity_seq": entity_store.next_seq(connection),
            "entity_id": entity_id,
            "created_at": created_at,
            "updated_at": updated_at,
        },
        values,
    )
    check_state(connection, state, values, creating=True)
    entity_store.insert(connection, [state])
    events.append(
        connection,
        "entity.created",
        "entity",
        state["entity_id"],
        {"display_name": state["display_name"]},
    )
    return state


def insert_exported(connection, entity: dict, loc: tuple) -> dict:
    """An Entity object as an export recorded it, inserted with its id and times kept; its
    values are read and checked as a create's body is. 409 when the id is taken."""
    values = read_values(entity, loc, creating=True)
    entity_id = validate.identifier(entity.get("entity_id"), (*loc, "entity_id"))
    if entity_store.load_live_by(connection, "entity_id", [entity_id]):
        raise Conflict(f"Entity {entity_id} already exists")
    created_at = validate.timestamp(entity.get("created_at"), (*loc, "created_at"))
    updated_at = validate.timestamp(entity.get("updated_at"), (*loc, "updated_at"))
    return insert_new(connection, entity_id, created_at, updated_at, values)


def update_entity(db, entity_id: str, body: dict) -> dict:
    """PATCH: the keys given replace the stored ones; a PATCH that changes nothing writes
    nothing (no new updated_at, no event)."""
    values = read_values(body, creating=False)
    with db.write() as connection:
        old = entity_store.load_live(connection, entity_id)
        new = combine(old, values)
        changed = changed_keys(old, new)
        if not changed:
            return entity_store.public(old)
        check_state(connection, new, values, creating=False)
        new["updated_at"] = clock.now()
        entity_store.update(connection, [(old, new)])
        events.append(connection, "entity.updated", "entity", entity_id, {"changed": changed})
    return entity_store.public(new)


def delete_entity(db, entity_id: str) -> dict:
    with db.write() as connection:
        state = entity_store.load_live(connection, entity_id)
        now = clock.now()
        entity_store.soft_delete(connection, state, now)
        asset_links.unlink_all(connection, "entity_id", entity_id, now)
        descriptors.delete_for_entity(connection, entity_id, now)
        relationships.delete_for_entity(connection, entity_id, now)
        events.append(
            connection,
            "entity.deleted",
            "entity",
            entity_id,
            {"display_name": state["display_name"]},
        )
    return {"deleted": True}
