"""The web application: `create_app()`, THE route table, the gate and the error handling.

Handlers live in the modules beside this one. Each takes the `Services` first, reads the
request through `params`, makes one domain call and returns a dict (the envelope is added by
`envelope_plugin`) or a ready response (bytes, health, files).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import bottle

from faceforge import api_keys
from faceforge.api_keys import ADMIN, ANY_RUNNER, READ, WRITE
from faceforge.errors import ApiError
from faceforge.services import Services
from faceforge.web import assets, auth, descriptors, docs, entities, relationships, system, ui
from faceforge.web import backups as backups_web
from faceforge.web import events as events_web
from faceforge.web import jobs as jobs_web
from faceforge.web import plugins as plugins_web
from faceforge.web import tokens as tokens_web
from faceforge.web import uploads as uploads_web
from faceforge.web.envelope import FaceForgeBottle, api_error_response, envelope_plugin


@dataclass(frozen=True)
class Route:
    """One operation. A `public` one is answered without a token (API.md §2): it holds no
    data (health, the API document and its viewer, the UI shell) or guards itself. Every other
    one names the `scope` an API key needs for it (API.md §12; the install token has them all):
    this table is the only place that says so, and tests/test_auth.py fails on a route that
    has neither."""

    method: str
    path: str
    handler: Callable
    scope: str | None = None
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
    Route("GET", "/ui/plugins/<plugin_id>/<path:path>", plugins_web.page, READ),
    Route("GET", "/ui/<path:path>", ui.static_file, public=True),
    Route("POST", "/ui/login", ui.login, public=True),
    Route("POST", "/ui/logout", ui.logout, READ),
    Route("GET", "/v1/ping", system.ping, READ),
    Route("GET", "/v1/system/info", system.info, READ),
    Route("POST", "/v1/ui/login-link", ui.create_login_link, ADMIN),
    Route("GET", "/v1/entities", entities.list_entities, READ),
    Route("POST", "/v1/entities", entities.create_entity, WRITE),
    Route("POST", "/v1/entities/bulk-upsert", entities.bulk_upsert_entities, WRITE),
    Route("GET", "/v1/entities/<entity_id>", entities.get_entity, READ),
    Route("PATCH", "/v1/entities/<entity_id>", entities.update_entity, WRITE),
    Route("DELETE", "/v1/entities/<entity_id>", entities.delete_entity, WRITE),
    Route("GET", "/v1/entities/<entity_id>/descriptors", descriptors.list_descriptors, READ),
    Route("POST", "/v1/entities/<entity_id>/descriptors", descriptors.create_descriptor, WRITE),
    Route("PATCH", "/v1/descriptors/<descriptor_id>", descriptors.update_descriptor, WRITE),
    Route("DELETE", "/v1/descriptors/<descriptor_id>", descriptors.delete_descriptor, WRITE),
    Route("GET", "/v1/admin/field-defs", descriptors.list_field_defs, ADMIN),
    Route("POST", "/v1/admin/field-defs", descriptors.create_field_def, ADMIN),
    Route("GET", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.get_field_def, ADMIN),
    Route(
        "PATCH", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.update_field_def, ADMIN
    ),
    Route(
        "DELETE", "/v1/admin/field-defs/<field_def_id_or_key>", descriptors.delete_field_def, ADMIN
    ),
    Route("GET", "/v1/relationships", relationships.list_relationships, READ),
    Route("POST", "/v1/relationships", relationships.create_relationship, WRITE),
    Route(
        "DELETE", "/v1/relationships/<relationship_id>", relationships.delete_relationship, WRITE
    ),
    Route("GET", "/v1/relation-types", relationships.relation_types, READ),
    Route("GET", "/v1/assets", assets.list_assets, READ),
    Route("POST", "/v1/assets/upload", assets.upload, WRITE),
    Route("GET", "/v1/assets/<asset_id>", assets.get_asset, READ),
    Route("PATCH", "/v1/assets/<asset_id>", assets.patch_asset, WRITE),
    Route("DELETE", "/v1/assets/<asset_id>", assets.delete_asset, WRITE),
    Route("GET", "/v1/assets/<asset_id>/download", assets.download, READ),
    Route("HEAD", "/v1/assets/<asset_id>/download", assets.download, READ),
    Route("POST", "/v1/assets/<asset_id>/download-url", assets.download_url, READ),
    Route("GET", "/v1/assets/<asset_id>/thumbnail", assets.thumbnail, READ),
    Route("GET", "/v1/assets/<asset_id>/derived", assets.derived_assets, READ),
    Route("GET", "/v1/assets/<asset_id>/entities", assets.asset_entities, READ),
    Route("GET", "/v1/entities/<entity_id>/assets", assets.entity_assets, READ),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>", assets.link, WRITE),
    Route("DELETE", "/v1/entities/<entity_id>/assets/<asset_id>", assets.unlink, WRITE),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/link", assets.link, WRITE),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/unlink", assets.unlink, WRITE),
    Route("POST", "/v1/admin/purge", assets.purge, ADMIN),
    Route("GET", "/v1/admin/backups", backups_web.list_backups, ADMIN),
    Route("POST", "/v1/admin/backups", backups_web.create_backup, ADMIN),
    Route("POST", "/v1/admin/backups/<name>/verify", backups_web.verify_backup, ADMIN),
    Route("OPTIONS", "/v1/uploads", uploads_web.options, READ),
    Route("GET", "/v1/uploads", uploads_web.list_uploads, READ),
    Route("POST", "/v1/uploads", uploads_web.create, WRITE),
    Route("GET", "/v1/uploads/<upload_id>", uploads_web.get_upload, READ),
    Route("HEAD", "/v1/uploads/<upload_id>", uploads_web.head, READ),
    Route("PATCH", "/v1/uploads/<upload_id>", uploads_web.patch, WRITE),
    Route("DELETE", "/v1/uploads/<upload_id>", uploads_web.terminate, WRITE),
    Route("POST", "/v1/assets/bulk-import", jobs_web.submit_bulk_import, WRITE),
    Route("POST", "/v1/admin/exports", jobs_web.submit_export, ADMIN),
    Route("POST", "/v1/admin/thumbnails/rebuild", jobs_web.rebuild_thumbnails, ADMIN),
    Route("GET", "/v1/jobs", jobs_web.list_jobs, READ),
    Route("POST", "/v1/jobs", jobs_web.create_job, WRITE),
    Route("POST", "/v1/jobs/claim", jobs_web.claim, ANY_RUNNER),
    Route("GET", "/v1/jobs/<job_id>", jobs_web.get_job, READ),
    Route("GET", "/v1/jobs/<job_id>/log", jobs_web.read_log, READ),
    Route("POST", "/v1/jobs/<job_id>/cancel", jobs_web.cancel_job, WRITE),
    Route("POST", "/v1/jobs/<job_id>/retry", jobs_web.retry_job, WRITE),
    Route("POST", "/v1/jobs/<job_id>/heartbeat", jobs_web.heartbeat, ANY_RUNNER),
    Route("POST", "/v1/jobs/<job_id>/log", jobs_web.runner_log, ANY_RUNNER),
    Route("POST", "/v1/jobs/<job_id>/progress", jobs_web.runner_progress, ANY_RUNNER),
    Route("POST", "/v1/jobs/<job_id>/complete", jobs_web.runner_complete, ANY_RUNNER),
    Route("POST", "/v1/jobs/<job_id>/fail", jobs_web.runner_fail, ANY_RUNNER),
    Route("GET", "/v1/events", events_web.list_events, READ),
    Route("GET", "/v1/plugins", plugins_web.list_plugins, READ),
    Route("POST", "/v1/plugins/<plugin_id>/enable", plugins_web.enable, ADMIN),
    Route("POST", "/v1/plugins/<plugin_id>/disable", plugins_web.disable, ADMIN),
    Route("GET", "/v1/plugins/<plugin_id>/config", plugins_web.get_config, READ),
    Route("PUT", "/v1/plugins/<plugin_id>/config", plugins_web.put_config, ADMIN),
    Route("POST", "/v1/plugins/<plugin_id>/restart", plugins_web.restart, ADMIN),
    Route("GET", "/v1/plugins/<plugin_id>/runner/log", plugins_web.runner_log, READ),
    Route("GET", "/v1/admin/tokens", tokens_web.list_tokens, ADMIN),
    Route("POST", "/v1/admin/tokens", tokens_web.create_token, ADMIN),
    Route("DELETE", "/v1/admin/tokens/<token_id>", tokens_web.delete_token, ADMIN),
)


def matched_route_config(app: bottle.Bottle, environ: dict) -> dict | None:
    """The config (`public`, `scope`) of the route the request is for. The gate runs before
    routing, so it asks the router itself; None for a path or method no route takes (which is
    not public: 401 without a token, 404 with one)."""
    try:
        route, _ = app.match(environ)
    except bottle.HTTPError:
        return None
    return route.config


def guard(services: Services, app: bottle.Bottle) -> None:
    """Before routing: Host check, then the token (unless the route is public, or the request
    is a download carrying a signed URL's signature, which is checked instead) and the scope
    the route needs. The credential is left in the environ for the runner routes, which check
    that a job is the key's plugin's."""
    request = bottle.request
    environ = request.environ
    try:
        auth.check_host(
            environ.get("HTTP_HOST"),
            services.config["network.bind_host"],
            services.config["network.allowed_hosts"],
        )
        route_config = matched_route_config(app, environ)
        if route_config is not None and route_config.get("public", False):
            return
        if auth.signed_download(
            request.method,
            request.path,
            environ.get("QUERY_STRING", ""),
            services.config["auth.url_signing_key"],
        ):
            return
        credential = auth.check_token(
            environ,
            services.config["auth.install_token"],
            functools.partial(api_keys.credential, services.db),
        )
        environ[auth.CREDENTIAL_KEY] = credential
        if route_config is not None:
            auth.check_scope(credential, route_config.get("scope"))
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
        app.route(route.path, route.method, handler, public=route.public, scope=route.scope)
    return app
