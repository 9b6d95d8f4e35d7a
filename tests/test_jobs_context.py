"""How a built-in job writes while it runs: progress and log lines are batched (a handful of
transactions a second however fast the job goes), and a cancel is noticed promptly."""

import threading
import time

import pytest

from faceforge import runtime
from faceforge.jobs.context import (
    FLUSH_INTERVAL_SECONDS,
    JobCanceled,
    JobContext,
    JobInterrupted,
    JobKind,
)
from faceforge.jobs.queue import Jobs

# A built-in job type that accepts any input; these tests drive its context by hand.
MANUAL = JobKind("test.manual", prepare_input=lambda job_input, loc: job_input, run=None)


@pytest.fixture
def queue(home):
    config = runtime.prepare(home, {})
    db = runtime.open_database(config)
    jobs = Jobs(db, config["jobs.max_attempts"], config.home.plugins_dir)
    jobs.register(MANUAL)
    yield jobs
    db.close()


def started_job(queue) -> tuple[str, str]:
    """A running job of a built-in type, started as a worker would start it."""
    job = queue.submit("test.manual", {})
    taken, lease_token = queue.take(job["job_id"])
    return taken["job_id"], lease_token


def count_commits(db) -> list[str]:
    """Every COMMIT this thread's connection runs from now on."""
    commits: list[str] = []
    db.connection().set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    return commits


def test_a_flood_of_progress_and_log_lines_becomes_a_few_transactions(queue):
    job_id, lease_token = started_job(queue)
    context = JobContext(queue.db, job_id, lease_token, threading.Event())
    commits = count_commits(queue.db)
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < 1.0:
        done += 1
        context.progress(done, 10**9, f"{done} files")
        context.log("info", "Imported", {"done": done})
        context.checkpoint()
    context.flush()
    elapsed = time.monotonic() - started
    assert done > 1000
    buffered_flushes = done // 1000  # a full buffer is written at once
    assert len(commits) <= elapsed / FLUSH_INTERVAL_SECONDS + buffered_flushes + 2
    job = queue.get(job_id)
    assert job["progress_step"] == f"{done} files"
    lines = queue.db.connection().execute(
        "SELECT COUNT(*) FROM job_logs WHERE job_id = ? AND message = 'Imported'", (job_id,)
    )
    assert lines.fetchone()[0] == done


def test_progress_reaches_the_database_within_a_flush_interval(queue):
    job_id, lease_token = started_job(queue)
    context = JobContext(queue.db, job_id, lease_token, threading.Event())
    context.progress(1, 4, "one")
    context.checkpoint()
    time.sleep(FLUSH_INTERVAL_SECONDS)
    context.checkpoint()
    assert queue.get(job_id)["progress_percent"] == 25


def test_a_cancel_is_noticed_at_the_next_due_checkpoint(queue):
    job_id, lease_token = started_job(queue)
    context = JobContext(queue.db, job_id, lease_token, threading.Event())
    queue.cancel(job_id)
    started = time.monotonic()
    with pytest.raises(JobCanceled):
        while True:
            context.checkpoint()
    assert time.monotonic() - started <= FLUSH_INTERVAL_SECONDS + 0.2


def test_a_sleeping_job_wakes_for_a_cancel(queue):
    job_id, lease_token = started_job(queue)
    context = JobContext(queue.db, job_id, lease_token, threading.Event())
    threading.Timer(0.1, queue.cancel, args=(job_id,)).start()
    started = time.monotonic()
    with pytest.raises(JobCanceled):
        context.sleep(30)
    assert time.monotonic() - started < 1


def test_a_shutdown_interrupts_at_once(queue):
    job_id, lease_token = started_job(queue)
    stopping = threading.Event()
    context = JobContext(queue.db, job_id, lease_token, stopping)
    stopping.set()
    with pytest.raises(JobInterrupted):
        context.checkpoint()
