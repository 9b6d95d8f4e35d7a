"""The append-only change feed. Domain code calls `append()` inside its own write transaction,
so an event exists exactly when the change it describes was committed."""

import json
import sqlite3

from faceforge import clock


def append(
    connection: sqlite3.Connection,
    event_type: str,
    subject_type: str,
    subject_id: str | None,
    data: dict | None = None,
) -> int:
    cursor = connection.execute(
        "INSERT INTO events (ts, type, subject_type, subject_id, data_json) VALUES (?, ?, ?, ?, ?)",
        (clock.now(), event_type, subject_type, subject_id, json.dumps(data) if data else None),
    )
    return cursor.lastrowid
