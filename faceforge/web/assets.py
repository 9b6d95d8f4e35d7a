"""Asset routes: upload, list, read, edit, delete, provenance, download, signed URLs, links,
and the purge of deleted bytes. Parse the request, make the domain call, return a dict."""

from dataclasses import replace

import bottle

from faceforge import paging, validate
from faceforge.assets import ingest, ingest_batch, maintenance, signing
from faceforge.assets import links as asset_links
from faceforge.assets import rows as assets
from faceforge.web import files, params


def optional(query: dict[str, str], key: str) -> str | None:
    """A query value, with an empty one meaning absent (as an empty form field does)."""
    value = query.get(key)
    return value if value else None


def upload_request(values: dict[str, str], loc: tuple = ("query",)) -> ingest.Request:
    """The upload's fields from the query string, or from a tus upload's metadata (`loc`
    then names that header), checked alike."""
    entity_id = optional(values, "entity_id")
    role = asset_links.read_role(optional(values, "role"), (*loc, "role"))
    if role is not None and entity_id is None:
        validate.fail((*loc, "role"), "needs entity_id", "value_error")
    filename = optional(values, "filename")
    if filename is not None:
        assets.plain_filename(filename, (*loc, "filename"))
    return ingest.Request(
        filename=filename or "",
        kind=validate.name(optional(values, "kind") or "file", (*loc, "kind")),
        entity_id=entity_id,
        role=role,
        derived_from=optional(values, "derived_from"),
        loc=loc,
    )


def upload(services):
    """Multipart (`file` + optional `meta`) or a raw body with `?filename=`; streamed."""
    query = params.query()
    request = upload_request(query)
    ingest.check_request(services.db, request)
    received = files.receive_upload(
        bottle.request.environ,
        services.config.home.tmp_dir,
        services.config["limits.max_upload_bytes"],
        services.config["limits.max_json_bytes"],
        optional(query, "filename"),
    )
    request = replace(
        request,
        filename=received.filename,
        mime_type=received.mime_type,
        sidecar=received.sidecar,
        sidecar_name=received.sidecar_name,
    )
    asset, _created = ingest_batch.ingest_staged(services, received.staged, request)
    return asset


def list_assets(services):
    query = params.query()
    filters = {key: optional(query, key) for key in ("kind", "q", "entity_id", "mime_prefix")}
    return assets.list_assets(services.db, filters, paging.read_paging(query))


def get_asset(services, asset_id):
    return assets.get(services.db, asset_id)


def patch_asset(services, asset_id):
    body = params.json_body(services.config["limits.max_json_bytes"])
    return assets.update(services.db, asset_id, body)


def delete_asset(services, asset_id):
    return assets.delete(services.db, asset_id)


def derived_assets(services, asset_id):
    return assets.derived(services.db, asset_id)


def download(services, asset_id):
    asset = assets.get(services.db, asset_id)
    provider = services.storage.provider(asset["storage_provider"])
    request = bottle.request
    return files.download_response(request.method, request.environ, asset, provider)


def download_url(services, asset_id):
    body = params.optional_json_body(services.config["limits.max_json_bytes"])
    expires_in = signing.DEFAULT_EXPIRES_IN
    if body.get("expires_in") is not None:
        expires_in = validate.integer(
            body["expires_in"], ("body", "expires_in"), 1, signing.MAX_EXPIRES_IN
        )
    asset = assets.get(services.db, asset_id)
    key = services.config["auth.url_signing_key"]
    return signing.signed_download(key, asset["asset_id"], expires_in)


def entity_assets(services, entity_id):
    query = params.query()
    kind = optional(query, "kind")
    return asset_links.entity_assets(services.db, entity_id, kind, paging.read_paging(query))


def link(services, entity_id, asset_id):
    body = params.optional_json_body(services.config["limits.max_json_bytes"])
    return asset_links.link_asset(services.db, entity_id, asset_id, body)


def unlink(services, entity_id, asset_id):
    return asset_links.unlink_asset(services.db, entity_id, asset_id)


def purge(services):
    body = params.optional_json_body(services.config["limits.max_json_bytes"])
    days = maintenance.DEFAULT_PURGE_DAYS
    if body.get("older_than_days") is not None:
        days = validate.integer(body["older_than_days"], ("body", "older_than_days"), 0, 36500)
    result = maintenance.purge(services.db, services.storage, days)
    result["uploads_expired"] = services.uploads.expire()
    return result
