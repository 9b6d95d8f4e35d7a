"""GET /v1/jobs/{id}/log?wait=: a reader waits for the next line instead of polling (issue 17).

The jobs are plugin jobs claimed with the install token (it holds every scope): nothing runs
them, so the test decides when a line is written (the runner protocol's `/log`)."""

import threading
import time

import pytest

from faceforge.jobs.queue import MAX_LOG_WAITERS
from tests.plugin_support import enabled_plugin

JOB_TYPE = "tailer.work"


@pytest.fixture
def client(server):
    enabled_plugin(server, "tailer", [JOB_TYPE])
    return server.client


def running_job(client) -> tuple[str, str, int]:
    """A claimed job: (job_id, lease_token, the id of its last log line)."""
    job_id = client.post("/v1/jobs", {"job_type": JOB_TYPE}).data["job_id"]
    lease_token = client.post("/v1/jobs/claim", {"job_types": [JOB_TYPE]}).data["lease_token"]
    return job_id, lease_token, last_line_id(client, job_id)


def last_line_id(client, job_id: str) -> int:
    return client.get(f"/v1/jobs/{job_id}/log", query={"limit": 1000}).data["next_after_id"]


class Waiter(threading.Thread):
    """One `wait=` read of a job's log on its own thread: its reply and how long it took."""

    def __init__(self, client, job_id: str, after_id: int, wait: int):
        super().__init__(daemon=True)
        self.client, self.job_id, self.after_id, self.wait = client, job_id, after_id, wait
        self.reply = None
        self.seconds = None

    def run(self) -> None:
        started = time.monotonic()
        query = {"after_id": self.after_id, "wait": self.wait}
        self.reply = self.client.get(f"/v1/jobs/{self.job_id}/log", query=query)
        self.seconds = time.monotonic() - started


def started_waiter(client, job_id: str, after_id: int, wait: int = 20) -> Waiter:
    waiter = Waiter(client, job_id, after_id, wait)
    waiter.start()
    time.sleep(0.5)  # long enough to be inside its wait
    assert waiter.is_alive(), "the reader was answered before anything was written"
    return waiter


def test_a_waiting_reader_is_answered_as_soon_as_a_line_is_written(client):
    job_id, lease_token, after_id = running_job(client)
    waiter = started_waiter(client, job_id, after_id)
    written = time.monotonic()
    body = {"lease_token": lease_token, "message": "step one"}
    assert client.post(f"/v1/jobs/{job_id}/log", body).status == 200
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert waiter.reply.status == 200, waiter.reply.body
    assert [line["message"] for line in waiter.reply.data["items"]] == ["step one"]
    assert time.monotonic() - written < 2


def test_the_wait_ends_with_an_empty_page_on_a_quiet_job(client):
    job_id, _, after_id = running_job(client)
    waiter = Waiter(client, job_id, after_id, 1)
    waiter.run()
    assert waiter.reply.data == {"items": [], "next_after_id": after_id}
    assert 1 <= waiter.seconds < 5


def test_a_finished_job_is_answered_at_once(client):
    job_id = client.post("/v1/jobs", {"job_type": JOB_TYPE}).data["job_id"]
    client.post(f"/v1/jobs/{job_id}/cancel")  # a queued job is canceled at once
    waiter = Waiter(client, job_id, last_line_id(client, job_id), 20)
    waiter.run()
    assert waiter.reply.data["items"] == []
    assert waiter.seconds < 2


def test_a_waiting_reader_is_answered_when_its_job_finishes(client):
    job_id, lease_token, after_id = running_job(client)
    waiter = started_waiter(client, job_id, after_id)
    reply = client.post(f"/v1/jobs/{job_id}/complete", {"lease_token": lease_token})
    assert reply.status == 200, reply.body
    waiter.join(timeout=5)
    assert [line["message"] for line in waiter.reply.data["items"]] == ["Job completed"]


def test_lines_already_there_come_at_once_and_the_page_is_exact(client):
    job_id, lease_token, _ = running_job(client)
    for number in range(3):
        client.post(f"/v1/jobs/{job_id}/log", {"lease_token": lease_token, "message": f"{number}"})
    path = f"/v1/jobs/{job_id}/log"
    for query in ({"after_id": 0}, {"after_id": 2, "limit": 2}):
        started = time.monotonic()
        waited = client.get(path, query={**query, "wait": 20})
        assert time.monotonic() - started < 2
        assert waited.body == client.get(path, query=query).body


def test_readers_over_the_cap_are_answered_at_once(client):
    job_id, _, after_id = running_job(client)
    waiters = [started_waiter(client, job_id, after_id, 3) for _ in range(MAX_LOG_WAITERS)]
    started = time.monotonic()
    reply = client.get(f"/v1/jobs/{job_id}/log", query={"after_id": after_id, "wait": 20})
    assert time.monotonic() - started < 2
    assert reply.data == {"items": [], "next_after_id": after_id}
    assert all(waiter.is_alive() for waiter in waiters)
    for waiter in waiters:
        waiter.join(timeout=10)


def test_a_stopping_server_answers_its_waiting_readers(start_server):
    server = start_server()
    enabled_plugin(server, "tailer", [JOB_TYPE])
    job_id, _, after_id = running_job(server.client)
    waiter = started_waiter(server.client, job_id, after_id, 30)
    server.server.stop()
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert waiter.reply.data == {"items": [], "next_after_id": after_id}


@pytest.mark.parametrize("wait", ["-1", "31", "soon", "1.5"])
def test_a_bad_wait_is_422_naming_it(client, wait):
    job_id, _, _ = running_job(client)
    reply = client.get(f"/v1/jobs/{job_id}/log", query={"wait": wait})
    assert reply.status == 422, reply.body
    assert reply.error["details"][0]["loc"] == ["query", "wait"]
