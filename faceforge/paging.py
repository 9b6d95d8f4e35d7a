"""Paging of lists (API.md §1): `limit` + `offset` as in 0.1.x, or an opaque keyset `cursor`.

A cursor is the sort key of the last item of a page, as base64url JSON. It means nothing to
clients; they pass back the `next_cursor` they were given. Keyset pages cost the same at any
depth because the query starts from the key instead of counting past `offset` rows.
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
class Page:
    limit: int
    offset: int
    after: list | None  # the decoded cursor: sort key of the last item already seen


def encode_cursor(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(text: str, size: int, loc: tuple = ("query", "cursor")) -> list:
    try:
        padded = text + "=" * (-len(text) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        key = None
    if not isinstance(key, list) or len(key) != size:
        validate.fail(loc, "is not a cursor this list gave out", "value_error")
    return key


def read_page(query: Mapping[str, str], key_size: int) -> Page:
    """`limit` (1..200, default 50) and either `offset` (≥ 0) or `cursor`."""
    limit = validate.integer(query.get("limit", DEFAULT_LIMIT), ("query", "limit"), 1, MAX_LIMIT)
    offset = validate.integer(query.get("offset", 0), ("query", "offset"), 0)
    cursor = query.get("cursor") or None
    if cursor is not None and offset:
        validate.fail(("query", "offset"), "use either offset or cursor, not both")
    after = decode_cursor(cursor, key_size) if cursor is not None else None
    return Page(limit=limit, offset=offset, after=after)


def page_of(fetched: list[dict], total: int, page: Page, key_of) -> dict:
    """The reply `{items, total, limit, offset, next_cursor}` from up to `limit + 1` fetched
    items (the extra one only tells that another page exists). `key_of(item)` is the sort key
    the next page starts after; `next_cursor` is null on the last page."""
    items = fetched[: page.limit]
    more = len(fetched) > page.limit
    return {
        "items": items,
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
        "next_cursor": encode_cursor(key_of(items[-1])) if more else None,
    }
