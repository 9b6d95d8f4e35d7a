"""The durable job queue (API.md §7): jobs, their log, cancel, retry, restart recovery.

A job is a row in `jobs`; every state change happens in one write transaction together with
its log line and its event, so the log, the feed and the row never disagree. Built-in job
types (`JobKind`s the runtime registers; the queue knows none of its own) run on the
in-process worker pool (`workers.py`); job types declared by enabled plugins wait `queued`
for an out-of-process runner (`runner_protocol.py`).

Who runs a job is recorded in `lease_token`: `local:<pid>:<random>` for the worker pool of
process <pid>, a random token for a runner. After a restart, built-in jobs whose process is
gone are failed with `error.code = "interrupted"`; runner jobs keep their lease, which lapses
on its own if the runner is gone too.
"""

import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceforge import events, ids, paging, plugins, validate
from faceforge.db import Database
from faceforge.errors import Conflict, NotFound
from faceforge.jobs import log as job_log
from faceforge.jobs import rows as job_rows
from faceforge.jobs.context import JobKind
from faceforge.json_text import Encoded, parse_nullable

STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
FINISHED = ("succeeded", "failed", "canceled")

# Log readers that may wait for new lines at once (`wait=`). Each holds one of the server's
# 8 worker threads (`server.THREADS`) while it waits, so at most half of them may; a reader
# over the cap is answered at once, as without `wait`.
MAX_LOG_WAITERS = 4
MAX_LOG_WAIT_SECONDS = 30

# The 0.1.x log lines, and the event each state change writes.
FINISH_LINES = {
    "succeeded": ("info", "Job completed", "job.succeeded"),
    "failed": ("error", "Job failed", "job.failed"),
    "canceled": ("info", "Job canceled", "job.canceled"),
}


def job_dict(row) -> dict:
    return {
        "job_id": row["job_id"],
        "job_type": row["job_type"],
        "status": row["status"],
        "progress_percent": row["progress_percent"],
        "progress_step": row["progress_step"],
        "input": parse_nullable(row["input_json"]),
        "result": parse_nullable(row["result_json"]),
        "error": parse_nullable(row["error_json"]),
        "attempts": row["attempts"],
        "retry_of_job_id": row["retry_of_job_id"],
        "cancel_requested_at": row["cancel_requested_at"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "canceled_at": row["canceled_at"],
    }


def fetch(connection, job_id: str):
    """The job row; 404 when there is none (a malformed id is simply not found)."""
    row = None
    if ids.is_id(job_id):
        row = connection.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(f"Job {job_id} not found")
    return row


def oldest_queued(connection, job_types):
    """The queued job of these types that was submitted first, or None."""
    types = list(job_types)
    placeholders = ", ".join("?" * len(types))
    return connection.execute(
        f"SELECT * FROM jobs WHERE status = 'queued' AND job_type IN ({placeholders})"
        " ORDER BY created_at, rowid LIMIT 1",
        types,
    ).fetchone()


def start(connection, row, lease_token: str, lease_seconds: int | None = None) -> None:
    """queued → running, owned by `lease_token` (for `lease_seconds` when it is a runner)."""
    job_rows.mark_started(connection, row["job_id"], lease_token, lease_seconds)
    job_log.append(
        connection, row["job_id"], "info", "Job started", {"attempt": row["attempts"] + 1}
    )
    events.append(connection, "job.started", "job", row["job_id"], {"job_type": row["job_type"]})


def finish(connection, row, status: str, *, result=None, error=None) -> None:
    """running or queued → a finished state, with its log line and event."""
    job_rows.mark_finished(connection, row["job_id"], status, result, error)
    level, message, event_type = FINISH_LINES[status]
    job_log.append(connection, row["job_id"], level, message, error)
    data = {"job_type": row["job_type"]}
    if status != "succeeded":
        data["error"] = error  # a canceled job may have none: then null
    events.append(connection, event_type, "job", row["job_id"], data)


def queue(connection, new_jobs: list[tuple[str, str, dict, str | None]]) -> None:
    """Queue jobs, each `(job_id, job_type, input, retry_of_job_id)`, with their log lines
    and events, in the caller's transaction; inputs are already checked. A batch takes a
    few statements, not a few per job (the trigger dispatcher queues thousands at once)."""
    job_rows.insert(connection, new_jobs)
    job_log.append_many(
        connection,
        [
            (job_id, "info", "Job queued", {"retry_of_job_id": retry_of} if retry_of else None)
            for job_id, _, _, retry_of in new_jobs
        ],
    )
    events.append_many(
        connection,
        (
            ("job.created", "job", job_id, {"job_type": job_type, "retry_of_job_id": retry_of})
            for job_id, job_type, _, retry_of in new_jobs
        ),
    )


def request_cancel(connection, row) -> bool:
    """Cancel a queued job now, or ask a running one to stop; False when it has finished."""
    if row["status"] in FINISHED:
        return False
    if row["cancel_requested_at"] is None:
        job_rows.mark_cancel_requested(connection, row["job_id"])
        job_log.append(connection, row["job_id"], "info", "Cancel requested")
    if row["status"] == "queued":
        finish(connection, row, "canceled")
    return True


def local_owner() -> str:
    """The lease token of work run by this process's worker pool."""
    return f"local:{os.getpid()}:{secrets.token_hex(8)}"


def owner_is_gone(lease_token: str | None) -> bool:
    """Whether the process that ran a built-in job has gone (a crash or kill -9)."""
    try:
        pid = int((lease_token or "").split(":")[1])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return True  # this process has just started: it runs nothing yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Jobs:
    """The queue as the app sees it: the built-in job types registered with it, and
    `on_queued` callbacks that wake the worker pool. `plugins_dir` is where the job types
    of enabled plugins are declared."""

    def __init__(self, db: Database, max_attempts: int, plugins_dir: Path):
        self.db = db
        self.max_attempts = max_attempts
        self.plugins_dir = plugins_dir
        self.kinds: dict[str, JobKind] = {}
        self.on_queued: list[Callable[[], None]] = []
        self._log_waiters = threading.BoundedSemaphore(MAX_LOG_WAITERS)
        self._waits_ended = threading.Event()

    def register(self, kind: JobKind) -> None:
        """Run jobs of `kind.job_type` here, on the worker pool."""
        self.kinds[kind.job_type] = kind

    def accepted_input(self, job_type: str, job_input: Any, loc: tuple) -> dict:
        """The input to store for a job of this type, checked; 422 for unknown types."""
        job_input = validate.json_object(job_input, loc)
        kind = self.kinds.get(job_type)
        if kind is not None:
            return kind.prepare_input(job_input, loc)
        if job_type in plugins.enabled_job_types(self.db, self.plugins_dir):
            return job_input
        validate.fail(
            ("body", "job_type"),
            f"unknown job type {job_type!r}: neither built in nor declared by an enabled plugin",
        )

    def submit(self, job_type: str, job_input: Any, loc=("body", "input"), retry_of=None) -> dict:
        job_input = self.accepted_input(job_type, job_input, loc)
        job_id = ids.new_id()
        with self.db.write() as connection:
            queue(connection, [(job_id, job_type, job_input, retry_of)])
            row = fetch(connection, job_id)
        for wake in self.on_queued:
            wake()
        return job_dict(row)

    def get(self, job_id: str) -> dict:
        with self.db.read() as connection:
            return job_dict(fetch(connection, job_id))

    def list(self, status: str | None, job_type: str | None, page: paging.Paging) -> dict:
        """Newest first, optionally filtered by status and/or type."""
        conditions, parameters = [], []
        if status:
            conditions.append("status = ?")
            parameters.append(status)
        if job_type:
            conditions.append("job_type = ?")
            parameters.append(job_type)
        with self.db.read() as connection:
            return paging.newest_first(
                connection,
                "FROM jobs",
                " AND ".join(conditions) or "1",
                parameters,
                page,
                key=("created_at", "job_id"),
                item=job_dict,
            )

    def log(self, job_id: str, after_id: int, limit: int, wait_seconds: int = 0) -> Encoded:
        """Log lines after `after_id`, oldest first; `next_after_id` is what to pass next
        (JSON text, see `job_log.read_after`). With `wait_seconds`, an empty page is first
        waited on: see `wait_for_line`."""
        with self.db.read() as connection:
            fetch(connection, job_id)
        if wait_seconds:
            self.wait_for_line(job_id, after_id, wait_seconds)
        with self.db.read() as connection:
            return job_log.read_after(connection, job_id, after_id, limit)

    def wait_for_line(self, job_id: str, after_id: int, seconds: float) -> None:
        """Until the job has a log line after `after_id` or has finished, for at most
        `seconds`; at once when MAX_LOG_WAITERS readers wait already.

        The waiter looks again after each commit (`Database.wait_for_commit`), not on a
        clock: a client waiting on a quiet job costs nothing until something is written, and
        one waiting on a busy job is answered by the commit that brings its lines."""
        if not self._log_waiters.acquire(blocking=False):
            return
        try:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0 and not self._waits_ended.is_set():
                seen = self.db.commits()
                with self.db.read() as connection:
                    if job_log.has_line_after(connection, job_id, after_id):
                        return
                    if fetch(connection, job_id)["status"] in FINISHED:
                        return
                self.db.wait_for_commit(seen, left)
        finally:
            self._log_waiters.release()

    def end_waits(self) -> None:
        """Answer every log reader that waits, and wait no more (the server stops: its drain
        must not sit out the waits). Safe from a signal handler."""
        self._waits_ended.set()
        self.db.wake_commit_waiters()

    def cancel(self, job_id: str) -> dict:
        with self.db.write() as connection:
            requested = request_cancel(connection, fetch(connection, job_id))
            row = fetch(connection, job_id)
        return {"cancel_requested": requested, "job": job_dict(row)}

    def retry(self, job_id: str) -> dict:
        """A new job with the same type and input, recording which job it retries."""
        with self.db.read() as connection:
            row = fetch(connection, job_id)
        if row["status"] not in ("failed", "canceled"):
            raise Conflict(f"Job {job_id} is {row['status']}: only failed or canceled jobs retry")
        return self.submit(row["job_type"], parse_nullable(row["input_json"]), retry_of=job_id)

    def recover_interrupted(self) -> int:
        """Fail built-in jobs left `running` by a process that is gone; returns how many."""
        with self.db.write() as connection:
            rows = connection.execute(
                "SELECT * FROM jobs WHERE status = 'running' AND lease_token LIKE 'local:%'"
            ).fetchall()
            stale = [row for row in rows if owner_is_gone(row["lease_token"])]
            for row in stale:
                error = {"code": "interrupted", "message": "Core stopped while the job was running"}
                finish(connection, row, "failed", error=error)
        return len(stale)

    def take_next(self) -> tuple[dict, str] | None:
        """Start the oldest queued built-in job here: (job, lease token), or None. Looking
        first without the write lock keeps idle workers from queueing up on it."""
        with self.db.read() as connection:
            if oldest_queued(connection, self.kinds) is None:
                return None
        with self.db.write() as connection:
            row = oldest_queued(connection, self.kinds)
            return None if row is None else self.start_here(connection, row)

    def take(self, job_id: str) -> tuple[dict, str] | None:
        """Start this queued built-in job here (the CLI's in-process import), or None if it
        is no longer queued."""
        with self.db.write() as connection:
            row = fetch(connection, job_id)
            if row["status"] != "queued" or row["job_type"] not in self.kinds:
                return None
            return self.start_here(connection, row)

    def start_here(self, connection, row) -> tuple[dict, str]:
        lease_token = local_owner()
        start(connection, row, lease_token)
        return job_dict(fetch(connection, row["job_id"])), lease_token

    def complete_local(self, job_id: str, lease_token: str, status: str, result, error) -> None:
        """Record how a worker's job ended, unless it stopped being that worker's job."""
        with self.db.write() as connection:
            row = fetch(connection, job_id)
            if row["status"] == "running" and row["lease_token"] == lease_token:
                finish(connection, row, status, result=result, error=error)
