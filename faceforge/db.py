"""The SQLite database: per-thread connections, one serialised writer, friendly errors.

Generic on purpose: no table names here. `read()` yields a connection for queries; `write()`
holds a process-wide lock, runs `BEGIN IMMEDIATE`, commits at the end of the block and rolls
back when the block raises, so a failed request never leaves half a change behind.
"""

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from faceforge.errors import NotFound

log = logging.getLogger("faceforge.db")
BUSY_TIMEOUT_MS = 10_000
# Page cache of the writing connection, in KiB (SQLite's default is 2 MiB). A bulk write of
# 10,000 entities touches thousands of index pages at random positions; with the default
# cache the pages spill into the WAL mid-transaction and are read back and written again.
# The cache grows only as pages are used.
WRITER_CACHE_KIB = 65_536
# WAL pages after which a commit of the writer copies the WAL into the database (SQLite's
# default is 1,000 pages = 4 MiB, less than one bulk call writes, so every bulk call paid a
# checkpoint). The hot index pages written by consecutive calls are copied once per
# checkpoint instead of once per call; the WAL file grows to about 64 MiB before it restarts.
# Durability is unchanged: a commit is in the WAL either way.
WRITER_AUTOCHECKPOINT_PAGES = 16_384
# Rows changed by one transaction from which its commit leaves the checkpoint to a background
# thread (see `Database.write`): a bulk write fills the WAL in a few calls, and copying it
# into the database on the writer's commit would hold the write lock meanwhile.
LARGE_WRITE_ROWS = 1_000

# Parameters per statement of `execute_rows`: SQLite's limit since 3.32 (we need 3.34 for
# FTS5's trigram tokenizer anyway).
MAX_PARAMETERS = 32_766


def statement_chunks(items: list, largest: int) -> Iterator[list]:
    """`items` in chunks for one statement each, sized in powers of two, the largest first
    (10,000 rows of at most 8,192 per statement: 8,192 + 1,024 + 512 + 256 + 16). The
    sqlite3 module keeps the last 128 statements prepared, a statement of thousands of rows
    takes megabytes, and calls of every size would otherwise each leave statements of new
    sizes behind."""
    start = 0
    while start < len(items):
        size = min(largest, 1 << ((len(items) - start).bit_length() - 1))
        yield items[start : start + size]
        start += size


def execute_rows(connection: sqlite3.Connection, sql: str, row: str, rows: Iterable[tuple]) -> list:
    """`sql` with its `{rows}` replaced by `row` ("(?, ?)") once per row, run over chunks of
    up to thousands of rows (`statement_chunks`); the rows the statements return, if any.
    `INSERT INTO t (a, b) VALUES {rows}`, or a `(VALUES {rows}) AS v` to join or update from.

    Few statements matter more than they seem. executemany() runs a statement per row, and
    the sqlite3 module lets go of the GIL around each one: while the next request's thread
    parses its body, the writer waits for the GIL after every row (up to the 5 ms switch
    interval), so the two requests take turns instead of running side by side. A statement
    of many rows lets go of the GIL once, for all of its rows. For an FTS5 table it also
    means few index segments (one per statement)."""
    rows = list(rows)
    if not rows:
        return []
    largest = 1 << ((MAX_PARAMETERS // len(rows[0])).bit_length() - 1)
    return [
        result
        for chunk in statement_chunks(rows, largest)
        for result in connection.execute(
            sql.replace("{rows}", ", ".join([row] * len(chunk))),
            [value for values in chunk for value in values],
        ).fetchall()
    ]


def find_live(
    connection: sqlite3.Connection, table: str, columns: str, **keys
) -> sqlite3.Row | None:
    """The row of `table` whose columns equal `keys` and that is not soft-deleted
    (`deleted_at` is NULL), or None."""
    condition = " AND ".join(f"{column} = ?" for column in keys)
    return connection.execute(
        f"SELECT {columns} FROM {table} WHERE {condition} AND deleted_at IS NULL",
        tuple(keys.values()),
    ).fetchone()


def live_row(
    connection: sqlite3.Connection, table: str, columns: str, key: str, value, missing: str
) -> sqlite3.Row:
    """The live row of `table` whose `key` column is `value`, or NotFound(`missing`)."""
    row = find_live(connection, table, columns, **{key: value})
    if row is None:
        raise NotFound(missing)
    return row


class DatabaseError(Exception):
    """The database cannot be used; the message says what a person can do about it."""


def explain(error: sqlite3.Error, path: Path) -> DatabaseError:
    """Turn a raw sqlite error into a sentence a person can act on."""
    text = str(error)
    if "unable to open database file" in text:
        return DatabaseError(
            f"cannot open the database {path}: check that the folder exists and is writable"
        )
    if "readonly" in text:
        return DatabaseError(f"the database {path} is read-only: check its file permissions")
    if "malformed" in text or "not a database" in text:
        return DatabaseError(
            f"the database {path} is damaged: restore it from backups/ or move it away"
        )
    if "disk" in text and "full" in text:
        return DatabaseError(f"the disk holding {path} is full")
    if "locked" in text:
        return DatabaseError(f"the database {path} is locked by another program")
    return DatabaseError(f"database error on {path}: {text}")


# The oldest SQLite with everything used here: FTS5's trigram tokenizer (3.34), under `q=`.
MIN_SQLITE_VERSION = (3, 34, 0)


def require_sqlite(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> None:
    """DatabaseError, saying what to do, when Python's SQLite is too old for our schema."""
    if version < MIN_SQLITE_VERSION:
        needed, found = (".".join(map(str, v)) for v in (MIN_SQLITE_VERSION, version))
        raise DatabaseError(
            f"FaceForge needs SQLite {needed} or newer (its search index uses FTS5 trigrams);"
            f" this Python has SQLite {found}: use a newer Python (3.11+ from python.org or"
            " your system's packages ships a recent one)"
        )


class Database:
    def __init__(self, path: Path):
        require_sqlite()
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()
        self._checkpoint_wanted = False
        self._checkpointer: threading.Thread | None = None
        self._commits = 0
        self._committed = threading.Condition()

    def connect(self) -> sqlite3.Connection:
        """A new connection with the house settings (WAL, foreign keys, busy timeout, Row)."""
        try:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as error:
            raise explain(error, self.path) from None
        return connection

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self.connect()
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def writer(self) -> sqlite3.Connection:
        """The one connection that writes, whatever the thread (the write lock is held).

        One writer keeps its page cache from one transaction to the next: SQLite drops a
        connection's cache whenever another connection has written, so writes taking turns
        on per-thread connections would read every index page they touch back in."""
        if self._writer is None:
            self._writer = self.connect()
            self._writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            self._writer.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
            with self._connections_lock:
                self._connections.append(self._writer)
        return self._writer

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self.connection()
        except sqlite3.OperationalError as error:
            raise explain(error, self.path) from None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self._write_lock:
            connection = self.writer()
            try:
                changes_before = connection.total_changes
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
                self._count_commit()
                if connection.total_changes - changes_before >= LARGE_WRITE_ROWS:
                    self.checkpoint_in_background()
            except BaseException as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError):
                    raise explain(error, self.path) from None
                raise

    def _count_commit(self) -> None:
        with self._committed:
            self._commits += 1
            self._committed.notify_all()

    def commits(self) -> int:
        """How many write transactions this Database has committed; pass it to
        `wait_for_commit`."""
        with self._committed:
            return self._commits

    def wait_for_commit(self, seen: int, timeout: float) -> None:
        """Until a transaction commits after the `seen`th (at once when one already has),
        `wake_commit_waiters()` is called, or `timeout` seconds pass. Read `commits()`
        *before* looking at the data, so that a commit in between is not missed."""
        with self._committed:
            if self._commits == seen:
                self._committed.wait(timeout)

    def wake_commit_waiters(self) -> None:
        with self._committed:
            self._committed.notify_all()

    def checkpoint_in_background(self) -> None:
        """Copy the WAL into the database on a thread of its own, off the write lock.

        A passive checkpoint runs alongside the writer: it copies the frames committed when
        it starts, and the next transaction then starts the WAL over from its beginning. When
        the writer's own automatic checkpoint comes while this one runs, it finds the
        checkpoint lock taken and leaves the work to this thread instead of waiting."""
        with self._checkpoint_lock:
            self._checkpoint_wanted = True
            if self._checkpointer is None:
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_while_wanted, name="faceforge-checkpoint", daemon=True
                )
                self._checkpointer.start()

    def _checkpoint_while_wanted(self) -> None:
        connection = None
        try:
            connection = self.connect()
            while self._take_checkpoint_request():
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, DatabaseError) as error:
            # Nothing is lost: the writer's automatic checkpoint copies the WAL instead.
            log.warning("background checkpoint of %s failed: %s", self.path, error)
            with self._checkpoint_lock:
                self._checkpointer = None
        finally:
            if connection is not None:
                connection.close()

    def _take_checkpoint_request(self) -> bool:
        """Whether a checkpoint is wanted (and now taken care of); when not, the thread ends."""
        with self._checkpoint_lock:
            wanted, self._checkpoint_wanted = self._checkpoint_wanted, False
            if not wanted:
                self._checkpointer = None
            return wanted

    def wait_for_checkpoint(self) -> None:
        """Until the background checkpoint, if one runs, is done."""
        with self._checkpoint_lock:
            checkpointer = self._checkpointer
        if checkpointer is not None:
            checkpointer.join()

    def close(self) -> None:
        self.wait_for_checkpoint()
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
        self._writer = None
