"""A complete upload becomes an asset exactly as `POST /v1/assets/upload` makes one."""

from faceforge.assets import ingest_batch
from faceforge.assets.ingest import Request
from faceforge.errors import Conflict
from faceforge.uploads.store import UploadStore


def finish(services, store: UploadStore, upload_id: str, request: Request) -> str:
    """Ingest the upload's bytes (hash carried from the PATCHes, dedupe, store, links,
    sidecar, events, ExifTool); its asset id. When ingest refuses (the entity was deleted
    meanwhile) the error propagates and the upload keeps its bytes until it expires."""
    with store.lock(upload_id):
        upload = store.get(upload_id)
        if upload.finished:
            return upload.record["asset_id"]
        if upload.offset != upload.record["upload_length"]:
            raise Conflict(f"The upload is at {upload.offset} of {upload.record['upload_length']}")
        asset, _created = ingest_batch.ingest_staged(services, store.staged(upload), request)
        store.mark_finished(upload, asset["asset_id"])
        return asset["asset_id"]
