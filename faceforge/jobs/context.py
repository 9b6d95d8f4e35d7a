"""What a built-in job sees while it runs: a log, progress, and cooperative cancellation.
What else it works with (storage, settings) is bound into its `JobKind` when the runtime
registers it.

Writes are batched: log lines and the latest progress are kept in memory and written in one
transaction at most every FLUSH_INTERVAL_SECONDS, so a job handling thousands of files a
second writes a few transactions a second, while anyone watching still sees progress well
within a second. The same beat reads whether a cancel was requested, so a job that calls
`checkpoint()` often (between files, between chunks of a large file) stops promptly.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from faceforge import clock
from faceforge.db import Database
from faceforge.jobs import log as job_log
from faceforge.jobs import rows as job_rows

FLUSH_INTERVAL_SECONDS = 0.25
MAX_BUFFERED_LINES = 1000


class JobCanceled(Exception):
    """A cancel was requested; the job stops and is marked canceled. A job may set `result`
    to what it got done before stopping (a bulk import's counts so far)."""

    result: dict | None = None


class JobInterrupted(Exception):
    """Core is shutting down; the job stops and is marked failed ("interrupted")."""


class JobFailed(Exception):
    """The job cannot go on; it is marked failed with this error code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class JobKind:
    """A built-in job type. `prepare_input(input, loc)` checks the input at submit time (422
    naming `loc`) and returns what to store; `run(context, input)` does the work and returns
    the job's result."""

    job_type: str
    prepare_input: Callable[[dict, tuple], dict]
    run: Callable[["JobContext", dict], dict]


class JobContext:
    def __init__(self, db: Database, job_id: str, lease_token: str, stopping: threading.Event):
        self.db = db
        self.job_id = job_id
        self.lease_token = lease_token
        self.stopping = stopping
        self._lines: list[tuple] = []
        self._progress: tuple[float, str | None] | None = None
        self._cancel_requested = False
        self._last_flush = time.monotonic()

    def log(self, level: str, message: str, data: dict | None = None) -> None:
        self._lines.append((clock.now(), level, message, data))
        if len(self._lines) >= MAX_BUFFERED_LINES:
            self.flush()

    def progress(self, done: int, total: int, step: str | None = None) -> None:
        percent = 100.0 if total <= 0 else round(min(done, total) * 100.0 / total, 2)
        self._progress = (percent, step)

    def checkpoint(self) -> None:
        """Call often. Writes what is due and raises JobCanceled / JobInterrupted when the
        job must stop."""
        if self.stopping.is_set():
            raise JobInterrupted("Core is shutting down")
        if time.monotonic() - self._last_flush >= FLUSH_INTERVAL_SECONDS:
            self.flush()
        if self._cancel_requested:
            raise JobCanceled("Cancel requested")

    def sleep(self, seconds: float) -> None:
        """Wait without delaying a cancel or a shutdown."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.stopping.wait(min(left, FLUSH_INTERVAL_SECONDS))
            self.checkpoint()

    def flush(self) -> None:
        """Write buffered log lines and progress in one transaction; learn about a cancel."""
        pending = self._lines or self._progress
        with self.db.write() if pending else self.db.read() as connection:
            self.write_buffered(connection)

    def write_buffered(self, connection) -> None:
        """Write buffered log lines and progress inside the caller's write transaction (a bulk
        import commits them with the batch of assets they describe); learn about a cancel."""
        lines, self._lines = self._lines, []
        progress, self._progress = self._progress, None
        for ts, level, message, data in lines:
            job_log.append(connection, self.job_id, level, message, data, ts)
        if progress is not None:
            job_rows.set_progress(connection, self.job_id, self.lease_token, *progress)
        row = connection.execute(
            "SELECT cancel_requested_at FROM jobs WHERE job_id = ?", (self.job_id,)
        ).fetchone()
        self._cancel_requested = row is not None and row["cancel_requested_at"] is not None
        self._last_flush = time.monotonic()
