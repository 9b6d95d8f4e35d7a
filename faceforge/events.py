"""The append-only change feed. Domain code calls `append()` (or `append_many()` for a batch)
inside its own write transaction, so an event exists exactly when the change it describes was
committed."""

import json
import sqlite3
from collections.abc import Iterable

from faceforge import clock

INSERT_EVENT = (
    "INSERT INTO events (ts, type, subject_type, subject_id, data_json) VALUES (?, ?, ?, ?, ?)"
)


# json.dumps() with options builds a new encoder per call; batches of events share this one.
ENCODER = json.JSONEncoder(ensure_ascii=False)


def encode_data(data: dict | None) -> str | None:
    return ENCODER.encode(data) if data else None


def append(
    connection: sqlite3.Connection,
    event_type: str,
    subject_type: str,
    subject_id: str | None,
    data: dict | None = None,
) -> int:
    cursor = connection.execute(
        INSERT_EVENT, (clock.now(), event_type, subject_type, subject_id, encode_data(data))
    )
    return cursor.lastrowid


def append_many(
    connection: sqlite3.Connection,
    events: Iterable[tuple[str, str, str | None, dict | None]],
) -> None:
    """Many `(event_type, subject_type, subject_id, data)` at once, with one timestamp."""
    ts = clock.now()
    connection.executemany(
        INSERT_EVENT,
        [
            (ts, event_type, subject_type, subject_id, encode_data(data))
            for event_type, subject_type, subject_id, data in events
        ],
    )
