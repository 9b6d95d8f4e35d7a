"""One-time login links: whoever opens one within a minute gets the web UI's cookie, once.

The launcher and `python faceforge.py open` use them to log the default browser in without
showing the install token. Only the SHA-256 of a link's secret is stored, so the database never
holds a usable link; using a link deletes its row in the same statement that checks it, so two
browsers racing for one link cannot both win.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from faceforge.clock import format_time

LIFETIME = timedelta(seconds=60)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(db, moment: datetime | None = None) -> tuple[str, str]:
    """A new link secret and its expiry time; expired rows are swept on the way.
    `moment` is the creation time (now unless given)."""
    moment = moment or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    expires_at = format_time(moment + LIFETIME)
    with db.write() as conn:
        conn.execute(
            "DELETE FROM ui_login_links WHERE expires_at <= ?", (format_time(datetime.now(UTC)),)
        )
        conn.execute(
            "INSERT INTO ui_login_links (link_hash, expires_at) VALUES (?, ?)",
            (secret_hash(secret), expires_at),
        )
    return secret, expires_at


def redeem(db, secret: str) -> bool:
    """True exactly once for a link that exists and has not expired; the link is gone after."""
    if not secret:
        return False
    with db.write() as conn:
        used = conn.execute(
            "DELETE FROM ui_login_links WHERE link_hash = ? AND expires_at > ?",
            (secret_hash(secret), format_time(datetime.now(UTC))),
        )
        return used.rowcount == 1
