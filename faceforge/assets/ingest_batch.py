"""Ingesting files as a batch: one sync makes all their bytes durable, one write transaction
records all their rows. An upload is a batch of one; a bulk import fills batches of up to
BATCH_FILES files (or BATCH_BYTES, or BATCH_SECONDS of work), which is what makes it fast.

1. `add_staged()` takes a file already hashed into tmp/ (or memory), checks it (sidecar,
   name, not empty) and locks its hash. A file whose bytes are already in the batch is only
   noted: it is recorded after the first one, so it becomes "already imported" (and its
   sidecar is attached).
2. `flush()`: one read finds the rows that already own these bytes; the hashes about to be
   stored are written to a journal in tmp/; the temp files are renamed into the store; ONE
   sync makes them durable; ONE write transaction records every row, link and event, plus
   whatever `on_commit(connection)` adds (a job's log lines and progress); then the locks are
   released and ExifTool is handed the new assets. The journal goes when the batch is done.
   `rotate()` does the same with the sync in a helper thread: while the disk writes one
   batch's bytes, the caller reads the next files; the rows follow once the sync is done.

Rows are only written once their bytes are durable, so no crash can leave a row without its
bytes. A crash before the commit leaves stored files that no row owns; the journal names
them and the next start deletes them (`recover`). After a power loss the journal itself may
be lost (it is not fsynced, to keep a batch at one sync): `faceforge check` then lists such a
file as owned by no row, and importing the same bytes again adopts it.
"""

import contextlib
import logging
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceforge import ids
from faceforge.assets import ingest
from faceforge.assets import rows as assets
from faceforge.assets.ingest import Request, StagedFile
from faceforge.errors import ApiError
from faceforge.storage.errors import StorageUnavailable

log = logging.getLogger("faceforge.ingest")

BATCH_FILES = 64
BATCH_BYTES = 64 * 2**20
BATCH_SECONDS = 1.0
JOURNAL_PATTERN = "placing-*.txt"


@dataclass(eq=False)
class Item:
    """One file of a batch. Once `settled` (its batch recorded): `error` (an ApiError or
    OSError) or `created`, and `asset` when the batch was asked for assets."""

    request: Request
    fields: dict[str, Any]
    staged: StagedFile | None
    primary: "Item | None" = None
    row: Any = None
    provider: str | None = None
    key: str | None = None
    placed: bool = False
    created: bool = False
    asset: dict[str, Any] | None = None
    error: Exception | None = None
    extract: bool = False
    settled: bool = False

    @property
    def asset_id(self) -> str:
        return self.fields["asset_id"]


def reusable(storage, row) -> tuple[str, str] | None:
    """(provider, key) of the bytes an existing row points at, when they are there."""
    if row is None:
        return None
    try:
        if not storage.provider(row["storage_provider"]).exists(row["storage_key"]):
            return None
    except StorageUnavailable:
        pass  # Cannot look; the row's bytes are most likely still there.
    return row["storage_provider"], row["storage_key"]


def store(storage, staged: StagedFile, kind: str):
    """Put the bytes where routing says (the filesystem if S3 fails); the provider."""
    provider = storage.choose(kind, staged.byte_size)
    try:
        put(provider, staged)
    except StorageUnavailable as error:
        log.warning(
            "storing %s on %s failed (%s); using the filesystem",
            staged.sha256,
            provider.name,
            error.message,
        )
        provider = storage.provider("fs")
        put(provider, staged)
    return provider


def put(provider, staged: StagedFile) -> None:
    key = provider.key_for(staged.sha256)
    if staged.temp_path is None:
        provider.put_bytes(staged.data, key)
    else:
        provider.put(staged.temp_path, key)


class Batch:
    def __init__(self, intake: ingest.Intake, on_commit=None, want_assets: bool = False):
        self.intake = intake
        self.on_commit = on_commit
        self.want_assets = want_assets
        self.items: list[Item] = []
        self._primaries: dict[str, Item] = {}
        self._bytes = 0
        self._started = 0.0
        self._journal = None
        self._journal_path: Path | None = None
        self._pending: tuple[list[Item], list[Item], Future | None] | None = None
        self._syncer: ThreadPoolExecutor | None = None

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()

    def full(self) -> bool:
        return bool(self.items) and (
            len(self.items) >= BATCH_FILES
            or self._bytes >= BATCH_BYTES
            or time.monotonic() - self._started >= BATCH_SECONDS
        )

    def add_staged(self, staged: StagedFile, request: Request) -> Item:
        """Add staged bytes; the batch owns the temp file from here on, even on error."""
        try:
            fields = ingest.describe(self.intake, staged, request)
            primary = self._primaries.get(staged.sha256)
            if primary is None:
                self._lock(staged.sha256)
        except BaseException:
            staged.discard()
            raise
        if primary is not None:
            staged.discard()
            item = Item(request, fields, None, primary)
        else:
            item = self._primaries[staged.sha256] = Item(request, fields, staged)
            self._bytes += staged.byte_size
        if not self.items:
            self._started = time.monotonic()
        self.items.append(item)
        return item

    def _lock(self, sha256: str) -> None:
        """Take the hash's lock; when another ingest holds it, commit what this batch holds
        first, so a batch only ever waits while holding nothing."""
        locks = self.intake.storage.locks
        if not locks.acquire(sha256, blocking=False):
            self.flush()
            locks.acquire(sha256)

    def flush(self) -> None:
        """Store, sync and record everything added so far (see the module docstring)."""
        self._finish_pending()
        self._hand_over(background=False)
        self._finish_pending()

    def rotate(self) -> None:
        """Like flush(), but the sync runs in the background while the caller adds the next
        files (the disk writes the bytes while Python reads the next ones); the rows of these
        files are recorded by the next rotate() or flush(), once their bytes are durable."""
        self._finish_pending()
        self._hand_over(background=True)

    def _hand_over(self, background: bool) -> None:
        """Make what was added the pending batch: stored now, durable when its Future is."""
        items, primaries = self._take()
        if items:
            self._pending = (items, primaries, None)  # discard() cleans up if storing raises
            self._pending = (items, primaries, self._make_durable(primaries, background))

    def _take(self) -> tuple[list[Item], list[Item]]:
        items, primaries = self.items, list(self._primaries.values())
        self.items, self._primaries, self._bytes = [], {}, 0
        return items, primaries

    def _make_durable(self, primaries: list[Item], background: bool) -> Future:
        """Store the bytes now; the Future is done once they are durable."""
        done: Future = Future()
        try:
            placed = self._store(primaries)
            if background and placed:
                if self._syncer is None:
                    self._syncer = ThreadPoolExecutor(1, thread_name_prefix="faceforge-sync")
                return self._syncer.submit(self._sync, placed)
            self._sync(placed)
            done.set_result(None)
        except (ApiError, OSError) as error:
            done.set_exception(error)
        return done

    def _finish_pending(self) -> None:
        """Wait until the pending batch's bytes are durable, then record its rows."""
        if self._pending is None:
            return
        items, primaries, durable = self._pending
        self._pending = None
        recorded, failure = set(), None
        try:
            durable.result()
            recorded = self._record(items)
        except (ApiError, OSError) as error:
            failure = error
        finally:
            self._unstore(p for p in primaries if p.asset_id not in recorded)
            self._release(primaries)
        if failure is not None:
            self._fail_all(items, failure)
        self.intake.metadata.submit_many([item.asset_id for item in items if item.extract])
        self.intake.thumbnails.submit_many(sorted(recorded))

    def _fail_all(self, items: list[Item], failure: Exception) -> None:
        """The sync or the transaction failed: nothing of the batch was recorded."""
        for item in items:
            item.error = item.error or failure
            item.settled = True
        if self.on_commit is not None:
            with self.intake.db.write() as connection:
                self.on_commit(connection)

    def _note_placing(self, items: list[Item]) -> None:
        """Append the hashes about to be stored to this batch's journal (kept until the batch
        is done: a hash whose row was committed is simply skipped by `recover`)."""
        if self._journal is None:
            tmp_dir = self.intake.tmp_dir
            self._journal_path = tmp_dir / f"placing-{secrets.token_hex(8)}.txt"
            self._journal = open(self._journal_path, "a", encoding="ascii")  # noqa: SIM115
        self._journal.write("".join(f"{item.asset_id}\n" for item in items))
        self._journal.flush()

    def _sync(self, placed: dict[str, list[str]]) -> None:
        for name, keys in placed.items():
            self.intake.storage.provider(name).sync(keys)

    def _store(self, primaries: list[Item]) -> dict[str, list[str]]:
        """Put the bytes no row has yet in place: {provider name: keys placed}."""
        storage = self.intake.storage
        with self.intake.db.read() as connection:
            rows = assets.rows_by_id(connection, [item.asset_id for item in primaries])
        for item in primaries:
            item.row = rows.get(item.asset_id)
        to_place = []
        for item in primaries:
            found = reusable(storage, item.row)
            if found is None:
                to_place.append(item)
            else:
                item.provider, item.key = found
        placed: dict[str, list[str]] = {}
        if not to_place:
            return placed
        self._note_placing(to_place)
        for item in to_place:
            try:
                provider = store(storage, item.staged, item.fields["kind"])
            except (ApiError, OSError) as error:
                item.error = error
                continue
            item.provider, item.key, item.placed = (
                provider.name,
                provider.key_for(item.asset_id),
                True,
            )
            placed.setdefault(provider.name, []).append(item.key)
        return placed

    def _record(self, items: list[Item]) -> set[str]:
        """One transaction for the batch; an item refused inside it (its entity was deleted
        meanwhile) is rolled back to its savepoint alone. The hashes recorded."""
        recorded = set()
        with self.intake.db.write() as connection:
            for item in items:
                source = item.primary or item
                if source.key is None:
                    item.error = item.error or source.error
                    item.settled = True
                    continue
                fields = {
                    **item.fields,
                    "storage_provider": source.provider,
                    "storage_key": source.key,
                }
                connection.execute("SAVEPOINT item")
                try:
                    item.created = ingest.record_in_transaction(
                        connection, fields, item.request, absent=item is source and item.row is None
                    )
                except ApiError as error:
                    connection.execute("ROLLBACK TO item")
                    item.error = error
                connection.execute("RELEASE item")
                if item.error is None:
                    recorded.add(item.asset_id)
                    self._read_back(connection, item)
                item.settled = True
            if self.on_commit is not None:
                self.on_commit(connection)
        return recorded

    def _read_back(self, connection, item: Item) -> None:
        if self.want_assets:
            item.asset = assets.asset_from_row(assets.any_row(connection, item.asset_id))
            status = item.asset["metadata_status"]
        elif item.created:
            status = item.fields["metadata_status"]
        else:
            status = connection.execute(
                "SELECT metadata_status FROM assets WHERE asset_id = ?", (item.asset_id,)
            ).fetchone()[0]
        item.extract = status == "pending" and item.primary is None

    def _unstore(self, primaries) -> None:
        """Delete bytes this batch stored for rows it did not write (never bytes an existing
        row points at)."""
        for item in primaries:
            if not item.placed:
                continue
            row = item.row
            if row is None or (row["storage_provider"], row["storage_key"]) != (
                item.provider,
                item.key,
            ):
                try:
                    self.intake.storage.provider(item.provider).delete(item.key)
                except (ApiError, OSError) as error:
                    log.warning("could not remove unrecorded bytes %s: %s", item.key, error)

    def _release(self, primaries: list[Item]) -> None:
        locks = self.intake.storage.locks
        for item in primaries:
            if not item.placed:
                item.staged.discard()
            locks.release(item.asset_id)

    def discard(self) -> None:
        """Drop what was not recorded (stored bytes and temp files removed, locks released)
        and the journal: everything it lists is recorded or removed by now."""
        if self._pending is not None:
            _items, primaries, durable = self._pending
            self._pending = None
            if durable is not None:
                with contextlib.suppress(ApiError, OSError):
                    durable.result()
            self._unstore(primaries)
            self._release(primaries)
        _items, primaries = self._take()
        self._release(primaries)
        if self._syncer is not None:
            self._syncer.shutdown()
            self._syncer = None
        if self._journal is not None:
            self._journal.close()
            self._journal = None
            self._journal_path.unlink(missing_ok=True)


def ingest_staged(
    intake: ingest.Intake, staged: StagedFile, request: Request
) -> tuple[dict[str, Any], bool]:
    """Store staged bytes and record them, as a batch of one: (asset, created)."""
    with Batch(intake, want_assets=True) as batch:
        item = batch.add_staged(staged, request)
        batch.flush()
    if item.error is not None:
        raise item.error
    return item.asset, item.created


def recover(db, storage, tmp_dir: Path) -> int:
    """At start, before tmp/ is cleared: delete the bytes that batches cut short by a crash
    stored without recording them. Returns how many files went."""
    removed = 0
    for journal in sorted(tmp_dir.glob(JOURNAL_PATTERN)):
        hashes = [line for line in journal.read_text().split() if ids.is_id(line)]
        with db.read() as connection:
            rows = {sha256: assets.any_row(connection, sha256) for sha256 in hashes}
        for sha256, row in rows.items():
            for provider in storage.providers.values():
                key = provider.key_for(sha256)
                if row is not None and (row["storage_provider"], row["storage_key"]) == (
                    provider.name,
                    key,
                ):
                    continue
                try:
                    if provider.exists(key):
                        provider.delete(key)
                        removed += 1
                except (ApiError, OSError) as error:
                    log.warning("could not remove unrecorded bytes %s: %s", key, error)
        journal.unlink()
    if removed:
        log.warning("removed %d stored files that an interrupted import never recorded", removed)
    return removed
