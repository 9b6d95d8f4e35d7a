"""The web application: `create_app()`, THE route table, the gate and the error handling.

Handlers live in the modules beside this one. Each takes the `Services` first, reads the
request through `params`, makes one domain call and returns a dict (the envelope is added by
`envelope_plugin`) or a ready response (bytes, health, files).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import bottle

from faceforge.errors import ApiError
from faceforge.services import Services
from faceforge.web import assets, auth, descriptors, docs, entities, relationships, system, ui
from faceforge.web import backups as backups_web
from faceforge.web import events as events_web
from faceforge.web import jobs as jobs_web
from faceforge.web import plugins as plugins_web
from faceforge.web import uploads as uploads_web
from faceforge.web.envelope import FaceForgeBottle, api_error_response, envelope_plugin


@dataclass(frozen=True)
class Route:
    """One operation. A `public` one is answered without a token (API.md §2): it holds no
    data (health, the API document and its viewer, the UI shell) or guards itself."""

    method: str
    path: str
    handler: Callable
    public: bool = False


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", system.healthz, public=True),
    Route("GET", "/", ui.root, public=True),
    Route("GET", "/openapi.json", docs.openapi_document, public=True),
    Route("GET", "/docs", docs.docs_page, public=True),
    Route("GET", "/redoc", docs.redoc_page, public=True),
    Route("GET", "/docs/assets/<name>", docs.docs_asset, public=True),
    Route("GET", "/ui/", ui.shell, public=True),
    # A one-time login link; the handler refuses it unless it is unused and unexpired.
    Route("GET", "/ui/login-link", ui.use_login_link, public=True),
    # Before the shell's files, which would take the same paths; not public: plugin data.
    Route("GET", "/ui/plugins/<plugin_id>/<path:path>", plugins_web.page),
    Route("GET", "/ui/<path:path>", ui.static_file, public=True),
    Route("POST", "/ui/login", ui.login, public=True),
    Route("POST", "/ui/logout", ui.logout),
    Route("GET", "/v1/ping", system.ping),
    Route("GET", "/v1/system/info", system.info),
    Route("POST", "/v1/ui/login-link", ui.create_login_link),
    Route("GET", "/v1/entities", entities.list_entities),
    Route("POST", "/v1/entities", entities.create_entity),
    Route("POST", "/v1/entities/bulk-upsert", entities.bulk_upsert_entities),
    Route("GET", "/v1/entities/<entity_id>", entities.get_entity),
    Route("PATCH", "/v1/entities/<entity_id>", entities.update_entity),
    Route("DELETE", "/v1/entities/<entity_id>", entities.delete_entity),
    Route("GET", "/v1/entities/<entity_id>/descriptors", descriptors.list_descriptors),
    Route("POST", "/v1/entities/<entity_id>/descriptors", descriptors.create_descriptor),
    Route("PATCH", "/v1/descriptors/<descriptor_id>", descriptors.update_descriptor),
    Route("DELETE", "/v1/descriptors/<descriptor_id>", descriptors.delete_descriptor),
    Route("GET", "/v1/admin/field-defs", descriptors.list_field_defs),
    Route("POST", "/v1/admin/field-defs", descriptors.create_field_def),
    Route("GET", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.get_field_def),
    Route("PATCH", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.update_field_def),
    Route("DELETE", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.delete_field_def),
    Route("GET", "/v1/relationships", relationships.list_relationships),
    Route("POST", "/v1/relationships", relationships.create_relationship),
    Route("DELETE", "/v1/relationships/<relationship_id>", relationships.delete_relationship),
    Route("GET", "/v1/relation-types", relationships.relation_types),
    Route("GET", "/v1/assets", assets.list_assets),
    Route("POST", "/v1/assets/upload", assets.upload),
    Route("GET", "/v1/assets/<asset_id>", assets.get_asset),
    Route("PATCH", "/v1/assets/<asset_id>", assets.patch_asset),
    Route("DELETE", "/v1/assets/<asset_id>", assets.delete_asset),
    Route("GET", "/v1/assets/<asset_id>/download", assets.download),
    Route("HEAD", "/v1/assets/<asset_id>/download", assets.download),
    Route("POST", "/v1/assets/<asset_id>/download-url", assets.download_url),
    Route("GET", "/v1/assets/<asset_id>/thumbnail", assets.thumbnail),
    Route("GET", "/v1/assets/<asset_id>/derived", assets.derived_assets),
    Route("GET", "/v1/assets/<asset_id>/entities", assets.asset_entities),
    Route("GET", "/v1/entities/<entity_id>/assets", assets.entity_assets),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>", assets.link),
    Route("DELETE", "/v1/entities/<entity_id>/assets/<asset_id>", assets.unlink),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/link", assets.link),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/unlink", assets.unlink),
    Route("POST", "/v1/admin/purge", assets.purge),
    Route("GET", "/v1/admin/backups", backups_web.list_backups),
    Route("POST", "/v1/admin/backups", backups_web.create_backup),
    Route("OPTIONS", "/v1/uploads", uploads_web.options),
    Route("GET", "/v1/uploads", uploads_web.list_uploads),
    Route("POST", "/v1/uploads", uploads_web.create),
    Route("GET", "/v1/uploads/<upload_id>", uploads_web.get_upload),
    Route("HEAD", "/v1/uploads/<upload_id>", uploads_web.head),
    Route("PATCH", "/v1/uploads/<upload_id>", uploads_web.patch),
    Route("DELETE", "/v1/uploads/<upload_id>", uploads_web.terminate),
    Route("POST", "/v1/assets/bulk-import", jobs_web.submit_bulk_import),
    Route("POST", "/v1/admin/exports", jobs_web.submit_export),
    Route("POST", "/v1/admin/thumbnails/rebuild", jobs_web.rebuild_thumbnails),
    Route("GET", "/v1/jobs", jobs_web.list_jobs),
    Route("POST", "/v1/jobs", jobs_web.create_job),
    Route("POST", "/v1/jobs/claim", jobs_web.claim),
    Route("GET", "/v1/jobs/<job_id>", jobs_web.get_job),
    Route("GET", "/v1/jobs/<job_id>/log", jobs_web.read_log),
    Route("POST", "/v1/jobs/<job_id>/cancel", jobs_web.cancel_job),
    Route("POST", "/v1/jobs/<job_id>/retry", jobs_web.retry_job),
    Route("POST", "/v1/jobs/<job_id>/heartbeat", jobs_web.heartbeat),
    Route("POST", "/v1/jobs/<job_id>/log", jobs_web.runner_log),
    Route("POST", "/v1/jobs/<job_id>/progress", jobs_web.runner_progress),
    Route("POST", "/v1/jobs/<job_id>/complete", jobs_web.runner_complete),
    Route("POST", "/v1/jobs/<job_id>/fail", jobs_web.runner_fail),
    Route("GET", "/v1/events", events_web.list_events),
    Route("GET", "/v1/plugins", plugins_web.list_plugins),
    Route("POST", "/v1/plugins/<plugin_id>/enable", plugins_web.enable),
    Route("POST", "/v1/plugins/<plugin_id>/disable", plugins_web.disable),
    Route("GET", "/v1/plugins/<plugin_id>/config", plugins_web.get_config),
    Route("PUT", "/v1/plugins/<plugin_id>/config", plugins_web.put_config),
)


def reaches_public_route(app: bottle.Bottle, environ: dict) -> bool:
    """Whether the request is for a route declared `public`. The gate runs before routing, so
    it asks the router itself; a path or method no route takes is not public (401, not 404)."""
    try:
        route, _ = app.match(environ)
    except bottle.HTTPError:
        return False
    return route.config.get("public", False)


def guard(services: Services, app: bottle.Bottle) -> None:
    """Before routing: Host check, then the token (unless the route is public, or the request
    is a download carrying a signed URL's signature, which is checked instead)."""
    request = bottle.request
    environ = request.environ
    try:
        auth.check_host(
            environ.get("HTTP_HOST"),
            services.config["network.bind_host"],
            services.config["network.allowed_hosts"],
        )
        if reaches_public_route(app, environ):
            return
        if not auth.signed_download(
            request.method,
            request.path,
            environ.get("QUERY_STRING", ""),
            services.config["auth.url_signing_key"],
        ):
            auth.check_token(environ, services.config["auth.install_token"])
    except ApiError as error:
        raise api_error_response(error) from None


def create_app(services: Services) -> FaceForgeBottle:
    """The WSGI app over running services (`runtime.build_app`, the same for the CLI and the
    tests): routes, the gate and the envelope; it starts nothing."""
    app = FaceForgeBottle(autojson=False)
    app.services = services
    app.install(envelope_plugin)
    app.add_hook("before_request", functools.partial(guard, services, app))
    for route in ROUTES:
        handler = functools.partial(route.handler, services)
        # Bottle keeps extra keywords in its route's `config`, where the gate reads them.
        app.route(route.path, route.method, handler, public=route.public)
    return app
