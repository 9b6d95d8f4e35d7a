"""Identifiers: 64 lowercase hex characters everywhere (API.md §1).

A new id is 12 hex digits of the creation time in milliseconds, then 52 random ones (208
random bits, unguessable). The time prefix makes the rows of a table's id index that are
written together land together, at the end of the index, instead of one on each of
thousands of pages: a bulk call of 10,000 entities with random ids wrote ~8,000 pages of the
`entity_id` index (docs/entities.md). Ids made in the same millisecond are in random order.
Ids of any other shape (random ones from 0.1.x and earlier versions) stay valid: an id is
only ever checked for its 64 hex characters.
"""

import re
import secrets
import time
from collections.abc import Iterator

ID_PATTERN = re.compile(r"[0-9a-f]{64}")
TIME_DIGITS = 12  # 48 bits of milliseconds since 1970: enough until the year 10889
RANDOM_BYTES = 26  # the other 52 hex digits
# Ids whose random bytes `new_ids` draws at once.
IDS_PER_DRAW = 1_000


def time_prefix() -> str:
    """The first 12 hex digits of an id made now."""
    return f"{time.time_ns() // 1_000_000:0{TIME_DIGITS}x}"


def new_id() -> str:
    return time_prefix() + secrets.token_hex(RANDOM_BYTES)


def new_ids() -> Iterator[str]:
    """Endless `new_id`s, their random bytes drawn a thousand at a time: os.urandom lets go
    of the GIL on every call, and a thread that draws 10,000 ids one by one waits for it
    10,000 times while another thread runs Python."""
    digits = RANDOM_BYTES * 2
    while True:
        pool = secrets.token_hex(RANDOM_BYTES * IDS_PER_DRAW)
        for start in range(0, len(pool), digits):
            yield time_prefix() + pool[start : start + digits]


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
