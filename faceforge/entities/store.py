"""Storing entities: the `entities` row and the rows derived from it, always written together.

The derived rows keep reads fast at a million entities, and exist for live entities only:
- `entity_tags`: one row per tag, casefolded, for `tag=`;
- `entity_external_ids`: one row per (source, id), for bulk-upsert matching and to keep a pair
  on one entity at a time;
- `entity_search`: casefolded text of name, aliases and tags (`entity_text`) and of
  descriptor values (`descriptor_text`), for `q=`;
- `entity_totals.live_count`, so an unfiltered list reports `total` without counting.

An entity travels as a "state" dict: the API keys plus `entity_seq`, the internal row number.
Every function takes the connection of an open write transaction and a batch of states, so
bulk-upsert writes thousands of entities with a handful of statements.
"""

import functools
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable

from faceforge.db import execute_rows, live_row
from faceforge.entities.columns import (
    API_KEYS,
    ENTITY_COLUMNS,
    REWRITTEN_COLUMNS,
    state_reader,
    stored_values,
)
from faceforge.json_text import dumps

# Between the values of one search column, so a match cannot span two of them: a phrase never
# crosses a newline unless the query itself holds one.
SEPARATOR = "\n"


def value_row(count: int) -> str:
    """`(?, ?, ...)` with `count` parameters: the `row` of db.execute_rows."""
    return f"({', '.join('?' * count)})"


COLUMNS = ", ".join(column.name for column in ENTITY_COLUMNS)
INSERT_ENTITIES = f"INSERT INTO entities ({COLUMNS}) VALUES {{rows}}"
ENTITY_ROW = value_row(len(ENTITY_COLUMNS))
# A state from a row selected with COLUMNS, and a state as the values of a row.
from_row = state_reader(ENTITY_COLUMNS)
insert_values = stored_values(ENTITY_COLUMNS)


@functools.cache
def rewrite(keys: tuple[str, ...]) -> tuple[str, str, Callable[[dict], tuple]]:
    """The UPDATE of the columns of `keys` from VALUES rows (the columns' values, then
    entity_seq), for db.execute_rows: its SQL, its row, and the function from a state to its
    row."""
    columns = tuple(column for column in REWRITTEN_COLUMNS if column.key in keys)
    sql = (
        "UPDATE entities SET "
        + ", ".join(f"{column.name} = v.column{n}" for n, column in enumerate(columns, start=1))
        + " FROM (VALUES {rows}) AS v"
        + f" WHERE entities.entity_seq = v.column{len(columns) + 1}"
    )
    values = stored_values(columns)
    return sql, value_row(len(columns) + 1), lambda state: (*values(state), state["entity_seq"])


def rewritten_keys(old: dict, new: dict) -> tuple[str, ...]:
    """The keys of the columns an UPDATE from `old` to `new` sets: every rewritten one, except
    indexed ones that keep their value. SQLite rewrites the index entry of every indexed
    column an UPDATE sets, changed or not; for the display name that is a delete and an insert
    at a random place of its index (a merge of 10,000 entities that keep their names: 50-120
    ms less with it left out)."""
    return tuple(
        column.key
        for column in REWRITTEN_COLUMNS
        if not column.indexed or old[column.key] != new[column.key]
    )


def public(state: dict) -> dict:
    """The Entity object of API.md §4."""
    return {key: state[key] for key in API_KEYS}


def load_live(connection: sqlite3.Connection, entity_id: str) -> dict:
    """The live entity with this id, or NotFound (also for ids that are not ids)."""
    return from_row(
        live_row(connection, "entities", COLUMNS, "entity_id", entity_id, "Entity not found")
    )


def load_live_by(connection: sqlite3.Connection, column: str, values: Iterable) -> dict:
    """Live entities whose `column` (entity_id or entity_seq) is among `values`, keyed by it;
    values that match nothing are left out."""
    assert column in ("entity_id", "entity_seq")
    found = {}
    for row in connection.execute(
        f"SELECT {COLUMNS} FROM entities WHERE {column} IN (SELECT value FROM json_each(?))"
        " AND deleted_at IS NULL",
        (dumps(list(values)),),
    ):
        state = from_row(row)
        found[state[column]] = state
    return found


def next_seq(connection: sqlite3.Connection) -> int:
    """The row number the next new entity gets (the writer holds the database lock)."""
    return connection.execute("SELECT coalesce(max(entity_seq), 0) + 1 FROM entities").fetchone()[0]


def tag_keys(state: dict) -> set[str]:
    return {tag.casefold() for tag in state["tags"]}


def external_pairs(state: dict) -> set[tuple[str, str]]:
    return set(state["external_ids"].items())


def entity_text(state: dict) -> str:
    return SEPARATOR.join([state["display_name"], *state["aliases"], *state["tags"]]).casefold()


def insert(connection: sqlite3.Connection, states: list[dict]) -> None:
    """New live entities with their derived rows. Each state carries its `entity_seq`."""
    execute_rows(
        connection,
        INSERT_ENTITIES,
        ENTITY_ROW,
        (insert_values(state) for state in states),
    )
    insert_derived(connection, states)


def insert_derived(connection: sqlite3.Connection, states: list[dict]) -> None:
    """The derived rows of live entities whose `entities` rows exist and have none yet."""
    insert_tags(connection, ((key, s["entity_seq"]) for s in states for key in tag_keys(s)))
    insert_pairs(
        connection, ((*pair, s["entity_seq"]) for s in states for pair in external_pairs(s))
    )
    execute_rows(
        connection,
        "INSERT INTO entity_search (rowid, entity_text, descriptor_text) VALUES {rows}",
        "(?, ?, '')",
        ((state["entity_seq"], entity_text(state)) for state in states),
    )
    adjust_live_count(connection, len(states))


def index_all(connection: sqlite3.Connection) -> int:
    """Build the derived rows of every live entity, for entities written without them (an
    adopted 0.1.x database); returns how many live entities there are."""
    states = [
        from_row(row)
        for row in connection.execute(
            f"SELECT {COLUMNS} FROM entities WHERE deleted_at IS NULL ORDER BY entity_seq"
        )
    ]
    insert_derived(connection, states)
    return len(states)


def update(connection: sqlite3.Connection, changes: list[tuple[dict, dict]]) -> None:
    """Write `(old, new)` states of live entities (each entity once); derived rows change
    only where needed."""
    by_keys = defaultdict(list)
    for old, new in changes:
        by_keys[rewritten_keys(old, new)].append(new)
    for keys, states in by_keys.items():
        sql, row, values = rewrite(keys)
        execute_rows(connection, sql, row, map(values, states))
    tags_gone, tags_added, pairs_gone, pairs_added, texts = [], [], [], [], []
    for old, new in changes:
        seq = new["entity_seq"]
        old_tags, new_tags = tag_keys(old), tag_keys(new)
        tags_gone += [(key, seq) for key in old_tags - new_tags]
        tags_added += [(key, seq) for key in new_tags - old_tags]
        old_pairs, new_pairs = external_pairs(old), external_pairs(new)
        pairs_gone += old_pairs - new_pairs
        pairs_added += [(*pair, seq) for pair in new_pairs - old_pairs]
        text = entity_text(new)
        if text != entity_text(old):
            texts.append((text, seq))
    delete_tags(connection, tags_gone)
    insert_tags(connection, tags_added)
    delete_pairs(connection, pairs_gone)
    insert_pairs(connection, pairs_added)
    execute_rows(
        connection,
        "UPDATE entity_search SET entity_text = v.column1"
        " FROM (VALUES {rows}) AS v WHERE entity_search.rowid = v.column2",
        "(?, ?)",
        texts,
    )


def soft_delete(connection: sqlite3.Connection, state: dict, deleted_at: str) -> None:
    """Mark the entity deleted and drop its derived rows (its external ids become free)."""
    connection.execute(
        "UPDATE entities SET deleted_at = ?, updated_at = ? WHERE entity_seq = ?",
        (deleted_at, deleted_at, state["entity_seq"]),
    )
    delete_tags(connection, ((key, state["entity_seq"]) for key in tag_keys(state)))
    delete_pairs(connection, external_pairs(state))
    connection.execute("DELETE FROM entity_search WHERE rowid = ?", (state["entity_seq"],))
    adjust_live_count(connection, -1)


def set_descriptor_text(connection: sqlite3.Connection, entity_seq: int, values: list) -> None:
    """Make the searchable text of an entity's descriptors the given values."""
    text = SEPARATOR.join(
        value if isinstance(value, str) else dumps(value) for value in values
    ).casefold()
    connection.execute(
        "UPDATE entity_search SET descriptor_text = ? WHERE rowid = ?", (text, entity_seq)
    )


def insert_tags(connection: sqlite3.Connection, rows: Iterable[tuple[str, int]]) -> None:
    """Sorted first: a bulk call's tags fall on the same few index pages in turn (the same
    for the external ids below)."""
    execute_rows(
        connection,
        "INSERT INTO entity_tags (tag_key, entity_seq) VALUES {rows}",
        "(?, ?)",
        sorted(rows),
    )


def delete_tags(connection: sqlite3.Connection, rows: Iterable[tuple[str, int]]) -> None:
    connection.executemany("DELETE FROM entity_tags WHERE tag_key = ? AND entity_seq = ?", rows)


def insert_pairs(connection: sqlite3.Connection, rows: Iterable[tuple[str, str, int]]) -> None:
    execute_rows(
        connection,
        "INSERT INTO entity_external_ids (source, external_id, entity_seq) VALUES {rows}",
        "(?, ?, ?)",
        sorted(rows),
    )


def delete_pairs(connection: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> None:
    connection.executemany(
        "DELETE FROM entity_external_ids WHERE source = ? AND external_id = ?", pairs
    )


def owners_of(connection: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> dict:
    """`{(source, id): entity_seq}` for the pairs that belong to a live entity. The pairs are
    bound as parameters, not passed as one JSON text: SQLite's JSON functions cut a string at
    an escaped NUL character, and an id may hold one. Sorted, so that the lookups walk the
    index in its order."""
    rows = execute_rows(
        connection,
        "SELECT x.source, x.external_id, x.entity_seq FROM (VALUES {rows}) AS wanted"
        " JOIN entity_external_ids AS x"
        " ON x.source = wanted.column1 AND x.external_id = wanted.column2",
        "(?, ?)",
        sorted(pairs),
    )
    return {(source, external_id): seq for source, external_id, seq in rows}


def adjust_live_count(connection: sqlite3.Connection, delta: int) -> None:
    if delta:
        connection.execute(
            "UPDATE entity_totals SET live_count = live_count + ? WHERE singleton = 1", (delta,)
        )


def live_count(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT live_count FROM entity_totals").fetchone()[0]


def clear_thumbnail(connection: sqlite3.Connection, asset_id: str, updated_at: str) -> list[str]:
    """Live entities showing `asset_id` as their thumbnail show none (its asset was deleted);
    returns their ids. The thumbnail is in no derived row, so only `entities` changes."""
    showing = [
        row[0]
        for row in connection.execute(
            "SELECT entity_id FROM entities"
            " WHERE primary_thumbnail_asset_id = ? AND deleted_at IS NULL",
            (asset_id,),
        )
    ]
    connection.execute(
        "UPDATE entities SET primary_thumbnail_asset_id = NULL, updated_at = ?"
        " WHERE primary_thumbnail_asset_id = ? AND deleted_at IS NULL",
        (updated_at, asset_id),
    )
    return showing
