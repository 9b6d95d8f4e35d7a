"""Identifiers: 64 lowercase hex characters everywhere (API.md §1)."""

import hashlib
import re
import secrets
import time
from collections.abc import Iterator

ID_PATTERN = re.compile(r"[0-9a-f]{64}")
# Hex digits of the creation time in a time-ordered id: milliseconds since 1970 fit in 12
# hex digits until the year 10889.
TIME_DIGITS = 12
RANDOM_DIGITS = 64 - TIME_DIGITS
# Ids whose random parts `time_ordered_ids` draws at once.
IDS_PER_DRAW = 1_000


def new_id() -> str:
    """A random id: SHA-256 of 16 random bytes, as in 0.1.x."""
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


def new_time_ordered_id() -> str:
    """An id that sorts after the ids made before it: the creation time in milliseconds
    (12 hex digits), then 52 random hex digits (208 random bits, more than a `new_id`'s 128),
    so it is as unguessable and as unlikely to collide, and looks the same to a client.

    For rows created in bulk: an index on random ids takes each new id at a random position,
    so a batch of 10,000 rewrites thousands of index pages spread over the whole index; ids
    in creation order are all appended at its end."""
    return time_ordered(secrets.token_hex(RANDOM_DIGITS // 2))


def time_ordered(random_digits: str) -> str:
    return f"{time.time_ns() // 1_000_000:0{TIME_DIGITS}x}{random_digits}"


def time_ordered_ids() -> Iterator[str]:
    """Endless `new_time_ordered_id`s, their random parts drawn a thousand at a time:
    os.urandom lets go of the GIL on every call, and a thread that draws 10,000 ids one by
    one waits for it 10,000 times while another thread runs Python."""
    while True:
        digits = secrets.token_hex(RANDOM_DIGITS // 2 * IDS_PER_DRAW)
        for start in range(0, len(digits), RANDOM_DIGITS):
            yield time_ordered(digits[start : start + RANDOM_DIGITS])


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
