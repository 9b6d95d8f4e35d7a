"""API keys with scopes (API.md §12): create, list, delete, and find the key a request carries.

A key's secret is `secrets.token_urlsafe(32)` (256 random bits), shown once when it is created;
the database keeps only its SHA-256, so a stolen database holds no usable key. A request's
key is found by that hash (an index lookup, then a constant-time compare of the hashes), read
from the database on every request: nothing is cached, so a deleted key is refused at once.
`last_used_at` is written only when the stored value is more than a minute old, so a busy key
costs one write a minute, not one per request.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass

from faceforge import clock, ids, validate
from faceforge.errors import NotFound
from faceforge.plugins import PLUGIN_ID

READ = "read"
WRITE = "write"
ADMIN = "admin"
RUNNER_PREFIX = "runner:"
SCOPES = (READ, WRITE, ADMIN)
LAST_USED_EVERY_SECONDS = 60
# The scope of the runner routes in the route table: any `runner:<plugin_id>` passes the gate,
# and the handler checks that the job types are that plugin's (web/jobs.py).
ANY_RUNNER = "runner:<plugin_id>"
COLUMNS = "token_id, name, scopes_json, created_at, expires_at, last_used_at"


@dataclass(frozen=True)
class Credential:
    """What the gate learned about a request's key: its scopes (the install token has all)."""

    scopes: frozenset[str]
    all_scopes: bool = False

    def allows(self, scope: str) -> bool:
        if scope == ANY_RUNNER:
            return self.all_scopes or bool(self.runner_plugins())
        return self.all_scopes or scope in self.scopes

    def runner_plugins(self) -> set[str]:
        """The plugin ids this key may run jobs for (`runner:<plugin_id>` scopes)."""
        return {s.removeprefix(RUNNER_PREFIX) for s in self.scopes if s.startswith(RUNNER_PREFIX)}


INSTALL_TOKEN = Credential(frozenset(), all_scopes=True)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def scope_list(value, loc: tuple) -> list[str]:
    """`read`, `write`, `admin` or `runner:<plugin_id>`, at least one."""
    scopes = validate.name_list(value, loc)
    if not scopes:
        validate.fail(loc, "name at least one scope")
    for index, scope in enumerate(scopes):
        plugin_id = scope.removeprefix(RUNNER_PREFIX)
        if scope not in SCOPES and (plugin_id == scope or not PLUGIN_ID.fullmatch(plugin_id)):
            validate.fail((*loc, index), "must be read, write, admin or runner:<plugin_id>")
    return scopes


def key_dict(row) -> dict:
    return {
        "token_id": row["token_id"],
        "name": row["name"],
        "scopes": json.loads(row["scopes_json"]),
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "last_used_at": row["last_used_at"],
    }


def create(connection, name: str, scopes: list[str], expires_at: str | None) -> dict:
    """A new key; its `token` (the secret) is in this answer and nowhere else, ever."""
    secret = secrets.token_urlsafe(32)
    token_id = ids.new_id()
    connection.execute(
        "INSERT INTO api_keys (token_id, name, scopes_json, secret_hash, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_id, name, json.dumps(scopes), secret_hash(secret), clock.now(), expires_at),
    )
    row = connection.execute(
        f"SELECT {COLUMNS} FROM api_keys WHERE token_id = ?", (token_id,)
    ).fetchone()
    return {**key_dict(row), "token": secret}


def create_key(db, name: str, scopes: list[str], expires_at: str | None) -> dict:
    with db.write() as connection:
        return create(connection, name, scopes, expires_at)


def replace_named_key(db, name: str, scopes: list[str]) -> dict:
    """A new key named `name`, every older key of that name deleted in the same transaction
    (a supervised runner's key, made again at each start)."""
    with db.write() as connection:
        delete_named(connection, name)
        return create(connection, name, scopes, None)


def delete_named(connection, name: str) -> None:
    connection.execute("DELETE FROM api_keys WHERE name = ?", (name,))


def delete_named_keys(db, name: str) -> None:
    with db.write() as connection:
        delete_named(connection, name)


def list_keys(db) -> dict:
    with db.read() as connection:
        rows = connection.execute(f"SELECT {COLUMNS} FROM api_keys ORDER BY created_at, token_id")
        return {"items": [key_dict(row) for row in rows]}


def delete(connection, token_id: str) -> bool:
    return connection.execute("DELETE FROM api_keys WHERE token_id = ?", (token_id,)).rowcount == 1


def delete_key(db, token_id: str) -> None:
    with db.write() as connection:
        if not delete(connection, token_id):
            raise NotFound(f"Token {token_id} not found")


def credential(db, secret: str) -> Credential | None:
    """The scopes of the live key whose secret this is; None for no key, or an expired one."""
    presented_hash = secret_hash(secret)
    with db.read() as connection:
        row = connection.execute(
            "SELECT token_id, secret_hash, scopes_json, expires_at, last_used_at"
            " FROM api_keys WHERE secret_hash = ?",
            (presented_hash,),
        ).fetchone()
    if row is None or not secrets.compare_digest(row["secret_hash"], presented_hash):
        return None
    now = clock.now()
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return None
    if row["last_used_at"] is None or row["last_used_at"] < clock.after(-LAST_USED_EVERY_SECONDS):
        with db.write() as connection:
            connection.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE token_id = ?", (now, row["token_id"])
            )
    return Credential(frozenset(json.loads(row["scopes_json"])))
