"""API.md §7 runner protocol: claim with a lease, heartbeat/log/progress/complete/fail, 409
for a token that does not hold the lease, lapsed leases back in the queue."""

import time

import pytest

from tests.plugin_support import enabled_plugin
from tests.support import wait_until, write_core_json

JOB_TYPE = "tagger.tag"


@pytest.fixture
def runner(server):
    """A server with an enabled plugin declaring `tagger.tag` and `tagger.other`."""
    enabled_plugin(server, "tagger", [JOB_TYPE, "tagger.other"])
    return server


def submit(client, job_input=None, job_type=JOB_TYPE) -> dict:
    return client.post("/v1/jobs", {"job_type": job_type, "input": job_input or {}}).data


def claim(client, *job_types, lease_seconds=60):
    return client.post(
        "/v1/jobs/claim",
        {"job_types": list(job_types) or [JOB_TYPE], "lease_seconds": lease_seconds},
    )


def running_job(client) -> tuple[str, str]:
    """A job of JOB_TYPE, submitted and claimed: (job_id, lease_token)."""
    job_id = submit(client)["job_id"]
    return job_id, claim(client).data["lease_token"]


def test_claim_answers_null_when_nothing_waits(runner):
    reply = claim(runner.client)
    assert reply.status == 200
    assert reply.json() == {"ok": True, "data": None, "error": None}


def test_claim_hands_out_the_oldest_job_of_the_asked_types_with_a_lease(runner):
    first = submit(runner.client, {"n": 1})
    submit(runner.client, {"n": 2}, job_type="tagger.other")
    submit(runner.client, {"n": 3})
    claimed = claim(runner.client, lease_seconds=30).data
    assert claimed["job"]["job_id"] == first["job_id"]
    assert claimed["job"]["status"] == "running"
    assert claimed["job"]["attempts"] == 1
    assert claimed["job"]["input"] == {"n": 1}
    assert claimed["job"]["started_at"] is not None
    assert len(claimed["lease_token"]) >= 32
    assert claimed["lease_expires_at"] > claimed["job"]["started_at"]
    assert claim(runner.client).data["job"]["input"] == {"n": 3}
    assert claim(runner.client).json()["data"] is None
    assert claim(runner.client, "tagger.other").data["job"]["input"] == {"n": 2}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "job_types"]),
        ({"job_types": []}, ["body", "job_types"]),
        ({"job_types": "tagger.tag"}, ["body", "job_types"]),
        ({"job_types": [" "]}, ["body", "job_types", 0]),
        ({"job_types": ["assets.bulk-import"]}, ["body", "job_types", 0]),
        ({"job_types": [JOB_TYPE], "lease_seconds": 4}, ["body", "lease_seconds"]),
        ({"job_types": [JOB_TYPE], "lease_seconds": 3601}, ["body", "lease_seconds"]),
    ],
)
def test_bad_claims_are_422(runner, body, loc):
    reply = runner.client.post("/v1/jobs/claim", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc


def test_a_runner_reports_log_and_progress_and_completes(runner):
    client = runner.client
    job_id, lease = running_job(client)
    logged = client.post(
        f"/v1/jobs/{job_id}/log",
        {"lease_token": lease, "level": "warning", "message": "slow model", "data": {"ms": 5}},
    )
    assert logged.data["cancel_requested"] is False
    progress = client.post(
        f"/v1/jobs/{job_id}/progress", {"lease_token": lease, "percent": 42.5, "step": "faces"}
    ).data["job"]
    assert (progress["progress_percent"], progress["progress_step"]) == (42.5, "faces")
    done = client.post(
        f"/v1/jobs/{job_id}/complete", {"lease_token": lease, "result": {"tags": ["x"]}}
    ).data
    assert (done["cancel_requested"], done["lease_expires_at"]) == (False, None)
    assert done["job"]["status"] == "succeeded"
    assert done["job"]["result"] == {"tags": ["x"]}
    assert done["job"]["progress_percent"] == 100
    assert done["job"]["finished_at"] is not None
    lines = client.get(f"/v1/jobs/{job_id}/log").data["items"]
    assert [(line["level"], line["message"], line["data"]) for line in lines] == [
        ("info", "Job queued", None),
        ("info", "Job started", {"attempt": 1}),
        ("warning", "slow model", {"ms": 5}),
        ("info", "Job completed", None),
    ]
    feed = client.get("/v1/events", query={"type": "job."}).data["items"]
    assert [e["type"] for e in feed] == ["job.created", "job.started", "job.succeeded"]


def test_log_lines_come_back_exactly_and_in_order_page_by_page(runner):
    """The log page is JSON built by SQLite: quotes, backslashes, control characters, NUL,
    non-ASCII and nested data must come back as they were sent, in order, across pages."""
    client = runner.client
    job_id, lease = running_job(client)
    messages = ['quote " and \\ backslash', "tab\tnew\nline\x00nul\x1fend", "Zoë 山田 \u2028 😀"]
    datas = [None, {"nested": {"list": [1, 2.5, True, None, "ü\x00"]}}, {}, {"k": "\\"}]
    sent = []
    for n in range(130):
        line = {"level": "info", "message": f"{n} {messages[n % 3]}", "data": datas[n % 4]}
        assert client.post(f"/v1/jobs/{job_id}/log", {"lease_token": lease, **line}).status == 200
        sent.append(line)
    received, after_id = [], 0
    while page := client.get(
        f"/v1/jobs/{job_id}/log", query={"after_id": after_id, "limit": 7}
    ).data:
        if not page["items"]:
            assert page["next_after_id"] == after_id
            break
        assert page["next_after_id"] == page["items"][-1]["job_log_id"]
        received += page["items"]
        after_id = page["next_after_id"]
    ids = [line["job_log_id"] for line in received]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    runner_lines = [line for line in received if line["message"][0].isdigit()]
    assert [{k: line[k] for k in ("level", "message", "data")} for line in runner_lines] == sent
    assert all(line["ts"].endswith("Z") for line in received)


def test_a_runner_fails_a_job(runner):
    client = runner.client
    job_id, lease = running_job(client)
    failed = client.post(
        f"/v1/jobs/{job_id}/fail",
        {"lease_token": lease, "error": {"code": "model_missing", "message": "no model"}},
    ).data["job"]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "model_missing", "message": "no model"}
    assert client.get(f"/v1/jobs/{job_id}/log").data["items"][-1]["message"] == "Job failed"


def test_heartbeat_extends_the_lease(runner):
    client = runner.client
    job_id = submit(client)["job_id"]
    claimed = claim(client, lease_seconds=5).data
    time.sleep(0.01)
    beat = client.post(f"/v1/jobs/{job_id}/heartbeat", {"lease_token": claimed["lease_token"]})
    assert beat.data["job"]["status"] == "running"
    assert beat.data["lease_expires_at"] > claimed["lease_expires_at"]
    time.sleep(0.01)
    logged = client.post(
        f"/v1/jobs/{job_id}/log", {"lease_token": claimed["lease_token"], "message": "alive"}
    )
    assert logged.data["lease_expires_at"] > beat.data["lease_expires_at"]


def test_calls_without_the_live_lease_are_409(runner):
    client = runner.client
    job_id = submit(client)["job_id"]
    queued_reply = client.post(f"/v1/jobs/{job_id}/heartbeat", {"lease_token": "x"})
    assert queued_reply.status == 409
    lease = claim(client).data["lease_token"]
    calls = [
        ("heartbeat", {}),
        ("log", {"message": "hi"}),
        ("progress", {"percent": 1}),
        ("complete", {"result": {}}),
        ("fail", {"error": {"code": "x", "message": "y"}}),
    ]
    for action, extra in calls:
        reply = client.post(f"/v1/jobs/{job_id}/{action}", {"lease_token": "wrong", **extra})
        assert reply.status == 409, action
        assert reply.error["code"] == "conflict"
    client.post(f"/v1/jobs/{job_id}/complete", {"lease_token": lease})
    again = client.post(f"/v1/jobs/{job_id}/complete", {"lease_token": lease})
    assert again.status == 409
    assert again.error["message"] == f"Job {job_id} is succeeded: it holds no runner lease"
    assert client.get(f"/v1/jobs/{job_id}").data["status"] == "succeeded"


@pytest.mark.parametrize(
    ("action", "body", "loc"),
    [
        ("heartbeat", {"lease_token": None}, ["body", "lease_token"]),
        ("heartbeat", {"lease_token": 5}, ["body", "lease_token"]),
        ("progress", {"percent": -1}, ["body", "percent"]),
        ("progress", {"percent": 100.5}, ["body", "percent"]),
        ("progress", {"percent": "50"}, ["body", "percent"]),
        ("progress", {"percent": 5, "step": 3}, ["body", "step"]),
        ("log", {"message": " "}, ["body", "message"]),
        ("log", {"message": "x", "level": "loud"}, ["body", "level"]),
        ("log", {"message": "x", "data": [1]}, ["body", "data"]),
        ("complete", {"result": "done"}, ["body", "result"]),
        ("fail", {}, ["body", "error"]),
        ("fail", {"error": {"message": "m"}}, ["body", "error", "code"]),
        ("fail", {"error": {"code": "c"}}, ["body", "error", "message"]),
    ],
)
def test_malformed_runner_calls_are_422_and_change_nothing(runner, action, body, loc):
    client = runner.client
    job_id, lease = running_job(client)
    reply = client.post(f"/v1/jobs/{job_id}/{action}", {"lease_token": lease, **body})
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc
    job = client.get(f"/v1/jobs/{job_id}").data
    assert (job["status"], job["progress_percent"]) == ("running", 0)
    assert len(client.get(f"/v1/jobs/{job_id}/log").data["items"]) == 2


def test_runner_calls_on_unknown_jobs_are_404(runner):
    for job_id in ("0" * 64, "nope"):
        reply = runner.client.post(f"/v1/jobs/{job_id}/heartbeat", {"lease_token": "x"})
        assert reply.status == 404


def test_a_cancel_reaches_the_runner_and_its_fail_marks_the_job_canceled(runner):
    client = runner.client
    job_id, lease = running_job(client)
    canceled = client.post(f"/v1/jobs/{job_id}/cancel").data
    assert canceled["cancel_requested"] is True
    assert canceled["job"]["status"] == "running"
    assert canceled["job"]["cancel_requested_at"] is not None
    reply = client.post(f"/v1/jobs/{job_id}/progress", {"lease_token": lease, "percent": 10})
    assert reply.data["cancel_requested"] is True
    stopped = client.post(
        f"/v1/jobs/{job_id}/fail",
        {"lease_token": lease, "error": {"code": "canceled", "message": "stopped on request"}},
    ).data["job"]
    assert stopped["status"] == "canceled"
    assert stopped["canceled_at"] is not None


@pytest.mark.slow
def test_lapsed_leases_requeue_then_fail_after_max_attempts(start_server, home):
    write_core_json(home, {"jobs": {"max_attempts": 2}})
    server = start_server(home)
    enabled_plugin(server, "tagger", [JOB_TYPE])
    client = server.client
    kept = submit(client, {"n": 1})["job_id"]
    dropped = submit(client, {"n": 2})["job_id"]
    first_lease = claim(client, lease_seconds=5).data["lease_token"]
    claim(client, lease_seconds=5)
    client.post(f"/v1/jobs/{dropped}/cancel")

    def status(job_id):
        return client.get(f"/v1/jobs/{job_id}").data["status"]

    wait_until(lambda: status(kept) == "queued" and status(dropped) == "canceled", timeout=15)
    stale = client.post(f"/v1/jobs/{kept}/heartbeat", {"lease_token": first_lease})
    assert stale.status == 409
    messages = [line["message"] for line in client.get(f"/v1/jobs/{kept}/log").data["items"]]
    assert messages[-1] == "Lease expired; job re-queued"
    second = claim(client, lease_seconds=5).data
    assert (second["job"]["job_id"], second["job"]["attempts"]) == (kept, 2)
    wait_until(lambda: status(kept) == "failed", timeout=15)
    job = client.get(f"/v1/jobs/{kept}").data
    assert job["error"] == {
        "code": "lease_expired",
        "message": "The runner stopped renewing its lease (2 attempts)",
    }
