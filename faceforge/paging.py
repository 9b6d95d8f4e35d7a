"""Paging for every list that pages (API.md §1): `limit`/`offset` as in 0.1.x, or an opaque
keyset `cursor`, and the page shape `{items, total, limit, offset, next_cursor}`.

Generic on purpose: a cursor is a short JSON list of whatever the domain needs to resume
(typically the sort key and a tie-breaker), wrapped in URL-safe base64 so clients treat it as
opaque. The domain decides what goes in and checks what comes out (`cursor_values`).
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faceforge import json_text, validate

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# SQLite integers are 64-bit; a larger offset could not even be bound to a statement.
MAX_OFFSET = 2**63 - 1
CURSOR_LOC = ("query", "cursor")


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    cursor: list | None  # decoded values; None for the first page or offset paging


def read_paging(
    query: Mapping[str, str], default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> Paging:
    """`limit` (1..max, default 50), `offset` (>= 0) or `cursor`, from query parameters."""
    limit = default_limit
    if query.get("limit", "") != "":
        limit = validate.integer(query["limit"], ("query", "limit"), 1, max_limit)
    offset = 0
    if query.get("offset", "") != "":
        offset = validate.integer(query["offset"], ("query", "offset"), 0, MAX_OFFSET)
    cursor = None
    if query.get("cursor", "") != "":
        if offset:
            validate.fail(("query", "offset"), "use either offset or cursor, not both")
        cursor = decode_cursor(query["cursor"])
    return Paging(limit, offset, cursor)


def encode_cursor(values: list) -> str:
    raw = json_text.dumps(values).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> list:
    """The values inside a cursor; 422 on ("query", "cursor") for anything we did not make."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json_text.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        malformed_cursor()
    if not isinstance(values, list):
        malformed_cursor()
    return values


def malformed_cursor():
    validate.fail(CURSOR_LOC, "malformed cursor: pass back a next_cursor unchanged", "value_error")


def cursor_values(cursor: list, *types: type | tuple[type, ...]) -> list[Any]:
    """Check that a decoded cursor holds exactly the expected types, in order."""
    if len(cursor) != len(types):
        malformed_cursor()
    for value, expected in zip(cursor, types, strict=True):
        # JSON true/false arrive as bool, which Python also counts as int.
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            malformed_cursor()
        if isinstance(value, int) and not -MAX_OFFSET - 1 <= value <= MAX_OFFSET:
            malformed_cursor()
    return cursor


def newest_first(
    connection,
    source: str,
    where: str,
    values: list,
    paging: Paging,
    *,
    key: tuple[str, str],
    select: str = "*",
    cursor_key: tuple[str, str] | None = None,
    item=dict,
) -> dict:
    """One page of `SELECT {select} {source} WHERE {where}` ordered newest first by `key`
    (a time column, then an id column as tie-breaker), with its total and the cursor of the
    next page. `cursor_key` names those two values in a result row when `select` renames them;
    `item` turns a row into an item."""
    time_column, id_column = key
    keyset, keyset_values = "", []
    if paging.cursor is not None:
        keyset = f" AND ({time_column}, {id_column}) < (?, ?)"
        keyset_values = cursor_values(paging.cursor, str, str)
    total = connection.execute(f"SELECT count(*) {source} WHERE {where}", values).fetchone()[0]
    rows = connection.execute(
        f"SELECT {select} {source} WHERE {where}{keyset}"
        f" ORDER BY {time_column} DESC, {id_column} DESC LIMIT ? OFFSET ?",
        (*values, *keyset_values, paging.limit + 1, paging.offset),
    ).fetchall()
    next_cursor = None
    if len(rows) > paging.limit:
        last = rows[paging.limit - 1]
        next_cursor = encode_cursor([last[name] for name in cursor_key or key])
    return page([item(row) for row in rows[: paging.limit]], total, paging, next_cursor)


def page(items: list, total: int, paging: Paging, next_cursor: str | None) -> dict:
    """The page shape. `offset` is null for a cursor page: its position is not counted."""
    return {
        "items": items,
        "total": total,
        "limit": paging.limit,
        "offset": None if paging.cursor is not None else paging.offset,
        "next_cursor": next_cursor,
    }


def encoded_page(
    items_json: list[str], total: int, paging: Paging, next_cursor: str | None
) -> json_text.Encoded:
    """`page` as JSON text, with items that are JSON text already (built by SQLite): they are
    put in as they are, never parsed and encoded again."""
    empty = json_text.dumps(page([], total, paging, next_cursor))
    head = '{"items":['
    return json_text.Encoded(head + ",".join(items_json) + empty[len(head) :])
