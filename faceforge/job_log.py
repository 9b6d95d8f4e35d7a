"""The log of each job (`job_logs`): lines written by the queue, workers and runners, read by
clients with `after_id` so they can follow a running job."""

from faceforge import clock
from faceforge.json_text import dumps_nullable, parse_nullable

LEVELS = ("debug", "info", "warning", "error")


def append(connection, job_id: str, level: str, message: str, data=None, ts=None) -> None:
    connection.execute(
        "INSERT INTO job_logs (job_id, ts, level, message, data_json) VALUES (?, ?, ?, ?, ?)",
        (job_id, ts or clock.now(), level, message, dumps_nullable(data)),
    )


def line_dict(row) -> dict:
    return {
        "job_log_id": row["job_log_id"],
        "ts": row["ts"],
        "level": row["level"],
        "message": row["message"],
        "data": parse_nullable(row["data_json"]),
    }


def read_after(connection, job_id: str, after_id: int, limit: int) -> dict:
    """Lines after `after_id`, oldest first; `next_after_id` is what to pass next time (the
    last line returned, or `after_id` again when nothing is new)."""
    rows = connection.execute(
        "SELECT * FROM job_logs WHERE job_id = ? AND job_log_id > ? ORDER BY job_log_id LIMIT ?",
        (job_id, after_id, limit),
    ).fetchall()
    items = [line_dict(row) for row in rows]
    return {"items": items, "next_after_id": items[-1]["job_log_id"] if items else after_id}
