"""The web application: `create_app()`, THE route table, the gate and the error handling.

Handlers live in the modules beside this one. Each takes the `Services` first, reads the
request through `params`, makes one domain call and returns a dict (the envelope is added by
`envelope_plugin`) or a ready response (bytes, health, files).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import bottle

from faceforge.assets.extraction import MetadataWorkers
from faceforge.config import Config
from faceforge.db import Database
from faceforge.errors import ApiError
from faceforge.jobs.queue import Jobs
from faceforge.uploads.store import UploadStore
from faceforge.web import assets, auth, descriptors, docs, entities, relationships, system, ui
from faceforge.web import events as events_web
from faceforge.web import jobs as jobs_web
from faceforge.web import plugins as plugins_web
from faceforge.web import uploads as uploads_web
from faceforge.web.envelope import FaceForgeBottle, api_error_response, envelope_plugin


@dataclass
class Services:
    """What handlers need, built once per app: settings, database, byte storage, the
    ExifTool workers and the job queue (its workers are started by `runtime.build_app`)."""

    config: Config
    db: Database
    storage: object
    metadata: MetadataWorkers | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)
    jobs: Jobs | None = None
    uploads: UploadStore | None = None

    def close(self) -> None:
        for close in reversed(self.on_close):
            close()
        self.on_close.clear()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", system.healthz),
    Route("GET", "/", ui.root),
    Route("GET", "/openapi.json", docs.openapi_document),
    Route("GET", "/docs", docs.docs_page),
    Route("GET", "/redoc", docs.redoc_page),
    Route("GET", "/docs/assets/<name>", docs.docs_asset),
    Route("GET", "/ui/", ui.shell),
    Route("GET", "/ui/login-link", ui.use_login_link),
    Route("GET", "/ui/<path:path>", ui.static_file),
    Route("POST", "/ui/login", ui.login),
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
    Route("GET", "/v1/assets/<asset_id>/derived", assets.derived_assets),
    Route("GET", "/v1/entities/<entity_id>/assets", assets.entity_assets),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>", assets.link),
    Route("DELETE", "/v1/entities/<entity_id>/assets/<asset_id>", assets.unlink),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/link", assets.link),
    Route("POST", "/v1/entities/<entity_id>/assets/<asset_id>/unlink", assets.unlink),
    Route("POST", "/v1/admin/purge", assets.purge),
    Route("OPTIONS", "/v1/uploads", uploads_web.options),
    Route("GET", "/v1/uploads", uploads_web.list_uploads),
    Route("POST", "/v1/uploads", uploads_web.create),
    Route("GET", "/v1/uploads/<upload_id>", uploads_web.get_upload),
    Route("HEAD", "/v1/uploads/<upload_id>", uploads_web.head),
    Route("PATCH", "/v1/uploads/<upload_id>", uploads_web.patch),
    Route("DELETE", "/v1/uploads/<upload_id>", uploads_web.terminate),
    Route("POST", "/v1/assets/bulk-import", jobs_web.submit_bulk_import),
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


def guard(services: Services) -> None:
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
        if auth.is_public(request.method, request.path):
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


def create_app(config: Config, db: Database, storage) -> FaceForgeBottle:
    """The WSGI app, built the same way by the CLI and by the tests."""
    services = Services(config=config, db=db, storage=storage)
    services.metadata = MetadataWorkers(config, db, storage)
    services.on_close.append(services.metadata.close)
    services.metadata.resume_pending()
    services.jobs = Jobs(services)
    home = config.home
    services.uploads = UploadStore(home.uploads_dir, home.tmp_dir, config["uploads.expire_hours"])
    app = FaceForgeBottle(autojson=False)
    app.services = services
    app.install(envelope_plugin)
    app.add_hook("before_request", functools.partial(guard, services))
    for route in ROUTES:
        app.route(route.path, route.method, functools.partial(route.handler, services))
    return app
