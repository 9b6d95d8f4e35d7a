"""Deleting assets and looking after stored bytes: the soft delete, the purge of long-deleted
assets, and `faceforge check`.

Deleting an asset keeps its bytes, so a mistake can be undone by uploading nothing at all
(well: by restoring). A purge is the explicit admin action that removes the rows and bytes of
assets deleted more than N days ago that nothing refers to any more: no live link, no live
entity thumbnail, no asset derived from them. Each asset goes in its own transaction, under
its hash lock, with the bytes deleted before the commit: a failure leaves the row in place.
The rows are written by their tables' owners (`rows.py`, `links.py`, `entities/store.py`).
"""

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faceforge import clock, events
from faceforge.assets import links as asset_links
from faceforge.assets import rows as asset_rows
from faceforge.assets.thumbnails import remove_thumbnails
from faceforge.entities import store as entity_store
from faceforge.errors import ApiError

log = logging.getLogger("faceforge.maintenance")

DEFAULT_PURGE_DAYS = 30

PURGEABLE = """
    SELECT * FROM assets a
    WHERE a.deleted_at IS NOT NULL AND a.deleted_at <= :cutoff
      AND NOT EXISTS (SELECT 1 FROM entity_assets l
                      WHERE l.asset_id = a.asset_id AND l.deleted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM entities e
                      WHERE e.primary_thumbnail_asset_id = a.asset_id AND e.deleted_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM assets c WHERE c.derived_from_asset_id = a.asset_id)
"""


def delete(db, asset_id: str) -> dict[str, bool]:
    """Soft-delete the row and its links; the bytes stay until a purge. Entities showing the
    asset as their thumbnail show none (a restore of the asset does not bring it back: the
    entity may have been given another meanwhile)."""
    with db.write() as connection:
        asset_rows.live_row(connection, asset_id)
        now = clock.now()
        asset_links.unlink_all(connection, "asset_id", asset_id, now)
        asset_rows.soft_delete(connection, asset_id, now)
        events.append_many(
            connection,
            (
                ("entity.updated", "entity", entity_id, {"changed": ["primary_thumbnail_asset_id"]})
                for entity_id in entity_store.clear_thumbnail(connection, asset_id, now)
            ),
        )
    return {"deleted": True}


def purge_one(db, storage, thumbs_dir: Path, asset_id: str, cutoff: str) -> dict | None:
    """Remove one asset's row, dead links, bytes and thumbnails, if it is still purgeable."""
    with storage.locks.hold(asset_id), db.write() as connection:
        row = connection.execute(
            PURGEABLE + " AND a.asset_id = :asset_id", {"cutoff": cutoff, "asset_id": asset_id}
        ).fetchone()
        if row is None:
            return None
        asset_links.forget_links(connection, asset_id)
        asset_rows.remove(connection, asset_id)
        storage.provider(row["storage_provider"]).delete(row["storage_key"])
        remove_thumbnails(thumbs_dir, asset_id)
    return {
        "asset_id": asset_id,
        "filename": row["filename"],
        "byte_size": row["byte_size"],
        "storage_provider": row["storage_provider"],
    }


def purge(db, storage, thumbs_dir: Path, older_than_days: int) -> dict:
    """Purge in rounds: removing a derived asset can make its source purgeable in turn."""
    cutoff = clock.format_time(datetime.now(UTC) - timedelta(days=older_than_days))
    purged, failed = [], set()
    while True:
        with db.read() as connection:
            candidates = [
                row["asset_id"]
                for row in connection.execute(PURGEABLE, {"cutoff": cutoff}).fetchall()
                if row["asset_id"] not in failed
            ]
        if not candidates:
            break
        for asset_id in candidates:
            try:
                removed = purge_one(db, storage, thumbs_dir, asset_id, cutoff)
            except (ApiError, OSError) as error:
                log.warning("purge of %s failed: %s", asset_id, getattr(error, "message", error))
                failed.add(asset_id)
                continue
            if removed is not None:
                purged.append(removed)
    log.info("purged %d assets deleted at or before %s", len(purged), cutoff)
    return {
        "purged": purged,
        "count": len(purged),
        "bytes_freed": sum(item["byte_size"] for item in purged),
        "failed": sorted(failed),
    }


def stored_hash(provider, key: str, byte_size: int) -> str:
    digest = hashlib.sha256()
    for chunk in provider.read_range(key, 0, byte_size):
        digest.update(chunk)
    return digest.hexdigest()


def check_row(storage, row, verify_hashes: bool) -> str | None:
    """What is wrong with one row's bytes, or None."""
    provider = storage.providers.get(row["storage_provider"])
    if provider is None:
        return f"stored on {row['storage_provider']!r}, which is not configured"
    try:
        size = provider.size(row["storage_key"])
        if size is None:
            return "bytes are missing"
        if size != row["byte_size"]:
            return f"size is {size} bytes, the row says {row['byte_size']}"
        if verify_hashes and stored_hash(provider, row["storage_key"], size) != row["asset_id"]:
            return "content no longer matches its SHA-256"
    except (ApiError, OSError) as error:
        return f"cannot be read: {getattr(error, 'message', error)}"
    return None


def check(db, storage, verify_hashes: bool = True) -> list[str]:
    """Problems between rows and stored bytes, one sentence each; [] when all is well.
    Deleted rows count too: they own their bytes until a purge."""
    problems = []
    owned: dict[str, set[str]] = {}
    with db.read() as connection:
        rows = connection.execute("SELECT * FROM assets ORDER BY created_at").fetchall()
    for row in rows:
        owned.setdefault(row["storage_provider"], set()).add(row["storage_key"])
        problem = check_row(storage, row, verify_hashes)
        if problem:
            problems.append(f"asset {row['asset_id']} ({row['filename']}): {problem}")
    for name, provider in storage.providers.items():
        try:
            for key, _size in provider.stored_files():
                if key not in owned.get(name, set()):
                    problems.append(f"{name}:{key} is stored but no asset row owns it")
        except (ApiError, OSError) as error:
            problems.append(f"cannot list {name}: {getattr(error, 'message', error)}")
    return problems
