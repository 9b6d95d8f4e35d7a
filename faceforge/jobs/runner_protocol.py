"""The runner protocol (API.md §7): how out-of-process runners work on plugin job types.

A runner claims the oldest queued job of the types it serves and gets a lease: a random
token that every later call must carry, valid for `lease_seconds`. Any call with a valid
token (heartbeat, log, progress) extends the lease. When a lease lapses the runner is
presumed gone: the job goes back to the queue, or fails once it has been started
`jobs.max_attempts` times, or becomes canceled if a cancel was waiting for it.
"""

import secrets

from faceforge import clock, validate
from faceforge.errors import Conflict
from faceforge.jobs import log as job_log
from faceforge.jobs import queue as jobs
from faceforge.jobs import rows as job_rows

MIN_LEASE_SECONDS = 5
MAX_LEASE_SECONDS = 3600
DEFAULT_LEASE_SECONDS = 60


def reply(row) -> dict:
    """What every runner call answers: whether to stop, the job, and the lease's new expiry
    (null once the job has finished)."""
    return {
        "cancel_requested": row["cancel_requested_at"] is not None,
        "job": jobs.job_dict(row),
        "lease_expires_at": row["lease_expires_at"],
    }


def claim(queue: jobs.Jobs, job_types: list[str], lease_seconds: int) -> dict | None:
    """Start the oldest queued job of `job_types` for a runner; None when nothing waits."""
    for index, job_type in enumerate(job_types):
        if job_type in queue.kinds:
            validate.fail(
                ("body", "job_types", index), f"{job_type} is built in: Core runs it itself"
            )
    requeue_lapsed(queue.db, queue.max_attempts)
    with queue.db.read() as connection:
        if jobs.oldest_queued(connection, job_types) is None:
            return None  # an idle runner's poll takes no write lock
    with queue.db.write() as connection:
        row = jobs.oldest_queued(connection, job_types)
        if row is None:
            return None
        lease_token = secrets.token_urlsafe(32)
        jobs.start(connection, row, lease_token, lease_seconds)
        row = jobs.fetch(connection, row["job_id"])
    return {
        "job": jobs.job_dict(row),
        "lease_token": lease_token,
        "lease_expires_at": row["lease_expires_at"],
    }


def leased(connection, job_id: str, lease_token: str):
    """The job row if `lease_token` holds its live lease; 409 otherwise."""
    row = jobs.fetch(connection, job_id)
    if row["status"] != "running" or row["lease_expires_at"] is None:
        raise Conflict(f"Job {job_id} is {row['status']}: it holds no runner lease")
    if not secrets.compare_digest((row["lease_token"] or "").encode(), lease_token.encode()):
        raise Conflict(f"Lease token does not match the lease on job {job_id}")
    if row["lease_expires_at"] < clock.now():
        raise Conflict(f"The lease on job {job_id} has expired")
    return row


def extend(connection, row) -> None:
    job_rows.extend_lease(connection, row["job_id"], row["lease_seconds"])


def heartbeat(db, job_id: str, lease_token: str) -> dict:
    with db.write() as connection:
        extend(connection, leased(connection, job_id, lease_token))
        return reply(jobs.fetch(connection, job_id))


def log(db, job_id: str, lease_token: str, level: str, message: str, data) -> dict:
    with db.write() as connection:
        row = leased(connection, job_id, lease_token)
        job_log.append(connection, job_id, level, message, data)
        extend(connection, row)
        return reply(jobs.fetch(connection, job_id))


def progress(db, job_id: str, lease_token: str, percent: float, step: str | None) -> dict:
    with db.write() as connection:
        row = leased(connection, job_id, lease_token)
        job_rows.set_progress(connection, job_id, lease_token, percent, step)
        extend(connection, row)
        return reply(jobs.fetch(connection, job_id))


def complete(db, job_id: str, lease_token: str, result: dict | None) -> dict:
    with db.write() as connection:
        row = leased(connection, job_id, lease_token)
        jobs.finish(connection, row, "succeeded", result=result)
        return reply(jobs.fetch(connection, job_id))


def fail(db, job_id: str, lease_token: str, error: dict) -> dict:
    """Failed, or canceled when the runner gives up because a cancel was requested."""
    with db.write() as connection:
        row = leased(connection, job_id, lease_token)
        if row["cancel_requested_at"] is not None:
            jobs.finish(connection, row, "canceled", error=error)
        else:
            jobs.finish(connection, row, "failed", error=error)
        return reply(jobs.fetch(connection, job_id))


def requeue_lapsed(db, max_attempts: int) -> int:
    """Deal with runner leases that have run out; returns how many jobs it touched."""
    now = clock.now()
    query = (
        "SELECT * FROM jobs WHERE lease_token IS NOT NULL AND lease_expires_at < ?"
        " AND status = 'running'"
    )
    with db.read() as connection:
        if connection.execute(query, (now,)).fetchone() is None:
            return 0
    with db.write() as connection:
        rows = connection.execute(query, (now,)).fetchall()
        for row in rows:
            if row["cancel_requested_at"] is not None:
                jobs.finish(connection, row, "canceled")
            elif row["attempts"] >= max_attempts:
                message = f"The runner stopped renewing its lease ({row['attempts']} attempts)"
                jobs.finish(
                    connection, row, "failed", error={"code": "lease_expired", "message": message}
                )
            else:
                job_rows.requeue(connection, row["job_id"])
                job_log.append(
                    connection,
                    row["job_id"],
                    "warning",
                    "Lease expired; job re-queued",
                    {"attempts": row["attempts"], "max_attempts": max_attempts},
                )
    return len(rows)
