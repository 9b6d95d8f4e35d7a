"""What a tus upload asks for: its Upload-Metadata read and checked exactly as
`POST /v1/assets/upload` checks its query and sidecar, before any byte is accepted (API.md §9).
"""

from dataclasses import replace

from faceforge import validate
from faceforge.assets import ingest
from faceforge.assets.upload import checked_request
from faceforge.errors import NotFound, PayloadTooLarge, ValidationError
from faceforge.uploads.tus import METADATA_LOC


def metadata_value(metadata: dict[str, str], key: str) -> str | None:
    """A metadata value; an empty one means absent, as an empty query value does."""
    return metadata.get(key) or None


def upload_request(
    db, metadata: dict[str, str], upload_length: int, upload_limit: int, sidecar_limit: int
) -> ingest.Request:
    """The ingest request of an upload; 422 naming the metadata key, 413 over a limit, and
    404 for an unknown entity or source asset (tus answers a missing resource so)."""
    if not metadata.get("filename"):
        validate.fail((*METADATA_LOC, "filename"), "required", "missing")
    if upload_length > upload_limit:
        raise PayloadTooLarge.over_limit("File", upload_limit)
    if upload_length == 0:
        raise ingest.sidecar_problem("Uploaded file was empty", ("header", "Upload-Length"))
    request = checked_request(
        *(metadata_value(metadata, key) for key in ("filename", "kind", "entity_id", "role")),
        metadata_value(metadata, "derived_from"),
        loc=METADATA_LOC,
    )
    sidecar = metadata.get("meta")
    if sidecar is not None:
        if len(sidecar.encode("utf-8")) > sidecar_limit:
            raise PayloadTooLarge(f"meta is larger than {sidecar_limit} bytes")
        ingest.parse_sidecar(sidecar.encode("utf-8"), (*METADATA_LOC, "meta"))
    try:
        ingest.check_request(db, request)
    except ValidationError as error:
        raise NotFound(error.message, error.details) from None
    return replace(
        request,
        mime_type=metadata.get("filetype") or None,
        sidecar=None if sidecar is None else sidecar.encode("utf-8"),
    )
