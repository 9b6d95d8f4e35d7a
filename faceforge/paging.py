"""Paging of lists (API.md §1): `limit` + `offset` as in 0.1.x, or an opaque `cursor`.

A cursor holds the sort key of the last item sent (base64url of a JSON list), so the next page
is a keyset query (`WHERE (sort, id) < (?, ?)`) that costs the same at any depth. Every page
says `next_cursor` (null at the end), whichever way it was asked for.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from faceforge import validate

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    # The decoded cursor (sort key of the last item already seen), or None.
    after: tuple | None = None


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: str, arity: int) -> tuple:
    loc = ("query", "cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        validate.fail(loc, "is not a cursor this server handed out", "value_error")
    if not isinstance(values, list) or len(values) != arity:
        validate.fail(loc, "is not a cursor this server handed out", "value_error")
    if not all(isinstance(value, str | int) and not isinstance(value, bool) for value in values):
        validate.fail(loc, "is not a cursor this server handed out", "value_error")
    return tuple(values)


def read_paging(query: Mapping[str, str], arity: int = 2) -> Paging:
    """`limit` (1..200, default 50) with `offset` (≥ 0) or `cursor`; a cursor wins, and an
    empty value counts as absent."""
    limit = DEFAULT_LIMIT
    if query.get("limit"):
        limit = validate.integer(query["limit"], ("query", "limit"), 1, MAX_LIMIT)
    if query.get("cursor"):
        return Paging(limit, 0, decode_cursor(query["cursor"], arity))
    offset = validate.integer(query.get("offset") or "0", ("query", "offset"), 0, 2**62)
    return Paging(limit, offset)


def page(items: list, total: int, paging: Paging, next_key: list | None) -> dict:
    """The reply: `items`, `total`, `limit`, `offset` (null when a cursor was used), and
    `next_cursor` built from `next_key` (the last item's sort key when more follow)."""
    return {
        "items": items,
        "total": total,
        "limit": paging.limit,
        "offset": None if paging.after is not None else paging.offset,
        "next_cursor": encode_cursor(next_key) if next_key is not None else None,
    }
