"""What a running Core holds: settings, database, byte storage, the managed SeaweedFS, the
ExifTool and ffmpeg workers, the job queue, the parts ingesting works with, the resumable
uploads and the supervised plugin runners.

Built completely, in one go, by `runtime.build_services`, which starts every thread and child
process in order and leaves `closing` to stop them in the reverse order. Handlers receive the
whole object; domain modules receive only the parts they use.
"""

import contextlib
from dataclasses import dataclass

from faceforge.assets.extraction import MetadataWorkers
from faceforge.assets.ingest import Intake
from faceforge.assets.thumbnails import ThumbnailWorkers
from faceforge.config import Config
from faceforge.db import Database
from faceforge.jobs.queue import Jobs
from faceforge.runners import Runners
from faceforge.storage import Storage
from faceforge.storage.seaweed import ManagedSeaweed
from faceforge.uploads.store import UploadStore


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database
    storage: Storage
    seaweed: ManagedSeaweed | None
    metadata: MetadataWorkers
    thumbnails: ThumbnailWorkers
    jobs: Jobs
    intake: Intake
    uploads: UploadStore
    runners: Runners
    closing: contextlib.ExitStack

    def close(self) -> None:
        """Stop the workers, then close storage and the database (safe to call twice)."""
        self.closing.close()
