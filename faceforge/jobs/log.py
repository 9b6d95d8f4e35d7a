"""The log of each job (`job_logs`): lines written by the queue, workers and runners, read by
clients with `after_id` so they can follow a running job."""

from faceforge import clock
from faceforge.db import execute_rows
from faceforge.json_text import Encoded, dumps_nullable

LEVELS = ("debug", "info", "warning", "error")


def append(connection, job_id: str, level: str, message: str, data=None, ts=None) -> None:
    connection.execute(
        "INSERT INTO job_logs (job_id, ts, level, message, data_json) VALUES (?, ?, ?, ?, ?)",
        (job_id, ts or clock.now(), level, message, dumps_nullable(data)),
    )


def append_many(connection, lines: list[tuple[str, str, str, dict | None]]) -> None:
    """Many `(job_id, level, message, data)` at once, with one timestamp."""
    ts = clock.now()
    execute_rows(
        connection,
        "INSERT INTO job_logs (job_id, ts, level, message, data_json) VALUES {rows}",
        "(?, ?, ?, ?, ?)",
        (
            (job_id, ts, level, message, dumps_nullable(data))
            for job_id, level, message, data in lines
        ),
    )


# One log line as JSON text, built by SQLite: {job_log_id, ts, level, message, data}. The
# data column already holds JSON (written by json_text), so it goes in as it is.
LINE_JSON = (
    """'{"job_log_id":' || job_log_id || ',"ts":' || json_quote(ts)"""
    """ || ',"level":' || json_quote(level) || ',"message":' || json_quote(message)"""
    """ || ',"data":' || coalesce(data_json, 'null') || '}'"""
)


def read_after(connection, job_id: str, after_id: int, limit: int) -> Encoded:
    """Lines after `after_id`, oldest first, as the JSON text of `{"items", "next_after_id"}`
    (`next_after_id`: the last line returned, or `after_id` again when nothing is new).

    SQLite builds the whole page in one step of one statement. A client following a busy
    job's log (an import writes thousands of lines a second) thus costs no Python work per
    line, and the job's thread does not have to win the GIL back after every row fetched."""
    text, last = connection.execute(
        f"SELECT group_concat(line, ','), max(job_log_id) FROM (SELECT job_log_id, {LINE_JSON}"
        " AS line FROM job_logs WHERE job_id = ? AND job_log_id > ? ORDER BY job_log_id LIMIT ?)",
        (job_id, after_id, limit),
    ).fetchone()
    next_after_id = after_id if last is None else last
    return Encoded(f'{{"items":[{text or ""}],"next_after_id":{next_after_id}}}')


def has_line_after(connection, job_id: str, after_id: int) -> bool:
    return (
        connection.execute(
            "SELECT 1 FROM job_logs WHERE job_id = ? AND job_log_id > ? LIMIT 1", (job_id, after_id)
        ).fetchone()
        is not None
    )
