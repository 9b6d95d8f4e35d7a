"""Identifiers: 64 lowercase hex characters everywhere (API.md §1)."""

import hashlib
import re
import secrets
from collections.abc import Iterator

ID_PATTERN = re.compile(r"[0-9a-f]{64}")
RANDOM_BYTES = 16
# Ids whose random bytes `new_ids` draws at once.
IDS_PER_DRAW = 1_000


def new_id() -> str:
    """A random id: SHA-256 of 16 random bytes, as in 0.1.x."""
    return hashlib.sha256(secrets.token_bytes(RANDOM_BYTES)).hexdigest()


def new_ids() -> Iterator[str]:
    """Endless `new_id`s, their random bytes drawn a thousand at a time: os.urandom lets go
    of the GIL on every call, and a thread that draws 10,000 ids one by one waits for it
    10,000 times while another thread runs Python."""
    while True:
        pool = secrets.token_bytes(RANDOM_BYTES * IDS_PER_DRAW)
        for start in range(0, len(pool), RANDOM_BYTES):
            yield hashlib.sha256(pool[start : start + RANDOM_BYTES]).hexdigest()


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
