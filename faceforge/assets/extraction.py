"""Metadata extraction off the request path: a small pool of threads, each owning one
`-stay_open` ExifTool process that serves asset after asset (uploads and bulk imports alike).

An ingest sets `metadata_status` to `pending` (or `skipped`: ExifTool disabled or missing, or
a file name the skip rules exclude) and submits the asset; the worker records `done` with
the ExifTool entry, or `failed` with the reason in the log. Assets still `pending` when the
server starts (it stopped first) are submitted again.

A worker takes up to BATCH_FILES queued assets at once (sharing the queue fairly with the
other worker) and sends them to ExifTool as one request, then records all their outcomes in
one transaction: per file, a request costs ExifTool about as much as reading a small file.
When a whole request fails (a timeout, a crash), its files are retried one by one, so one
bad file only fails itself.
"""

import contextlib
import functools
import logging
import threading

from faceforge.assets import exiftool
from faceforge.assets import rows as assets
from faceforge.assets.work_queue import WorkQueue
from faceforge.errors import ApiError

log = logging.getLogger("faceforge.metadata")

WORKERS = 2
BATCH_FILES = 32


class MetadataWorkers:
    def __init__(self, config, db, storage):
        self.db = db
        self.storage = storage
        self.tool = exiftool.locate(config)
        self.timeout = config["tools.exiftool_timeout_seconds"]
        self._queue = WorkQueue(WORKERS, BATCH_FILES, log)
        self._processes: list[exiftool.ExifToolProcess] = []
        self._threads: list[threading.Thread] = []
        if self.tool is not None:
            for number in range(WORKERS):
                process = exiftool.ExifToolProcess(self.tool, config.home.root)
                thread = threading.Thread(
                    target=self._queue.serve,
                    args=(functools.partial(self.extract, process), "metadata extraction"),
                    name=f"exiftool-{number}",
                    daemon=True,
                )
                self._processes.append(process)
                self._threads.append(thread)
                thread.start()

    def status_for(self, filename: str) -> str:
        """The status a new asset starts with."""
        return "skipped" if self.tool is None or exiftool.is_skipped(filename) else "pending"

    def submit_many(self, asset_ids: list[str]) -> None:
        """Queue extractions (nothing happens when ExifTool is not in use)."""
        if self.tool is not None:
            self._queue.submit_many(asset_ids)

    def submit(self, asset_id: str) -> None:
        self.submit_many([asset_id])

    def resume_pending(self) -> None:
        self.submit_many(assets.pending(self.db, "metadata_status"))

    def extract(self, process: exiftool.ExifToolProcess, asset_ids: list[str]) -> None:
        """Run ExifTool on the assets still pending among `asset_ids`; record the outcomes."""
        with self.db.read() as connection:
            rows = [assets.any_row(connection, asset_id) for asset_id in asset_ids]
        wanted = {
            row["asset_id"]: assets.asset_from_row(row)
            for row in rows
            if assets.is_live(row) and row["metadata_status"] == "pending"
        }
        outcomes: dict[str, object] = {}
        with contextlib.ExitStack() as stack:
            paths = {}
            for asset_id, asset in wanted.items():
                try:
                    provider = self.storage.provider(asset["storage_provider"])
                    path = stack.enter_context(provider.local_path(asset["storage_key"]))
                except (ApiError, OSError) as error:
                    outcomes[asset_id] = error
                else:
                    paths[asset_id] = str(path.absolute())
            outcomes.update(self._run_guarded(process, paths))
        results = []
        for asset_id, outcome in outcomes.items():
            if isinstance(outcome, Exception):
                reason = getattr(outcome, "message", None) or str(outcome)
                log.warning(
                    "metadata extraction failed for %s (%s): %s",
                    asset_id,
                    wanted[asset_id]["filename"],
                    reason,
                )
                results.append((asset_id, "failed", None))
            else:
                results.append((asset_id, "done", exiftool.entry(outcome)))
        assets.set_metadata_results(self.db, results)

    def _run_guarded(self, process: exiftool.ExifToolProcess, paths: dict[str, str]) -> dict:
        """`_run`, where an error that is not ExifTool's answer (a fault of ours or of the OS)
        fails the files too, rather than leaving them `pending` for ever; its traceback goes
        to the log and the process, in an unknown state, is replaced."""
        try:
            return self._run(process, paths)
        except Exception as error:
            log.exception("metadata extraction of %d files failed", len(paths))
            process.close(force=True)
            return dict.fromkeys(paths, error)

    def _run(self, process: exiftool.ExifToolProcess, paths: dict[str, str]) -> dict:
        """{asset_id: output or the error}; a failed request of several files is retried
        file by file."""
        if not paths:
            return {}
        try:
            by_path = process.run(list(paths.values()), self.timeout * len(paths))
        except exiftool.ExifToolError as error:
            if len(paths) == 1:
                return dict.fromkeys(paths, error)
            outcomes = {}
            for asset_id, path in paths.items():
                outcomes.update(self._run(process, {asset_id: path}))
            return outcomes
        return {asset_id: by_path[path] for asset_id, path in paths.items()}

    def close(self) -> None:
        """Finish the extractions under way, drop the queue, stop every ExifTool process."""
        self._queue.close()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        for process in self._processes:
            process.close()
