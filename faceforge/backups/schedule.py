"""Scheduled backups: a thread that queues a `system.backup` job when one is due.

A backup is due `backup.every_hours` after the newer of the newest complete backup and the
last backup job submitted (so a failing destination is tried again once per period, not
once per check), and never while one is queued or running. Both are read from the disk and
the database, so the schedule carries on across restarts.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faceforge import clock
from faceforge.backups import folders
from faceforge.backups.create import JOB_TYPE
from faceforge.jobs.queue import Jobs

log = logging.getLogger("faceforge.backups")

CHECK_SECONDS = 60.0


class BackupSchedule:
    def __init__(self, jobs: Jobs, root: Path, every_hours: int):
        self.jobs = jobs
        self.root = root
        self.period = timedelta(hours=every_hours)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> "BackupSchedule":
        """Start checking, unless scheduled backups are off (`backup.every_hours` = 0)."""
        if self.period:
            self.thread = threading.Thread(
                target=self._check_until_stopped, name="faceforge-backup-schedule", daemon=True
            )
            self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()

    def _check_until_stopped(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.due(datetime.now(UTC)):
                    job = self.jobs.submit(JOB_TYPE, {})
                    log.info("scheduled backup queued as job %s", job["job_id"])
            except Exception:
                log.exception("the backup schedule could not queue a backup")
            self.stopping.wait(CHECK_SECONDS)

    def due(self, now: datetime) -> bool:
        last_job = self.last_job()
        if last_job is not None and last_job["status"] in ("queued", "running"):
            return False
        moments = [clock.parse_time(last_job["created_at"])] if last_job else []
        newest = folders.newest(self.root)
        if newest is not None:
            moments.append(folders.stamp_time(newest.name))
        return not moments or now - max(moments) >= self.period

    def last_job(self):
        with self.jobs.db.read() as connection:
            return connection.execute(
                "SELECT status, created_at FROM jobs WHERE job_type = ?"
                " ORDER BY created_at DESC LIMIT 1",
                (JOB_TYPE,),
            ).fetchone()
