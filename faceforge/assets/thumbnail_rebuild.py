"""The `assets.thumbnails` job (API.md §10): make the thumbnails of the images and videos
already in the library, for a home that existed before ffmpeg was installed, or after
thumbs/ was deleted. `only_missing` (the default) leaves assets whose thumbnails are there.

It runs on the job workers, a batch of assets at a time through the thumbnail workers'
`make_many` (the same ffmpeg command line as after an ingest), with a log line per asset.
"""

import functools

from faceforge import validate
from faceforge.assets import rows as assets
from faceforge.assets.thumbnails import BATCH_FILES, ThumbnailWorkers
from faceforge.jobs.context import JobCanceled, JobContext, JobFailed, JobKind

JOB_TYPE = "assets.thumbnails"
FFMPEG_MISSING = (
    "ffmpeg was not found (or tools.thumbnails_enabled is false): install it (apt install"
    " ffmpeg, or pip install imageio-ffmpeg), put it in FACEFORGE_HOME/tools/, or name it in"
    " tools.ffmpeg_path, then restart Core"
)


def kind(thumbnails: ThumbnailWorkers) -> JobKind:
    """The job type as the runtime registers it, bound to the thumbnail workers."""
    return JobKind(JOB_TYPE, prepare_input, functools.partial(run, thumbnails))


def prepare_input(job_input: dict, loc: tuple) -> dict:
    only_missing = validate.boolean(job_input.get("only_missing", True), (*loc, "only_missing"))
    return {"only_missing": only_missing}


def wanted_ids(thumbnails: ThumbnailWorkers, only_missing: bool) -> list[str]:
    return [
        asset_id
        for asset_id, status in assets.pictures_and_videos(thumbnails.db)
        if not (only_missing and status == "done" and thumbnails.has_thumbnails(asset_id))
    ]


def run(thumbnails: ThumbnailWorkers, context: JobContext, job_input: dict) -> dict:
    if thumbnails.tool is None:
        raise JobFailed("ffmpeg_missing", FFMPEG_MISSING)
    asset_ids = wanted_ids(thumbnails, job_input["only_missing"])
    total = len(asset_ids)
    context.log("info", f"Found {total} images and videos to do", {"total": total})
    counts = {"total": total, "done": 0, "failed": 0}
    try:
        for start in range(0, total, BATCH_FILES):
            make_batch(thumbnails, context, asset_ids[start : start + BATCH_FILES], counts)
            done = counts["done"] + counts["failed"]
            context.progress(done, total, f"{done} of {total} files")
    except JobCanceled as canceled:
        canceled.result = counts
        raise
    return counts


def make_batch(thumbnails: ThumbnailWorkers, context: JobContext, asset_ids, counts) -> None:
    """Make the thumbnails of a batch of assets, looking for a cancel before each file;
    record what was made in one transaction, even when the job stops half-way."""
    with thumbnails.db.read() as connection:
        rows = assets.rows_by_id(connection, asset_ids).values()
    live = [assets.asset_from_row(row) for row in rows if assets.is_live(row)]
    outcomes = []
    try:
        for asset in live:
            context.checkpoint()
            outcomes += thumbnails.make_many([asset])
    finally:
        thumbnails.record(outcomes)
        log_outcomes(context, outcomes, counts)


def log_outcomes(context: JobContext, outcomes, counts) -> None:
    for outcome in outcomes:
        counts[outcome.status] += 1
        line = {"asset_id": outcome.asset["asset_id"], "filename": outcome.asset["filename"]}
        if outcome.status == "done":
            context.log("info", "Made thumbnails", line)
        else:
            context.log("error", "Thumbnails failed", {**line, "error": outcome.reason})
