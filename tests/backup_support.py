"""Helpers shared by the backup tests: queue a backup through the API and wait for its end,
and read a backup's snapshot."""

import json
import sqlite3
from pathlib import Path

from tests.support import wait_until

FINISHED = ("succeeded", "failed", "canceled")


def finished_job(client, job_id: str, timeout: float = 120.0) -> dict:
    def ended():
        job = client.get(f"/v1/jobs/{job_id}").data
        return job if job["status"] in FINISHED else None

    return wait_until(ended, timeout=timeout, interval=0.1)


def back_up(client, body: dict | None = None) -> dict:
    """`POST /v1/admin/backups`, then the job once it has ended."""
    job = client.post("/v1/admin/backups", body or {}).data
    assert job["job_type"] == "system.backup"
    return finished_job(client, job["job_id"])


def manifest(folder: Path) -> dict:
    return json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))


def snapshot_query(folder: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(folder / "db" / "core.sqlite3")
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()
