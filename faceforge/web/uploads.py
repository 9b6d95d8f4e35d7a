"""tus 1.0.0 at /v1/uploads (API.md §9): the HTTP side of the upload store.

Success replies are tus's own (201, 204, 200 with headers and no body); errors carry the
envelope. Every reply of a tus request carries `Tus-Resumable`, a 412 also `Tus-Version`.
OPTIONS needs the token like every other non-public route (the gate runs before routing);
tus clients send their configured headers on every request, OPTIONS included.
`X-HTTP-Method-Override` is not honoured: tus-js-client sends it only when told to
(`overridePatchMethod`), for proxies that drop PATCH, which a local server has none of.
"""

import contextlib
import functools
import io

import bottle

from faceforge.assets import ingest
from faceforge.errors import ApiError
from faceforge.uploads import request as uploads_request
from faceforge.uploads import tus
from faceforge.uploads.finish import finish
from faceforge.uploads.store import Upload, beyond_length
from faceforge.web import files, params
from faceforge.web.envelope import api_error_response

# The PATCH size clients are told to use (`FaceForge-Chunk-Size`). Waitress holds a body up to
# `server.py`'s `inbuf_overflow` (this + 1) in memory, so such a PATCH is written to disk
# once, straight into the upload's file. Measured in docs/assets.md.
CHUNK_SIZE = 8 * 2**20
STATUS_LINES = {460: "460 Checksum Mismatch"}


def header(name: str) -> str | None:
    return bottle.request.environ.get("HTTP_" + name.upper().replace("-", "_"))


def tus_reply(status: int, headers: dict | None = None) -> bottle.HTTPResponse:
    reply = bottle.HTTPResponse(status=STATUS_LINES.get(status, status))
    reply.set_header("Tus-Resumable", tus.VERSION)
    for name, value in (headers or {}).items():
        reply.set_header(name, str(value))
    return reply


def tus_error(error: ApiError) -> bottle.HTTPResponse:
    reply = api_error_response(error)
    reply.status = STATUS_LINES.get(error.status, error.status)
    reply.set_header("Tus-Resumable", tus.VERSION)
    if isinstance(error, tus.VersionMismatch):
        reply.set_header("Tus-Version", tus.VERSION)
    return reply


def tus_route(handler):
    """A tus request: `Tus-Resumable: 1.0.0` required (412), tus headers on errors too."""

    @functools.wraps(handler)
    def answer(*args, **kwargs):
        try:
            tus.check_version(header("Tus-Resumable"))
            return handler(*args, **kwargs)
        except ApiError as error:
            return tus_error(error)

    return answer


def options(services):
    return tus_reply(
        204,
        {
            "Tus-Version": tus.VERSION,
            "Tus-Extension": tus.EXTENSIONS,
            "Tus-Max-Size": services.config["limits.max_upload_bytes"],
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
            "FaceForge-Chunk-Size": CHUNK_SIZE,
        },
    )


def upload_request(services, metadata: dict[str, str], upload_length: int) -> ingest.Request:
    return uploads_request.upload_request(
        services.db,
        metadata,
        upload_length,
        services.config["limits.max_upload_bytes"],
        services.config["limits.max_json_bytes"],
    )


def expiry_headers(upload: Upload) -> dict[str, object]:
    return {"Upload-Offset": upload.offset, "Upload-Expires": tus.http_date(upload.expires)}


@contextlib.contextmanager
def body_pieces(stream, length: int | None):
    """The request body as pieces for the store. A body Waitress holds in memory (a BytesIO,
    up to `inbuf_overflow`) is lent as one view of its buffer instead of being read out in
    copies: each copy was a fresh allocation whose pages the kernel had to fault in. The view
    is released on leaving, before Waitress closes the buffer (a BytesIO with a view of its
    buffer alive cannot be closed). A spooled body is read in pieces."""
    if not isinstance(stream, io.BytesIO):
        yield ingest.read_chunks(stream, length)
        return
    start = stream.tell()
    end = None if length is None else start + length
    with stream.getbuffer() as buffer, buffer[start:end] as body:
        yield (body,)


def receive(services, upload: Upload) -> dict[str, object]:
    """Append this request's body at its `Upload-Offset` (the upload's own for creation with
    upload); the reply's headers. The request that completes the upload makes the asset."""
    environ = bottle.request.environ
    tus.check_content_type(files.media_type(environ))
    offset = upload.offset
    if bottle.request.method == "PATCH":
        offset = tus.read_size("Upload-Offset", header("Upload-Offset"))
    checksum = tus.read_checksum(header("Upload-Checksum"))
    length = params.content_length()
    upload_id = upload.record["upload_id"]
    room = upload.record["upload_length"] - offset
    if length is not None and length > room:
        raise beyond_length(room, offset)  # refused before reading, as the store would
    with body_pieces(environ["wsgi.input"], length) as pieces:
        upload = services.uploads.append(upload_id, offset, pieces, checksum)
    headers = expiry_headers(upload)
    if upload.offset == upload.record["upload_length"]:
        metadata = upload.record["metadata"]
        request = upload_request(services, metadata, upload.offset)
        headers["FaceForge-Asset-Id"] = finish(
            services.intake, services.uploads, upload_id, request
        )
    return headers


@tus_route
def create(services):
    upload_length = tus.read_size("Upload-Length", header("Upload-Length"))
    metadata = tus.parse_metadata(header("Upload-Metadata"))
    upload_request(services, metadata, upload_length)
    with_body = files.media_type(bottle.request.environ) == tus.OFFSET_CONTENT_TYPE
    if not with_body and (params.content_length() or 0) > 0:
        raise tus.UnsupportedMediaType(f"Content-Type must be {tus.OFFSET_CONTENT_TYPE}")
    services.uploads.expire()
    upload = services.uploads.create(upload_length, metadata)
    upload_id = upload.record["upload_id"]
    headers = {"Location": f"/v1/uploads/{upload_id}", **expiry_headers(upload)}
    if with_body:
        try:
            headers.update(receive(services, upload))
        except ApiError:
            if services.uploads.get(upload_id).offset == 0:  # else only the finish failed
                services.uploads.terminate(upload_id)
            raise
    return tus_reply(201, headers)


@tus_route
def head(services, upload_id):
    upload = services.uploads.get(upload_id)
    return tus_reply(
        200,
        {
            **expiry_headers(upload),
            "Upload-Length": upload.record["upload_length"],
            "Upload-Metadata": tus.encode_metadata(upload.record["metadata"]),
            "Cache-Control": "no-store",
        },
    )


@tus_route
def patch(services, upload_id):
    return tus_reply(204, receive(services, services.uploads.get(upload_id)))


@tus_route
def terminate(services, upload_id):
    services.uploads.terminate(upload_id)
    return tus_reply(204)


def list_uploads(services):
    return {"items": [upload.view() for upload in services.uploads.unfinished()]}


def get_upload(services, upload_id):
    return services.uploads.get(upload_id).view()
