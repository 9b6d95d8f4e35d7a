"""Building a running Core from a home folder: the one path the CLI and the tests share."""

import json
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faceforge import client, logs
from faceforge import config as settings
from faceforge import home as home_layout
from faceforge.assets import exiftool, ingest_batch
from faceforge.db import Database
from faceforge.jobs.workers import WorkerPool
from faceforge.migrate import migrate
from faceforge.storage import open_storage
from faceforge.storage.seaweed import ManagedSeaweed, SeaweedError
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
    db = Database(config.home.db_path)
    try:
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


def build_app(config, serving: bool = True):
    """The WSGI app with its database and storage; `app.services.close()` releases them.

    `serving=False` is for commands that borrow the services while no server runs (the
    in-process `import`): they leave tmp/, SeaweedFS and the job queue to the server."""
    db = open_database(config)
    if serving:
        storage = open_storage(config, start_seaweed(config))
        ingest_batch.recover(db, storage, config.home.tmp_dir)
        exiftool.reap_strays(config.home.root)
        clear_tmp(config)
    else:
        storage = open_storage_offline(config)
    app = create_app(config, db, storage)
    if serving:
        app.services.uploads.recover()
        app.services.uploads.expire()
    # Closed last, after the workers that use them have stopped.
    app.services.on_close[:0] = [db.close, storage.close]
    if serving:
        start_workers(app.services)
    return app


def start_workers(services) -> None:
    """Fail the built-in jobs a dead process left running, then start the worker pool; it
    stops (before the database closes) when the services close."""
    services.jobs.recover_interrupted()
    pool = WorkerPool(services.jobs, services.config["jobs.workers"]).start()
    services.on_close.append(pool.stop)


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
