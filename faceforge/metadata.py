"""Metadata extraction off the request path: a small pool of threads, each owning one
`-stay_open` ExifTool process that serves asset after asset (uploads and bulk imports alike).

An ingest sets `metadata_status` to `pending` (or `skipped`: ExifTool disabled or missing, or
a file name the skip rules exclude) and submits the asset; the worker records `done` with
the ExifTool entry, or `failed` with the reason in the log. Assets still `pending` when the
server starts (it stopped first) are submitted again.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from faceforge import assets, exiftool
from faceforge.errors import ApiError

log = logging.getLogger("faceforge.metadata")

WORKERS = 2


class MetadataWorkers:
    def __init__(self, config, db, storage):
        self.db = db
        self.storage = storage
        self.tool = exiftool.locate(config)
        self.timeout = config["tools.exiftool_timeout_seconds"]
        self._local = threading.local()
        self._processes: list[exiftool.ExifToolProcess] = []
        self._lock = threading.Lock()
        self._queued: dict[str, Future] = {}
        self._executor = (
            ThreadPoolExecutor(WORKERS, thread_name_prefix="exiftool") if self.tool else None
        )

    def status_for(self, filename: str) -> str:
        """The status a new asset starts with."""
        return "skipped" if self.tool is None or exiftool.is_skipped(filename) else "pending"

    def submit(self, asset_id: str) -> Future | None:
        """Queue an extraction; the Future resolves to the final status. An asset already
        queued is not queued twice (the same bytes met twice in one import): two workers
        would both see it `pending` and both run ExifTool on it."""
        if self._executor is None:
            return None
        with self._lock:
            future = self._queued.get(asset_id)
            if future is not None:
                return future
            future = self._queued[asset_id] = self._executor.submit(self.extract, asset_id)
        future.add_done_callback(lambda _: self._forget(asset_id))
        return future

    def _forget(self, asset_id: str) -> None:
        with self._lock:
            self._queued.pop(asset_id, None)

    def resume_pending(self) -> None:
        if self._executor is not None:
            for asset_id in assets.pending_extractions(self.db):
                self.submit(asset_id)

    def _process(self) -> exiftool.ExifToolProcess:
        process = getattr(self._local, "process", None)
        if process is None:
            process = self._local.process = exiftool.ExifToolProcess(self.tool)
            with self._lock:
                self._processes.append(process)
        return process

    def extract(self, asset_id: str) -> str:
        """Run ExifTool on one asset and record the outcome (in a worker thread)."""
        try:
            asset = assets.get(self.db, asset_id)
        except ApiError:
            return "gone"
        if asset["metadata_status"] != "pending":
            return asset["metadata_status"]
        try:
            provider = self.storage.provider(asset["storage_provider"])
            with provider.local_path(asset["storage_key"]) as path:
                data = self._process().run(path, self.timeout)
        except (exiftool.ExifToolError, ApiError, OSError) as error:
            reason = getattr(error, "message", None) or str(error)
            log.warning(
                "metadata extraction failed for %s (%s): %s", asset_id, asset["filename"], reason
            )
            assets.set_metadata_result(self.db, asset_id, "failed", None)
            return "failed"
        assets.set_metadata_result(self.db, asset_id, "done", exiftool.entry(data))
        return "done"

    def close(self) -> None:
        """Finish the extraction under way, drop the queue, stop every ExifTool process."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for process in self._processes:
                process.close()
            self._processes.clear()
