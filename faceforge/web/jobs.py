"""Jobs over HTTP: the queue (`/v1/jobs...`), the submit routes of the built-in jobs (bulk
import, export, thumbnail rebuild), and the runner protocol. Each handler reads the request,
makes one domain call and returns a dict."""

import bottle

from faceforge import paging, plugins, validate
from faceforge.api_keys import RUNNER_PREFIX
from faceforge.assets import bulk_import, thumbnail_rebuild
from faceforge.errors import Forbidden
from faceforge.exports import writer as export_writer
from faceforge.jobs import queue as jobs
from faceforge.jobs import runner_protocol
from faceforge.jobs.log import LEVELS
from faceforge.web import auth, params
from faceforge.web.envelope import NULL_DATA


def list_jobs(services):
    query = params.query()
    status = query.get("status")  # blank is not absent: API.md §1 answers `status=` with 422
    if status is not None:
        validate.choice(status, ("query", "status"), jobs.STATUSES)
    job_type = params.optional(query, "job_type")
    return services.jobs.list(status, job_type, paging.read_paging(query))


def create_job(services):
    request = params.json_body(services)
    job_type = validate.name(validate.required(request, "job_type"), ("body", "job_type"))
    job_input = request.get("input")
    return services.jobs.submit(job_type, {} if job_input is None else job_input)


def submitted(services, job_type: str, body: dict, loc: tuple = ("body",)) -> dict:
    """Queue a built-in job whose input is the request body (or, with `loc`, the request's
    path parameters); what the submit routes answer."""
    job = services.jobs.submit(job_type, body, loc=loc)
    return {key: job[key] for key in ("job_id", "job_type", "status", "created_at")}


def submit_bulk_import(services):
    return submitted(services, bulk_import.JOB_TYPE, params.json_body(services))


def submit_export(services):
    return submitted(services, export_writer.JOB_TYPE, params.json_body(services))


def rebuild_thumbnails(services):
    return submitted(services, thumbnail_rebuild.JOB_TYPE, params.optional_json_body(services))


def get_job(services, job_id):
    return services.jobs.get(job_id)


def read_log(services, job_id):
    query = params.query()
    after_id, limit = params.after_id_page(query)
    wait_seconds = params.optional_integer(query, "wait", 0, 0, jobs.MAX_LOG_WAIT_SECONDS)
    return services.jobs.log(job_id, after_id, limit, wait_seconds)


def cancel_job(services, job_id):
    return services.jobs.cancel(job_id)


def retry_job(services, job_id):
    return services.jobs.retry(job_id)


def claim(services):
    request = params.json_body(services)
    job_types = validate.name_list(validate.required(request, "job_types"), ("body", "job_types"))
    if not job_types:
        validate.fail(("body", "job_types"), "name at least one job type")
    lease_seconds = validate.integer(
        request.get("lease_seconds", runner_protocol.DEFAULT_LEASE_SECONDS),
        ("body", "lease_seconds"),
        runner_protocol.MIN_LEASE_SECONDS,
        runner_protocol.MAX_LEASE_SECONDS,
    )
    check_runner_scope(services, job_types)
    claimed = runner_protocol.claim(services.jobs, job_types, lease_seconds)
    if claimed is None:
        return NULL_DATA
    return claimed


def check_runner_scope(services, job_types: list[str]) -> None:
    """403 unless the request's key may run every one of `job_types`: it holds
    `runner:<plugin_id>` of the plugin that declares each."""
    credential = bottle.request.environ[auth.CREDENTIAL_KEY]
    if credential.all_scopes:
        return
    for job_type in job_types:
        owner = plugins.job_type_owner(services.config.home.plugins_dir, job_type)
        if owner is None or owner not in credential.runner_plugins():
            scope = f"{RUNNER_PREFIX}{owner or '<plugin_id>'}"
            message = f"This key lacks the scope {scope} that runs {job_type} jobs"
            raise Forbidden(message, {"missing_scope": scope})


def leased_body(services, job_id: str) -> tuple[dict, str]:
    """The body of a runner call on a job of the key's plugin and the lease token it must
    carry."""
    request = params.json_body(services)
    check_runner_scope(services, [services.jobs.get(job_id)["job_type"]])
    lease_token = validate.required(request, "lease_token")
    if not isinstance(lease_token, str):
        validate.fail(("body", "lease_token"), "must be a string", "type_error")
    return request, lease_token


def heartbeat(services, job_id):
    _, lease_token = leased_body(services, job_id)
    return runner_protocol.heartbeat(services.db, job_id, lease_token)


def runner_log(services, job_id):
    request, lease_token = leased_body(services, job_id)
    level = validate.choice(request.get("level", "info"), ("body", "level"), LEVELS)
    message = validate.name(validate.required(request, "message"), ("body", "message"))
    data = request.get("data")
    if data is not None:
        validate.json_object(data, ("body", "data"))
    return runner_protocol.log(services.db, job_id, lease_token, level, message, data)


def runner_progress(services, job_id):
    request, lease_token = leased_body(services, job_id)
    percent = validate.number(validate.required(request, "percent"), ("body", "percent"), 0, 100)
    step = validate.optional_text(request.get("step"), ("body", "step"))
    return runner_protocol.progress(services.db, job_id, lease_token, percent, step)


def runner_complete(services, job_id):
    request, lease_token = leased_body(services, job_id)
    result = request.get("result")
    if result is not None:
        validate.json_object(result, ("body", "result"))
    return runner_protocol.complete(services.db, job_id, lease_token, result)


def runner_fail(services, job_id):
    request, lease_token = leased_body(services, job_id)
    error = validate.json_object(validate.required(request, "error"), ("body", "error"))
    code = validate.name(
        validate.required(error, "code", ("body", "error")), ("body", "error", "code")
    )
    message = validate.required(error, "message", ("body", "error"))
    if not isinstance(message, str):
        validate.fail(("body", "error", "message"), "must be a string", "type_error")
    return runner_protocol.fail(
        services.db, job_id, lease_token, {"code": code, "message": message}
    )
