"""Backups over HTTP (API.md §11): queue a backup job, list the complete backups."""

from faceforge.backups import create, folders
from faceforge.web import params


def list_backups(services):
    return folders.list_backups(folders.backups_root(services.config))


def create_backup(services):
    job = services.jobs.submit(create.JOB_TYPE, params.optional_json_body(services), loc=("body",))
    return {key: job[key] for key in ("job_id", "job_type", "status", "created_at")}
