"""One upload (`POST /v1/assets/upload`) from its parameters to the new asset.

The caller (the HTTP handler) parses nothing but the transport: the bytes arrive through its
`receive` callable, which is only called once every parameter has been checked, so a request
that names an unknown entity or source asset is refused before any byte is read.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from faceforge import validate
from faceforge.assets import ingest, ingest_batch
from faceforge.assets import links as asset_links
from faceforge.assets import rows as assets

LOC = ("query",)


@dataclass
class Received:
    """What `receive` read: the staged file, its name and media type as sent, the sidecar."""

    staged: ingest.StagedFile
    filename: str
    mime_type: str | None
    sidecar: bytes | None = None
    sidecar_name: str | None = None


def upload(
    intake: ingest.Intake,
    receive: Callable[[], Received],
    *,
    filename: str | None,
    kind: str | None,
    entity_id: str | None,
    role: str | None,
    derived_from: str | None,
) -> dict[str, Any]:
    """Check the parameters (422 naming the query field), read the bytes, store and record
    them: the asset (an existing one when these bytes are already stored)."""
    request = checked_request(filename, kind, entity_id, role, derived_from)
    ingest.check_request(intake.db, request)
    received = receive()
    request = replace(
        request,
        filename=received.filename,
        mime_type=received.mime_type,
        sidecar=received.sidecar,
        sidecar_name=received.sidecar_name,
    )
    asset, _created = ingest_batch.ingest_staged(intake, received.staged, request)
    return asset


def checked_request(
    filename, kind, entity_id, role, derived_from, loc: tuple = LOC
) -> ingest.Request:
    """The upload's parameters, checked as far as they can be without the database; `loc`
    names where they came from (the query string, or a tus upload's Upload-Metadata)."""
    role = asset_links.read_link_role(role, entity_id, (*loc, "role"))
    if filename is not None:
        assets.plain_filename(filename, (*loc, "filename"))
    return ingest.Request(
        filename=filename or "",
        kind=validate.name(kind or "file", (*loc, "kind")),
        entity_id=entity_id,
        role=role,
        derived_from=derived_from,
        loc=loc,
    )
