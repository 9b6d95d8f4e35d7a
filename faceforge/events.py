"""The append-only change feed. Domain code calls `append()` (or `append_many()` for a batch)
inside its own write transaction, so an event exists exactly when the change it describes was
committed."""

import sqlite3
from collections.abc import Iterable

from faceforge import clock
from faceforge.db import execute_rows
from faceforge.json_text import dumps, parse_nullable

INSERT_EVENTS = "INSERT INTO events (ts, type, subject_type, subject_id, data_json) VALUES {rows}"
EVENT_ROW = "(?, ?, ?, ?, ?)"
INSERT_EVENT = INSERT_EVENTS.replace("{rows}", EVENT_ROW)


def encode_data(data: dict | None) -> str | None:
    return dumps(data) if data else None


def append(
    connection: sqlite3.Connection,
    event_type: str,
    subject_type: str,
    subject_id: str | None,
    data: dict | None = None,
) -> int:
    cursor = connection.execute(
        INSERT_EVENT,
        (clock.now(), event_type, subject_type, subject_id, encode_data(data)),
    )
    return cursor.lastrowid


def append_many(
    connection: sqlite3.Connection,
    events: Iterable[tuple[str, str, str | None, dict | None]],
) -> None:
    """Many `(event_type, subject_type, subject_id, data)` at once, with one timestamp."""
    ts = clock.now()
    execute_rows(
        connection,
        INSERT_EVENTS,
        EVENT_ROW,
        (
            (ts, event_type, subject_type, subject_id, encode_data(data))
            for event_type, subject_type, subject_id, data in events
        ),
    )


def event_dict(row: sqlite3.Row) -> dict:
    return {
        "event_id": row["event_id"],
        "ts": row["ts"],
        "type": row["type"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "data": parse_nullable(row["data_json"]),
    }


def type_condition(event_type: str | None) -> tuple[str, tuple]:
    """`asset.` matches every type starting with it (a range, so the index serves it);
    anything else matches exactly."""
    if not event_type:
        return "", ()
    if event_type.endswith("."):
        # "/" is the character after "." in code point order: [prefix, prefix with "/") is
        # exactly the set of strings that start with the prefix.
        return " AND type >= ? AND type < ?", (event_type, event_type[:-1] + "/")
    return " AND type = ?", (event_type,)


def last_id(db) -> int:
    """The newest event's id (0 before the first): where a client starts following from now."""
    with db.read() as connection:
        return connection.execute("SELECT coalesce(max(event_id), 0) FROM events").fetchone()[0]


def feed(db, after_id: int, event_type: str | None, limit: int) -> dict:
    """Events after `after_id`, oldest first. `next_after_id` is what to pass next time: the
    last event returned, or `after_id` again when there was nothing new."""
    condition, parameters = type_condition(event_type)
    with db.read() as connection:
        rows = connection.execute(
            f"SELECT * FROM events WHERE event_id > ?{condition} ORDER BY event_id LIMIT ?",
            (after_id, *parameters, limit),
        ).fetchall()
    items = [event_dict(row) for row in rows]
    return {"items": items, "next_after_id": items[-1]["event_id"] if items else after_id}
