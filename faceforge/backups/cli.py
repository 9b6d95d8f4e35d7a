"""`backup`, `verify` and `restore` on the command line.

`backup` queues the job on this home's running server when there is one (so it shows in the
job list and the UI), and runs it in this process otherwise; either way it follows the job
with a progress line until it ends, and Ctrl-C cancels it.
"""

import sys
import time
from pathlib import Path

from faceforge.backups import create, restore, verify
from faceforge.import_cli import POLL_SECONDS, LocalJobs, find_server

SUBMIT_PATH = "/v1/admin/backups"
FINISHED = ("succeeded", "failed", "canceled")


def backup(args, config) -> int:
    destination = str(Path(args.to).expanduser().resolve()) if args.to else None
    server = find_server(config, SUBMIT_PATH, "nothing backed up")
    jobs = server or LocalJobs(config, create.JOB_TYPE)
    where = "the running server" if server else "this process"
    try:
        job = jobs.submit({"destination": destination})
        print(f"Backing up {config.home.root} in {where} (job {job['job_id']})", file=sys.stderr)
        job = follow(jobs, job["job_id"])
    finally:
        jobs.close()
    if job["status"] == "succeeded":
        result = job["result"]
        print(
            f"Backup {result['path']}: {result['copied_files']} files copied,"
            f" {result['linked_files']} hard-linked to the previous backup"
        )
        return 0
    print(f"Backup {job['status']}: {(job['error'] or {}).get('message', '')}", file=sys.stderr)
    return 1


def follow(jobs, job_id: str, stream=sys.stderr) -> dict:
    """Poll the job until it ends, redrawing one progress line; Ctrl-C asks it to stop."""
    live = stream.isatty()
    shown = None
    while True:
        try:
            job = jobs.job(job_id)
            line = f"{job['progress_percent'] or 0:5.1f}%  {job['progress_step'] or 'queued'}"
            if line != shown:
                stream.write(f"\r{line}\x1b[K" if live else f"{line}\n")
                stream.flush()
                shown = line
            if job["status"] in FINISHED:
                if live:
                    stream.write("\n")
                return job
            time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            print("\nCanceling the backup...", file=stream, flush=True)
            jobs.cancel(job_id)


def verify_backup(args) -> int:
    folder = Path(args.backup).expanduser().resolve()
    problems = verify.problems(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found in {folder}")
        return 1
    print(f"{folder} is whole: the snapshot passes its integrity check, every file its hash")
    return 0


def restore_backup(args, root: Path) -> int:
    folder = Path(args.backup).expanduser().resolve()
    try:
        restored = restore.restore(folder, root, args.force)
    except restore.RestoreRefused as refused:
        for problem in refused.problems:
            print(problem)
        raise
    print(f"restored {folder} into {restored['home']} ({restored['files']} asset files)")
    return 0
