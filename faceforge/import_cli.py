"""`python faceforge.py import DIR`: bulk import from a terminal, with a live progress bar.

When this home's server is running (config/ports.json names its port and it answers with
this home's install token) the job is submitted to it, so it shows in the job list and the UI
like any other. When nothing listens there, the job runs in this process through the very
same code. When something else answers there, the command says so and imports nothing. Either
way the command follows the job's log, draws progress with files/s and an ETA, and Ctrl-C
cancels the import (a second Ctrl-C stops waiting).
"""

import sys
import threading
import time
from pathlib import Path

from faceforge import client, runtime
from faceforge.assets import bulk_import
from faceforge.errors import ApiError
from faceforge.jobs import workers
from faceforge.json_text import parse

POLL_SECONDS = 0.5
LOG_PAGE = 1000
# Generous: a busy server answers late, and Windows takes about two seconds to refuse a
# connection to a closed loopback port; running out of it stops the import.
REPLY_TIMEOUT_SECONDS = 30.0
EXIT_OK, EXIT_FAILED, EXIT_FILE_ERRORS, EXIT_CANCELED = 0, 1, 2, 130


class ImportFailed(Exception):
    """The import could not start (bad folder, server error); the message says why."""


class ServerJobs:
    """The job API of a running server; its failures are the client's one-line errors.
    `submit_path` is the route that queues the job (bulk import's by default)."""

    def __init__(self, core: client.CoreClient, submit_path: str = "/v1/assets/bulk-import"):
        self.core = core
        self.submit_path = submit_path

    def submit(self, job_input: dict) -> dict:
        return self.core.call("POST", self.submit_path, job_input)

    def job(self, job_id: str) -> dict:
        return self.core.call("GET", f"/v1/jobs/{job_id}")

    def log_after(self, job_id: str, after_id: int) -> dict:
        return self.core.call("GET", f"/v1/jobs/{job_id}/log?after_id={after_id}&limit={LOG_PAGE}")

    def cancel(self, job_id: str) -> None:
        self.core.call("POST", f"/v1/jobs/{job_id}/cancel")

    def close(self) -> None:
        pass


class LocalJobs:
    """The same calls, answered in this process; the job (bulk import unless `job_type`
    says otherwise) runs on a thread of its own."""

    def __init__(self, config, job_type: str = bulk_import.JOB_TYPE):
        self.job_type = job_type
        self.services = runtime.build_services(config, serving=False)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def submit(self, job_input: dict) -> dict:
        try:
            job = self.services.jobs.submit(self.job_type, job_input, loc=("body",))
        except ApiError as error:
            raise ImportFailed(error.message) from None
        taken = self.services.jobs.take(job["job_id"])
        if taken is not None:
            arguments = (self.services.jobs, *taken, self.stopping)
            self.thread = threading.Thread(target=workers.run_job, args=arguments)
            self.thread.start()
        return job

    def job(self, job_id: str) -> dict:
        return self.services.jobs.get(job_id)

    def log_after(self, job_id: str, after_id: int) -> dict:
        return parse(self.services.jobs.log(job_id, after_id, LOG_PAGE))

    def cancel(self, job_id: str) -> None:
        self.services.jobs.cancel(job_id)

    def close(self) -> None:
        if self.thread is not None:
            self.stopping.set()
            self.thread.join()
        self.services.close()


def find_server(config) -> ServerJobs | None:
    """This home's running server; None when config/ports.json names none or nothing listens
    there any more. Whatever else answers there (another program, a server that refuses
    this home's token) stops the import: importing beside a server we cannot reach through
    its API is what this check is for."""
    base_url = client.locate(config.home, config["network.bind_host"])
    if base_url is None:
        return None
    core = client.CoreClient(base_url, config["auth.install_token"], REPLY_TIMEOUT_SECONDS)
    try:
        core.call("GET", "/v1/ping")
    except client.CoreUnreachable:
        return None
    except client.CoreRefused as error:
        raise ImportFailed(
            f"the server at {base_url} refused this home's install token ({error});"
            " nothing imported"
        ) from None
    except client.ClientError as error:
        raise ImportFailed(f"{error}; nothing imported") from None
    return ServerJobs(core)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressBar:
    """One redrawn line on a terminal; a line every few seconds when stderr is a file."""

    WIDTH = 30
    PLAIN_EVERY_SECONDS = 5.0

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.monotonic()
        self.last_plain = 0.0
        self.text = ""

    def update(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        fraction = done / total if total else 1.0
        filled = int(self.WIDTH * fraction)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.text = (
            f"[{bar}] {fraction:4.0%} {done}/{total} files"
            f"  {rate:,.0f} files/s  ETA {duration(eta)}"
        )
        if self.live:
            self.stream.write("\r" + self.text + "\x1b[K")
            self.stream.flush()
        elif time.monotonic() - self.last_plain >= self.PLAIN_EVERY_SECONDS:
            self.last_plain = time.monotonic()
            print(self.text, file=self.stream, flush=True)

    def note(self, line: str) -> None:
        """A message above the bar."""
        prefix = "\r\x1b[K" if self.live else ""
        print(prefix + line, file=self.stream, flush=True)
        if self.live and self.text:
            self.stream.write(self.text)
            self.stream.flush()

    def finish(self) -> None:
        if self.live:
            self.stream.write("\n")
        elif self.text:
            print(self.text, file=self.stream)
        self.stream.flush()


def problem_note(message: str, data: dict) -> str:
    """`Import failed: a.jpg <why>`; a sidecar left out also names the sidecar."""
    problem = data.get("error", "")
    if "sidecar" in data:
        problem = f"({data['sidecar']}: {problem})"
    return f"{message}: {data.get('file', '')} {problem}"


def follow(jobs, job_id: str, bar: ProgressBar, announcement: str) -> dict:
    """Announce the job, then follow it until it ends, drawing progress and noting failed files.
    The announcement is printed inside the Ctrl-C handling: a user who presses Ctrl-C as soon
    as it appears must cancel the job, not meet a traceback."""
    after_id, done, total = 0, 0, 0
    canceling = False
    while True:
        try:
            if announcement:
                message, announcement = announcement, ""
                print(message, file=sys.stderr, flush=True)
            # The status first: once it says finished, the log lines read next are all there.
            job = jobs.job(job_id)
            while True:
                page = jobs.log_after(job_id, after_id)
                for line in page["items"]:
                    data = line["data"] or {}
                    done, total = data.get("done", done), data.get("total", total)
                    if line["level"] in ("warning", "error"):
                        bar.note(problem_note(line["message"], data))
                after_id = page["next_after_id"]
                if len(page["items"]) < LOG_PAGE:
                    break
            if total:
                bar.update(done, total)
            if job["status"] in ("succeeded", "failed", "canceled"):
                return job
            time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            if canceling:
                raise
            canceling = True
            bar.note("Canceling the import (Ctrl-C again to stop waiting)...")
            jobs.cancel(job_id)


def run(args, config) -> int:
    folder = Path(args.folder).expanduser().resolve()
    job_input = {
        "path": str(folder),
        "recursive": args.recursive,
        "kind": args.kind,
        "entity_id": args.entity,
        "role": args.role,
        "throttle_ms": args.throttle_ms,
    }
    jobs = find_server(config) or LocalJobs(config)
    where = "the running server" if isinstance(jobs, ServerJobs) else "this process"
    try:
        job = jobs.submit(job_input)
        bar = ProgressBar()
        try:
            announcement = f"Importing {folder} in {where} (job {job['job_id']})"
            job = follow(jobs, job["job_id"], bar, announcement)
        finally:
            bar.finish()
    finally:
        jobs.close()
    return report(job)


def report(job: dict) -> int:
    result = job["result"] or {}
    if job["status"] == "succeeded":
        print(
            f"Imported {result['imported']}, already imported {result['skipped_existing']},"
            f" errors {result['errors']}, warnings {result['warnings']}"
        )
        return EXIT_FILE_ERRORS if result["errors"] else EXIT_OK
    if job["status"] == "canceled":
        print("Import canceled", file=sys.stderr)
        return EXIT_CANCELED
    print(f"Import failed: {job['error']['message']}", file=sys.stderr)
    return EXIT_FAILED
