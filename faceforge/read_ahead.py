"""Reading ahead for bulk import: a helper thread copies the next few files to tmp/ (hashing
them as it goes) while the job checks and records the ones before.

Copying bytes is mostly the kernel's work and hashing runs outside the GIL, so on a machine
with two cores it overlaps with the job's own Python and SQLite work instead of adding to it.
Only the job's thread touches the job (its log, progress and cancel checks): while it waits
for a file it keeps calling `checkpoint()`, and on a cancel `close()` stops the helper at its
next chunk and removes every temp file that was not handed out.
"""

import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from faceforge import ingest
from faceforge.job_context import FLUSH_INTERVAL_SECONDS, JobContext

AHEAD_FILES = 8


class Stopped(Exception):
    """The import stopped; the copy under way is abandoned."""


class StoppableReader:
    def __init__(self, handle, stop: threading.Event):
        self.handle = handle
        self.stop = stop

    def read(self, size: int = -1) -> bytes:
        if self.stop.is_set():
            raise Stopped
        return self.handle.read(size)


class ReadAhead:
    """Stages `paths` in order; `take()` returns the next one's StagedFile (or raises what
    staging it raised: OSError, PayloadTooLarge). Use as a context manager."""

    def __init__(self, context: JobContext, paths: Iterable[Path], ahead: int = AHEAD_FILES):
        self.context = context
        self._paths = iter(paths)
        self._futures: deque[Future] = deque()
        self._stop = threading.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="faceforge-read-ahead")
        for _ in range(ahead):
            self._submit_next()

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _submit_next(self) -> None:
        path = next(self._paths, None)
        if path is not None:
            self._futures.append(self._executor.submit(self._stage, path))

    def _stage(self, path: Path) -> ingest.StagedFile:
        with path.open("rb") as handle:
            return ingest.stage_for(self.context.services, StoppableReader(handle, self._stop))

    def take(self) -> ingest.StagedFile:
        future = self._futures[0]
        while True:
            try:
                future.result(timeout=FLUSH_INTERVAL_SECONDS)
                break
            except FutureTimeout:
                self.context.checkpoint()
            except Exception:
                break
        self._futures.popleft()
        self._submit_next()
        return future.result()

    def close(self) -> None:
        """Stop the helper and remove the temp files nobody took."""
        self._stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for future in self._futures:
            if not future.cancelled() and future.exception() is None:
                future.result().temp_path.unlink(missing_ok=True)
        self._futures.clear()
