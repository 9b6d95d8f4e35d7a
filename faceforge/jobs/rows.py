"""The writes of the `jobs` table, all of them: the queue changes a job's state
(`queue.py`), a running built-in job its progress (`context.py`), a runner its lease and
progress (`runner_protocol.py`). This module sits below all three because the queue imports
the job kinds, which run with a context: a context could not call back into the queue.
The log line and the event of each change are written by the callers, in the same
transaction."""

from faceforge import clock
from faceforge.db import execute_rows
from faceforge.json_text import dumps, dumps_nullable


def insert(connection, new_jobs: list[tuple[str, str, dict, str | None]]) -> None:
    """Queued jobs, each `(job_id, job_type, input, retry_of_job_id)`, in few statements."""
    now = clock.now()
    execute_rows(
        connection,
        "INSERT INTO jobs (job_id, job_type, status, input_json, retry_of_job_id,"
        " created_at, updated_at) VALUES {rows}",
        "(?, ?, 'queued', ?, ?, ?, ?)",
        (
            (job_id, job_type, dumps(job_input), retry_of, now, now)
            for job_id, job_type, job_input, retry_of in new_jobs
        ),
    )


def mark_started(connection, job_id: str, lease_token: str, lease_seconds: int | None) -> None:
    """queued → running, owned by `lease_token` (for `lease_seconds` when it is a runner)."""
    now = clock.now()
    expires = None if lease_seconds is None else clock.after(lease_seconds)
    connection.execute(
        "UPDATE jobs SET status = 'running', started_at = ?, updated_at = ?,"
        " attempts = attempts + 1, lease_token = ?, lease_seconds = ?, lease_expires_at = ?"
        " WHERE job_id = ?",
        (now, now, lease_token, lease_seconds, expires, job_id),
    )


def mark_finished(connection, job_id: str, status: str, result, error) -> None:
    """A finished state; a success also fills the progress bar."""
    now = clock.now()
    connection.execute(
        "UPDATE jobs SET status = ?, result_json = ?, error_json = ?, finished_at = ?,"
        " canceled_at = ?, updated_at = ?, lease_token = NULL, lease_expires_at = NULL,"
        " progress_percent = CASE WHEN ? = 'succeeded' THEN 100 ELSE progress_percent END"
        " WHERE job_id = ?",
        (
            status,
            dumps_nullable(result),
            dumps_nullable(error),
            now,
            now if status == "canceled" else None,
            now,
            status,
            job_id,
        ),
    )


def mark_cancel_requested(connection, job_id: str) -> None:
    now = clock.now()
    connection.execute(
        "UPDATE jobs SET cancel_requested_at = ?, updated_at = ? WHERE job_id = ?",
        (now, now, job_id),
    )


def set_progress(connection, job_id: str, lease_token: str, percent: float, step) -> None:
    """Only while `lease_token` still holds the job (a worker may have lost it)."""
    connection.execute(
        "UPDATE jobs SET progress_percent = ?, progress_step = ?, updated_at = ?"
        " WHERE job_id = ? AND lease_token = ?",
        (percent, step, clock.now(), job_id, lease_token),
    )


def extend_lease(connection, job_id: str, lease_seconds: int) -> None:
    connection.execute(
        "UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE job_id = ?",
        (clock.after(lease_seconds), clock.now(), job_id),
    )


def requeue(connection, job_id: str) -> None:
    """running → queued again, with no owner and no progress (a runner's lease lapsed)."""
    connection.execute(
        "UPDATE jobs SET status = 'queued', lease_token = NULL, lease_expires_at = NULL,"
        " progress_percent = 0, progress_step = NULL, updated_at = ? WHERE job_id = ?",
        (clock.now(), job_id),
    )
