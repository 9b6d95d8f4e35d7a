"""Backups over HTTP (API.md §11): queue a backup job or a verify job, list the complete
backups."""

from faceforge.backups import create, folders, verify
from faceforge.web import params
from faceforge.web.jobs import submitted


def list_backups(services):
    return folders.list_backups(folders.backups_root(services.config))


def create_backup(services):
    return submitted(services, create.JOB_TYPE, params.optional_json_body(services))


def verify_backup(services, name):
    return submitted(services, verify.JOB_TYPE, {"name": name}, loc=("path",))
