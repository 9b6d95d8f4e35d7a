"""The queue of a pool of worker threads that serve assets off the request path (ExifTool's
metadata workers, ffmpeg's thumbnail workers): asset ids in, shares of up to `batch_files`
out, each asset queued once at a time.
"""

import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable


class WorkQueue:
    def __init__(self, workers: int, batch_files: int, log: logging.Logger):
        self.workers = workers
        self.log = log
        self.batch_files = batch_files
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()  # in the queue or being served
        self._wake = threading.Condition()
        self._closing = False

    def submit_many(self, asset_ids: Iterable[str]) -> None:
        """Queue assets. One already queued or under way is not queued again (the same bytes
        met twice in one import): two workers would otherwise serve it at once."""
        with self._wake:
            new = [
                asset_id for asset_id in dict.fromkeys(asset_ids) if asset_id not in self._queued
            ]
            self._queued.update(new)
            self._queue.extend(new)
            self._wake.notify_all()

    def _take(self) -> list[str] | None:
        """The next share of the queue (shared fairly among the workers), waiting for one;
        None once closing."""
        with self._wake:
            while not self._queue and not self._closing:
                self._wake.wait()
            if self._closing:
                return None
            share = min(self.batch_files, math.ceil(len(self._queue) / self.workers))
            return [self._queue.popleft() for _ in range(share)]

    def serve(self, handle: Callable[[list[str]], None], what: str) -> None:
        """A worker thread's loop: `handle` share after share until the queue closes. An
        error escaping `handle` is logged (`what` names the work) and the worker goes on."""
        while (asset_ids := self._take()) is not None:
            try:
                handle(asset_ids)
            except Exception:
                self.log.exception("%s of %d assets failed", what, len(asset_ids))
            finally:
                with self._wake:
                    self._queued.difference_update(asset_ids)

    def close(self) -> None:
        """Drop what is queued and let every worker's `serve` return after its current share."""
        with self._wake:
            self._closing = True
            self._queue.clear()
            self._queued.clear()
            self._wake.notify_all()
