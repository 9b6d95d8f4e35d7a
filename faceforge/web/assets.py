"""Asset routes: upload, list, read, edit, delete, provenance, download, thumbnails, signed
URLs, links, and the purge of deleted bytes. Parse the request, make the domain call, return
a dict."""

import functools

import bottle

from faceforge import paging, validate
from faceforge.assets import links as asset_links
from faceforge.assets import maintenance, signing, thumbnails
from faceforge.assets import rows as assets
from faceforge.assets import upload as asset_upload
from faceforge.web import files, params


def upload(services):
    """Multipart (`file` + optional `meta`) or a raw body with `?filename=`; streamed."""
    query = params.query()
    filename = params.optional(query, "filename")
    receive = functools.partial(
        files.receive_upload,
        bottle.request.environ,
        services.config.home.tmp_dir,
        services.config["limits.max_upload_bytes"],
        services.config["limits.max_json_bytes"],
        filename,
    )
    return asset_upload.upload(
        services.intake,
        receive,
        filename=filename,
        # Like a name in a body, a kind sent blank is refused; only an empty one means the default.
        kind=query.get("kind") or None,
        entity_id=params.optional(query, "entity_id"),
        role=params.optional(query, "role"),
        derived_from=params.optional(query, "derived_from"),
    )


def list_assets(services):
    query = params.query()
    filters = {
        key: params.optional(query, key) for key in ("kind", "q", "entity_id", "mime_prefix")
    }
    return assets.list_assets(services.db, filters, paging.read_paging(query))


def get_asset(services, asset_id):
    return assets.get(services.db, asset_id)


def patch_asset(services, asset_id):
    body = params.json_body(services)
    return assets.update(services.db, asset_id, body)


def delete_asset(services, asset_id):
    return maintenance.delete(services.db, asset_id)


def derived_assets(services, asset_id):
    return assets.derived(services.db, asset_id)


def download(services, asset_id):
    asset = assets.get(services.db, asset_id)
    provider = services.storage.provider(asset["storage_provider"])
    request = bottle.request
    return files.download_response(request.method, request.environ, asset, provider)


def thumbnail(services, asset_id):
    size = params.optional(params.query(), "size")
    path = thumbnails.thumbnail_of(services.db, services.config.home.thumbs_dir, asset_id, size)
    return files.cached_file_response(bottle.request.environ, path)


def download_url(services, asset_id):
    body = params.optional_json_body(services)
    expires_in = signing.DEFAULT_EXPIRES_IN
    if body.get("expires_in") is not None:
        expires_in = validate.integer(
            body["expires_in"], ("body", "expires_in"), 1, signing.MAX_EXPIRES_IN
        )
    key = services.config["auth.url_signing_key"]
    return signing.download_url(services.db, key, asset_id, expires_in)


def entity_assets(services, entity_id):
    query = params.query()
    kind = params.optional(query, "kind")
    return asset_links.entity_assets(services.db, entity_id, kind, paging.read_paging(query))


def asset_entities(services, asset_id):
    return asset_links.asset_entities(services.db, asset_id)


def link(services, entity_id, asset_id):
    body = params.optional_json_body(services)
    return asset_links.link_asset(services.db, entity_id, asset_id, body)


def unlink(services, entity_id, asset_id):
    return asset_links.unlink_asset(services.db, entity_id, asset_id)


def purge(services):
    body = params.optional_json_body(services)
    days = maintenance.DEFAULT_PURGE_DAYS
    if body.get("older_than_days") is not None:
        days = validate.integer(body["older_than_days"], ("body", "older_than_days"), 0, 36500)
    thumbs_dir = services.config.home.thumbs_dir
    result = maintenance.purge(services.db, services.storage, thumbs_dir, days)
    result["uploads_expired"] = services.uploads.expire()
    return result
