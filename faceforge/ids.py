"""Identifiers: 64 lowercase hex characters everywhere (API.md §1)."""

import hashlib
import re
import secrets

ID_PATTERN = re.compile(r"[0-9a-f]{64}")


def new_id() -> str:
    """A random id: SHA-256 of 16 random bytes, as in 0.1.x."""
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
