"""Building a running Core from a home folder: the one path the CLI and the tests share."""

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faceforge import adopt, client, logs, runners
from faceforge import config as settings
from faceforge import home as home_layout
from faceforge.assets import bulk_import, exiftool, ingest, ingest_batch, thumbnail_rebuild
from faceforge.assets.extraction import MetadataWorkers
from faceforge.assets.thumbnails import ThumbnailWorkers, clear_unfinished
from faceforge.backups import create as backup
from faceforge.backups import folders as backup_folders
from faceforge.backups import verify as backup_verify
from faceforge.backups.schedule import BackupSchedule
from faceforge.db import Database
from faceforge.exports import writer as export_writer
from faceforge.jobs.dispatch import TriggerDispatcher
from faceforge.jobs.queue import Jobs
from faceforge.jobs.workers import WorkerPool
from faceforge.migrate import migrate
from faceforge.services import Services
from faceforge.storage import open_storage
from faceforge.storage.seaweed import ManagedSeaweed, SeaweedError
from faceforge.uploads.store import UploadStore
from faceforge.web import create_app

log = logging.getLogger("faceforge")


def prepare(root: Path, environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None):
    """Settings of the home at `root`, with its folders created and logging pointed at it."""
    home_layout.create_config_folder(root)
    config = settings.load(root, environ, overrides or {})
    home_layout.create_folders(config.home)
    logs.configure(config)
    return config


def open_database(config) -> Database:
    """The database, migrated; a FaceForge 0.1.x database is adopted first (faceforge/adopt.py)."""
    from_0_1_x = adopt.recognise(config.home.db_path)
    db = Database(config.home.db_path)
    try:
        if from_0_1_x:
            adopt.adopt(db, config.home.backups_dir)
        migrate(db, config.home.backups_dir)
    except Exception:
        db.close()
        raise
    return db


def clear_tmp(config) -> None:
    """Leftovers of uploads interrupted by a crash: nothing refers to them."""
    for leftover in config.home.tmp_dir.iterdir():
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def start_seaweed(config) -> ManagedSeaweed | None:
    """The managed SeaweedFS when `seaweed.enabled`. A failure to start it is logged, not
    fatal: Core runs on, storing on the filesystem until S3 answers."""
    if not config["seaweed.enabled"]:
        return None
    seaweed = ManagedSeaweed(config)
    try:
        seaweed.start()
    except (SeaweedError, OSError) as error:
        log.warning("SeaweedFS was not started: %s", error)
    return seaweed


def open_storage_offline(config):
    """Storage for tools such as `check`, which must not start (or stop) a SeaweedFS that a
    running server may own; a managed one is only located, for its address and keys."""
    return open_storage(config, ManagedSeaweed(config) if config["seaweed.enabled"] else None)


def build_app(config):
    """The WSGI app over freshly started services; `app.services.close()` stops them."""
    return create_app(build_services(config))


def build_services(config, serving: bool = True) -> Services:
    """Everything a running Core holds, started here and nowhere else, in order: database,
    SeaweedFS and storage, the clean-up after a crash, the ExifTool and ffmpeg workers, the job
    queue with its built-in job types, the job worker pool, the backup schedule, the trigger
    dispatcher and the plugin runners (which start once the server listens:
    `Runners.serve_at`).
    `Services.close()` stops them in the reverse order (so the database closes last); a start
    that fails stops what it started.

    `serving=False` is for commands that borrow the services while no server runs (the
    in-process `import`): they leave tmp/, SeaweedFS and the worker pool to the server."""
    with contextlib.ExitStack() as started:
        db = open_database(config)
        started.callback(db.close)
        seaweed = start_seaweed(config) if serving else None
        if seaweed is not None:
            started.callback(seaweed.stop)
        storage = open_storage(config, seaweed) if serving else open_storage_offline(config)
        started.callback(storage.close)
        if serving:
            clean_up_after_crash(config, db, storage)
        metadata = MetadataWorkers(config, db, storage)
        started.callback(metadata.close)
        metadata.resume_pending()
        thumbnails = ThumbnailWorkers(config, db, storage)
        started.callback(thumbnails.close)
        thumbnails.resume_pending()
        intake = ingest.Intake(
            db,
            storage,
            metadata,
            thumbnails,
            config.home.tmp_dir,
            config["limits.max_upload_bytes"],
        )
        uploads = UploadStore(
            config.home.uploads_dir, config.home.tmp_dir, config["uploads.expire_hours"]
        )
        if serving:
            uploads.recover()
            uploads.expire()
        jobs = Jobs(db, config["jobs.max_attempts"], config.home.plugins_dir)
        jobs.register(bulk_import.kind(intake, config.home.root))
        jobs.register(export_writer.kind(db, storage, config.home.root))
        jobs.register(thumbnail_rebuild.kind(thumbnails))
        backups_in_use = backup_folders.InUse()
        jobs.register(backup.kind(db, storage, config, backups_in_use))
        jobs.register(backup_verify.kind(backup_folders.backups_root(config), backups_in_use))
        if serving:
            started.callback(start_workers(jobs, config["jobs.workers"]).stop)
            started.callback(start_backup_schedule(jobs, config).stop)
            started.callback(start_trigger_dispatcher(db, config).stop)
        home = config.home
        plugin_runners = runners.Runners(db, home.plugins_dir, home.logs_dir, home.root)
        started.callback(plugin_runners.close)
        return Services(
            config,
            db,
            storage,
            seaweed,
            metadata,
            thumbnails,
            jobs,
            intake,
            uploads,
            plugin_runners,
            started.pop_all(),
        )


def clean_up_after_crash(config, db, storage) -> None:
    """What a process that died left behind: stored bytes no row owns, stray ExifTool
    processes and plugin runners, the temp files of interrupted uploads and of unfinished
    thumbnails."""
    ingest_batch.recover(db, storage, config.home.tmp_dir)
    exiftool.reap_strays(config.home.root)
    runners.reap_strays(config.home.root)
    clear_tmp(config)
    clear_unfinished(config.home.thumbs_dir)


def start_workers(jobs: Jobs, count: int) -> WorkerPool:
    """Fail the built-in jobs a dead process left running, then start the worker pool."""
    jobs.recover_interrupted()
    return WorkerPool(jobs, count).start()


def start_backup_schedule(jobs: Jobs, config) -> BackupSchedule:
    root = backup_folders.backups_root(config)
    return BackupSchedule(jobs, root, config["backup.every_hours"]).start()


def start_trigger_dispatcher(db, config) -> TriggerDispatcher:
    dispatcher = TriggerDispatcher(db, config.home.plugins_dir)
    dispatcher.start()
    return dispatcher


def write_ports(home, **ports: int) -> None:
    """Merge the chosen ports into config/ports.json (clients find this server through it)."""
    document = client.read_ports(home)
    document.update(ports)
    temp_path = home.ports_json.with_name(f"ports.json.{os.getpid()}.tmp")
    temp_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    temp_path.replace(home.ports_json)


def choose_port(cli_port: int | None, config) -> int:
    """`--port`, then FACEFORGE_PORT, then ports.json's `core`, then `network.core_port`."""
    if cli_port is not None:
        return cli_port
    if "network.core_port" in config.overridden:
        return config["network.core_port"]
    remembered = client.remembered_port(config.home)
    return config["network.core_port"] if remembered is None else remembered
