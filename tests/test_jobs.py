"""API.md §3/§7 jobs: submit, list with filters and paging, get, log, cancel, retry."""

import pytest

from tests.plugin_support import enabled_plugin

JOB_KEYS = {
    "job_id",
    "job_type",
    "status",
    "progress_percent",
    "progress_step",
    "input",
    "result",
    "error",
    "attempts",
    "retry_of_job_id",
    "cancel_requested_at",
    "created_at",
    "started_at",
    "finished_at",
    "canceled_at",
}


@pytest.fixture
def client(server):
    enabled_plugin(server, "work", ["work.a", "work.b"])
    return server.client


def submit(client, job_type="work.a", job_input=None) -> dict:
    body = (
        {"job_type": job_type} if job_input is None else {"job_type": job_type, "input": job_input}
    )
    return client.post("/v1/jobs", body).data


def test_a_submitted_job_is_queued_with_its_input(client):
    job = submit(client, "  work.a ", {"size": 3, "names": ["é"]})
    assert set(job) == JOB_KEYS
    assert job["job_type"] == "work.a"
    assert job["status"] == "queued"
    assert job["input"] == {"size": 3, "names": ["é"]}
    assert (job["progress_percent"], job["attempts"], job["result"], job["error"]) == (
        0,
        0,
        None,
        None,
    )
    assert job["started_at"] is job["finished_at"] is job["canceled_at"] is None
    assert client.get(f"/v1/jobs/{job['job_id']}").data == job
    [line] = client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    assert (line["level"], line["message"]) == ("info", "Job queued")


def test_input_defaults_to_an_empty_object(client):
    assert submit(client)["input"] == {}
    assert client.post("/v1/jobs", {"job_type": "work.a", "input": None}).data["input"] == {}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "job_type"]),
        ({"job_type": "  "}, ["body", "job_type"]),
        ({"job_type": 7}, ["body", "job_type"]),
        ({"job_type": "nobody.declares"}, ["body", "job_type"]),
        ({"job_type": "work.c"}, ["body", "job_type"]),
        ({"job_type": "work.a", "input": [1]}, ["body", "input"]),
        ({"job_type": "work.a", "input": "x"}, ["body", "input"]),
    ],
)
def test_bad_submissions_are_422_and_create_nothing(client, body, loc):
    reply = client.post("/v1/jobs", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc
    assert client.get("/v1/jobs").data["total"] == 0
    assert client.get("/v1/events", query={"type": "job."}).data["items"] == []


def test_list_is_newest_first_with_filters(client):
    a1 = submit(client, "work.a")
    b1 = submit(client, "work.b")
    a2 = submit(client, "work.a")
    client.post(f"/v1/jobs/{a1['job_id']}/cancel")

    def listed(**query):
        page = client.get("/v1/jobs", query=query).data
        return [job["job_id"] for job in page["items"]], page["total"]

    assert listed() == ([a2["job_id"], b1["job_id"], a1["job_id"]], 3)
    assert listed(job_type="work.a") == ([a2["job_id"], a1["job_id"]], 2)
    assert listed(status="canceled") == ([a1["job_id"]], 1)
    assert listed(status="queued", job_type="work.b") == ([b1["job_id"]], 1)
    assert listed(status="running") == ([], 0)


def test_offset_and_cursor_paging_walk_the_same_order(client):
    submitted = [submit(client, job_input={"n": n})["job_id"] for n in range(7)]
    newest_first = list(reversed(submitted))
    by_offset = []
    for offset in (0, 3, 6):
        page = client.get("/v1/jobs", query={"limit": 3, "offset": offset}).data
        assert (page["total"], page["limit"], page["offset"]) == (7, 3, offset)
        by_offset += [job["job_id"] for job in page["items"]]
    assert by_offset == newest_first
    by_cursor, query = [], {"limit": 3}
    while True:
        page = client.get("/v1/jobs", query=query).data
        by_cursor += [job["job_id"] for job in page["items"]]
        if page["next_cursor"] is None:
            break
        query = {"limit": 3, "cursor": page["next_cursor"]}
    assert by_cursor == newest_first


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"status": "done"}, ["query", "status"]),
        ({"status": ""}, ["query", "status"]),
        ({"limit": "0"}, ["query", "limit"]),
        ({"limit": "201"}, ["query", "limit"]),
        ({"offset": "-1"}, ["query", "offset"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"cursor": "WzFd", "offset": "2"}, ["query", "offset"]),
    ],
)
def test_bad_list_parameters_are_422(client, query, loc):
    reply = client.get("/v1/jobs", query=query)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc


@pytest.mark.parametrize("job_id", ["0" * 64, "xyz", "A" * 64])
def test_unknown_or_malformed_job_ids_are_404(client, job_id):
    for method, suffix in (("GET", ""), ("GET", "/log"), ("POST", "/cancel"), ("POST", "/retry")):
        reply = client.request(method, f"/v1/jobs/{job_id}{suffix}")
        assert reply.status == 404, suffix
        assert reply.error["code"] == "not_found"


def test_cancel_of_a_queued_job_cancels_it_at_once(client):
    job = submit(client)
    reply = client.post(f"/v1/jobs/{job['job_id']}/cancel").data
    assert reply["cancel_requested"] is True
    canceled = reply["job"]
    assert canceled["status"] == "canceled"
    assert canceled["cancel_requested_at"] is not None
    assert canceled["canceled_at"] == canceled["finished_at"] is not None
    messages = [
        line["message"] for line in client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    ]
    assert messages == ["Job queued", "Cancel requested", "Job canceled"]


def test_cancel_of_a_finished_job_is_200_and_changes_nothing(client):
    job = submit(client)
    client.post(f"/v1/jobs/{job['job_id']}/cancel")
    before = client.get(f"/v1/jobs/{job['job_id']}").data
    again = client.post(f"/v1/jobs/{job['job_id']}/cancel")
    assert again.status == 200
    assert again.data == {"cancel_requested": False, "job": before}
    assert len(client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]) == 3


def test_retry_queues_a_new_job_that_records_what_it_retries(client):
    job = submit(client, job_input={"n": 1})
    client.post(f"/v1/jobs/{job['job_id']}/cancel")
    retried = client.post(f"/v1/jobs/{job['job_id']}/retry").data
    assert retried["job_id"] != job["job_id"]
    assert retried["retry_of_job_id"] == job["job_id"]
    assert (retried["status"], retried["job_type"], retried["input"]) == (
        "queued",
        "work.a",
        {"n": 1},
    )
    [line] = client.get(f"/v1/jobs/{retried['job_id']}/log").data["items"]
    assert line["data"] == {"retry_of_job_id": job["job_id"]}
    assert client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "canceled"


def test_only_failed_or_canceled_jobs_can_be_retried(client):
    job = submit(client)
    reply = client.post(f"/v1/jobs/{job['job_id']}/retry")
    assert reply.status == 409
    assert (
        reply.error["message"]
        == f"Job {job['job_id']} is queued: only failed or canceled jobs retry"
    )


def test_retry_of_a_type_no_longer_accepted_is_422(client):
    job = submit(client)
    client.post(f"/v1/jobs/{job['job_id']}/cancel")
    client.post("/v1/plugins/work/disable")
    assert client.post(f"/v1/jobs/{job['job_id']}/retry").status == 422


def test_blank_query_values_mean_absent_for_the_list_and_the_log(client):
    job = submit(client)
    listed = client.get("/v1/jobs", query={"job_type": " "})
    assert listed.status == 200, listed.body
    assert listed.data == client.get("/v1/jobs").data
    path = f"/v1/jobs/{job['job_id']}/log"
    log = client.get(path, query={"after_id": "", "limit": ""})
    assert log.status == 200, log.body
    assert log.data == client.get(path).data


def test_log_is_read_in_pages_with_after_id(client):
    job = submit(client)
    client.post(f"/v1/jobs/{job['job_id']}/cancel")
    path = f"/v1/jobs/{job['job_id']}/log"
    first = client.get(path, query={"limit": 2}).data
    assert [line["message"] for line in first["items"]] == ["Job queued", "Cancel requested"]
    rest = client.get(path, query={"after_id": first["next_after_id"]}).data
    assert [line["message"] for line in rest["items"]] == ["Job canceled"]
    done = client.get(path, query={"after_id": rest["next_after_id"]}).data
    assert done == {"items": [], "next_after_id": rest["next_after_id"]}
    for query in ({"after_id": "-1"}, {"limit": "0"}, {"limit": "1001"}):
        assert client.get(path, query=query).status == 422
