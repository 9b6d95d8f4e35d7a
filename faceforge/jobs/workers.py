"""The worker pool: `jobs.workers` threads that run built-in jobs, oldest queued first.

Started and stopped by the runtime with the rest of the services. A submit wakes a waiting
worker at once; otherwise each worker looks at the queue every POLL_SECONDS, which also
catches jobs queued by another process and lets one worker put lapsed runner leases back in
the queue. On shutdown a running job is asked to stop (its next checkpoint raises
JobInterrupted) and is failed with `error.code = "interrupted"`, so it can be retried.
"""

import logging
import threading

from faceforge.errors import ApiError
from faceforge.jobs import queue as jobs
from faceforge.jobs import runner_protocol
from faceforge.jobs.context import JobCanceled, JobContext, JobFailed, JobInterrupted

log = logging.getLogger("faceforge.jobs")

POLL_SECONDS = 1.0
JOIN_SECONDS = 10.0


class WorkerPool:
    def __init__(self, queue: jobs.Jobs, count: int):
        self.queue = queue
        self.count = count
        self.stopping = threading.Event()
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._threads: list[threading.Thread] = []

    def start(self) -> "WorkerPool":
        self.queue.on_queued.append(self.wake)
        for number in range(self.count):
            thread = threading.Thread(
                target=self._work, args=(number,), name=f"faceforge-job-worker-{number}"
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def wake(self) -> None:
        with self._wake:
            self._pending_wakes += 1
            self._wake.notify()

    def stop(self) -> None:
        self.stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
        self._threads.clear()

    def _wait(self) -> None:
        with self._wake:
            if self._pending_wakes == 0 and not self.stopping.is_set():
                self._wake.wait(POLL_SECONDS)
            self._pending_wakes = max(0, self._pending_wakes - 1)

    def _work(self, number: int) -> None:
        while not self.stopping.is_set():
            try:
                if number == 0:
                    runner_protocol.requeue_lapsed(self.queue.db, self.queue.max_attempts)
                taken = self.queue.take_next()
            except Exception:
                log.exception("job worker %s could not read the queue", number)
                taken = None
            if taken is None:
                self._wait()
                continue
            try:
                run_job(self.queue, *taken, self.stopping)
            except Exception:
                log.exception("job worker %s could not record the end of a job", number)


def run_job(queue: jobs.Jobs, job: dict, lease_token: str, stopping: threading.Event) -> None:
    """Run one started built-in job to its end and record how it ended."""
    context = JobContext(queue.db, job["job_id"], lease_token, stopping)
    kind = queue.kinds[job["job_type"]]
    status, result, error = "succeeded", None, None
    try:
        result = kind.run(context, job["input"])
    except JobCanceled as canceled:
        status, result = "canceled", canceled.result
    except JobInterrupted as stopped:
        status, error = "failed", {"code": "interrupted", "message": str(stopped)}
    except (ApiError, JobFailed) as failure:
        status, error = "failed", {"code": failure.code, "message": failure.message}
    except Exception as failure:
        log.exception("job %s (%s) failed", job["job_id"], job["job_type"])
        status, error = "failed", {"code": "internal_error", "message": str(failure)}
    try:
        context.flush()
    except Exception:
        log.exception("job %s: could not write its last log lines", job["job_id"])
    queue.complete_local(job["job_id"], lease_token, status, result, error)
