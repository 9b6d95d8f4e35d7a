"""Thumbnails and media facts off the request path (API.md §10): a small pool of threads that
run ffmpeg over new images and videos, and the thumbnail files under FACEFORGE_HOME/thumbs/.

An ingest sets `thumbnail_status` (`skipped`: not an image or video; `unavailable`: no ffmpeg,
or thumbnails are disabled; else `pending`) and submits the asset. A worker takes up to
BATCH_FILES queued assets, makes both sizes of each with one ffmpeg run (a video first gets a
quick look for its duration, to take a frame about 10% in), and records their outcomes in one
transaction: `done` with the `media` facts, or `failed` with the reason in the log. The
rebuild job (`thumbnail_rebuild.py`) makes them through the same `make_many`.

Thumbnails are a cache keyed by content hash (`thumbs/<aa>/<sha256>-256.webp`), so duplicates
share them; they are not assets and not backed up. ffmpeg writes into a work folder of its
own in thumbs/ (`.making-*`, removed afterwards, and at the next start after a crash) and
each file is renamed into place, so nobody sees half a thumbnail (not under tmp/, which
holds the temp files of uploads and imports: these come and go on their own time). At
shutdown the running ffmpeg processes are killed; their assets stay `pending` and are queued
again at the next start.
"""

import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from faceforge import validate
from faceforge.assets import ffmpeg
from faceforge.assets import rows as assets
from faceforge.assets.work_queue import WorkQueue
from faceforge.errors import ApiError, NotFound

log = logging.getLogger("faceforge.thumbnails")

WORKERS = 2
BATCH_FILES = 8
SIZES = (256, 1024)
VIDEO_FRAME_AT = 0.1
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
WORK_FOLDER_PREFIX = ".making-"


def is_picture_or_video(mime_type: str | None) -> bool:
    return mime_type is not None and mime_type.startswith(("image/", "video/"))


def thumbnail_path(thumbs_dir: Path, content_hash: str, size: int, extension: str) -> Path:
    return thumbs_dir / content_hash[:2] / f"{content_hash}-{size}.{extension}"


def find_thumbnail(thumbs_dir: Path, content_hash: str, size: int) -> Path | None:
    """The thumbnail of that size, whichever format the ffmpeg of its day wrote."""
    for extension in CONTENT_TYPES:
        path = thumbnail_path(thumbs_dir, content_hash, size, extension)
        if path.is_file():
            return path
    return None


def thumbnail_of(db, thumbs_dir: Path, asset_id: str, size: str | None) -> Path:
    """The thumbnail file of a live asset in one of SIZES (256 when `size` is None); 404
    when there is none, 422 for another size."""
    chosen = validate.choice(size or str(SIZES[0]), ("query", "size"), tuple(map(str, SIZES)))
    assets.get(db, asset_id)
    path = find_thumbnail(thumbs_dir, asset_id, int(chosen))
    if path is None:
        raise NotFound("This asset has no thumbnail")
    return path


def clear_unfinished(thumbs_dir: Path) -> None:
    """The work folders of thumbnails a process that died was making."""
    if thumbs_dir.is_dir():
        for leftover in thumbs_dir.glob(f"{WORK_FOLDER_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)


def remove_thumbnails(thumbs_dir: Path, content_hash: str) -> None:
    """Remove every thumbnail of those bytes (they were purged)."""
    for size in SIZES:
        for extension in CONTENT_TYPES:
            thumbnail_path(thumbs_dir, content_hash, size, extension).unlink(missing_ok=True)


@dataclass(frozen=True)
class Outcome:
    """What making one asset's thumbnails came to: `done` with `media`, or `failed` with the
    `reason`."""

    asset: dict
    status: str
    media: dict | None = None
    reason: str | None = None


class ThumbnailWorkers:
    def __init__(self, config, db, storage):
        self.db = db
        self.storage = storage
        self.tool = ffmpeg.locate(config)
        self.extension = ffmpeg.thumbnail_format(self.tool) if self.tool else None
        self.timeout = config["tools.ffmpeg_timeout_seconds"]
        self.thumbs_dir = config.home.thumbs_dir
        self.runs = ffmpeg.Runs()
        self._queue = WorkQueue(WORKERS, BATCH_FILES, log)
        self._threads: list[threading.Thread] = []
        if self.tool is not None:
            for number in range(WORKERS):
                thread = threading.Thread(
                    target=self._queue.serve,
                    args=(self.make_pending, "making thumbnails"),
                    name=f"ffmpeg-{number}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def status_for(self, mime_type: str | None) -> str:
        """The status a new asset starts with."""
        if not is_picture_or_video(mime_type):
            return "skipped"
        return "unavailable" if self.tool is None else "pending"

    def submit_many(self, asset_ids: list[str]) -> None:
        """Queue assets; the workers make thumbnails of those still `pending`."""
        if self.tool is not None:
            self._queue.submit_many(asset_ids)

    def resume_pending(self) -> None:
        self.submit_many(assets.pending(self.db, "thumbnail_status"))

    def has_thumbnails(self, asset_id: str) -> bool:
        return all(find_thumbnail(self.thumbs_dir, asset_id, size) for size in SIZES)

    def make_pending(self, asset_ids: list[str]) -> None:
        """Make the thumbnails of the assets still pending among `asset_ids`; record them."""
        with self.db.read() as connection:
            rows = assets.rows_by_id(connection, asset_ids).values()
        wanted = [
            assets.asset_from_row(row)
            for row in rows
            if assets.is_live(row) and row["thumbnail_status"] == "pending"
        ]
        outcomes = self.make_many(wanted)
        for outcome in outcomes:
            if outcome.status == "failed":
                log.warning(
                    "thumbnails failed for %s (%s): %s",
                    outcome.asset["asset_id"],
                    outcome.asset["filename"],
                    outcome.reason,
                )
        self.record(outcomes)

    def record(self, outcomes: list[Outcome]) -> None:
        results = [(o.asset["asset_id"], o.status, o.media) for o in outcomes]
        assets.set_thumbnail_results(self.db, results)

    def make_many(self, wanted: list[dict]) -> list[Outcome]:
        """The outcome of each asset in turn; at shutdown, of those done before it."""
        outcomes = []
        for asset in wanted:
            try:
                media = self.make(asset)
            except ffmpeg.FfmpegStopped:
                break
            except (ffmpeg.FfmpegError, ApiError, OSError) as error:
                reason = getattr(error, "message", None) or str(error)
                outcomes.append(Outcome(asset, "failed", reason=reason))
            else:
                outcomes.append(Outcome(asset, "done", media))
        return outcomes

    def make(self, asset: dict) -> dict:
        """Write both thumbnails of one asset into thumbs/; its media facts."""
        provider = self.storage.provider(asset["storage_provider"])
        with (
            provider.local_path(asset["storage_key"]) as source,
            self.work_folder() as work_dir,
        ):
            duration = self.duration_of(source) if asset["mime_type"].startswith("video/") else None
            made = {size: Path(work_dir, f"{size}.{self.extension}") for size in SIZES}
            command = ffmpeg.thumbnail_command(
                self.tool, source, made, self.extension, (duration or 0) * VIDEO_FRAME_AT
            )
            exit_code, stderr = self.runs.run(command, self.timeout)
            said = ffmpeg.described(stderr)
            if exit_code != 0 or not all(path.is_file() for path in made.values()):
                raise ffmpeg.FfmpegError(ffmpeg.last_words(stderr))
            largest = said.output_sizes[-1] if said.output_sizes else None
            if said.input_size is None or largest is None:
                raise ffmpeg.FfmpegError("ffmpeg did not say the picture's size")
            self.put_in_place(asset["asset_id"], made)
        width, height = ffmpeg.shown_size(said.input_size, largest)
        return {"width": width, "height": height, "duration_seconds": duration}

    def work_folder(self) -> tempfile.TemporaryDirectory:
        self.thumbs_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(dir=self.thumbs_dir, prefix=WORK_FOLDER_PREFIX)

    def put_in_place(self, content_hash: str, made: dict[int, Path]) -> None:
        """Rename each finished thumbnail to its place in thumbs/ (atomic: the work folder is
        in the same folder tree)."""
        for size, path in made.items():
            final_path = thumbnail_path(self.thumbs_dir, content_hash, size, self.extension)
            final_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final_path)

    def duration_of(self, source: Path) -> float | None:
        """A video's length in seconds, from ffmpeg's look at it (None when it gives none)."""
        _, stderr = self.runs.run(ffmpeg.probe_command(self.tool, source), self.timeout)
        duration = ffmpeg.described(stderr).duration_seconds
        return None if duration is None else round(duration, 3)

    def close(self) -> None:
        """Drop the queue, kill every running ffmpeg, wait for the workers to record what
        they finished."""
        self._queue.close()
        self.runs.stop()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
