"""Signed download URLs (API.md §2) for tools that cannot send a token header.

The signature is an HMAC-SHA256, keyed with `auth.url_signing_key`, over the purpose, the
asset id and the expiry (Unix seconds). It authorises GET and HEAD of that one download until
it expires; changing any part of the URL breaks it.
"""

import hashlib
import hmac
import time
from datetime import UTC, datetime

from faceforge import clock
from faceforge.assets import rows as assets
from faceforge.errors import Unauthorized

DEFAULT_EXPIRES_IN = 3600
MAX_EXPIRES_IN = 7 * 24 * 3600


def signature(key: str, asset_id: str, expires: int) -> str:
    message = f"download\n{asset_id}\n{expires}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_download(key: str, asset_id: str, expires_in: int, now: float | None = None) -> dict:
    expires = int(now if now is not None else time.time()) + expires_in
    sig = signature(key, asset_id, expires)
    return {
        "url": f"/v1/assets/{asset_id}/download?expires={expires}&sig={sig}",
        "expires_at": clock.format_time(datetime.fromtimestamp(expires, UTC)),
    }


def download_url(db, key: str, asset_id: str, expires_in: int) -> dict:
    """A signed download of a live asset (404 when there is none)."""
    return signed_download(key, assets.get(db, asset_id)["asset_id"], expires_in)


def check(key: str, asset_id: str, expires: str | None, sig: str | None, now: float | None = None):
    """Unauthorized unless `sig` signs this asset and `expires`, and `expires` is in the future.
    A blank key signs nothing (Core replaces one at start; this holds whatever the config says)."""
    if not key.strip() or not expires or not (expires.isascii() and expires.isdigit()) or not sig:
        raise Unauthorized("Invalid signature")
    if not hmac.compare_digest(sig.encode(), signature(key, asset_id, int(expires)).encode()):
        raise Unauthorized("Invalid signature")
    if int(expires) <= (now if now is not None else time.time()):
        raise Unauthorized("Signed URL has expired")
