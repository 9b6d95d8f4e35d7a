"""The example plugin of docs/plugins.md, installed as a user would and run for real against
a live server: its runner claims, reports, honours a cancel and completes."""

import os
import shutil
import subprocess
import sys

from tests.plugin_support import EXAMPLE
from tests.support import wait_until


def install_example(server, config: dict) -> None:
    shutil.copytree(EXAMPLE, server.home / "plugins" / "example")
    assert server.client.post("/v1/plugins/example/enable").data["error"] is None
    assert server.client.put("/v1/plugins/example/config", {"config": config}).status == 200


def runner_command(server, *args) -> tuple[list[str], dict]:
    env = {**os.environ, "FACEFORGE_URL": server.url, "FACEFORGE_TOKEN": server.token}
    return [sys.executable, str(EXAMPLE / "runner.py"), *args], env


def submit(server, name: str) -> str:
    job = server.client.post("/v1/jobs", {"job_type": "example.greet", "input": {"name": name}})
    return job.data["job_id"]


def test_the_example_runner_completes_queued_jobs(server):
    install_example(server, {"greeting": "Bonjour", "step_seconds": 0})
    first, second = submit(server, "Ada"), submit(server, "Zoë")
    command, env = runner_command(server, "--once")
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [first[:12], "succeeded", second[:12], "succeeded"]
    for job_id, name in ((first, "Ada"), (second, "Zoë")):
        job = server.client.get(f"/v1/jobs/{job_id}").data
        assert (job["status"], job["result"]) == ("succeeded", {"message": f"Bonjour, {name}!"})
        messages = [
            line["message"] for line in server.client.get(f"/v1/jobs/{job_id}/log").data["items"]
        ]
        assert messages == ["Job queued", "Job started", f"Bonjour, {name}!", "Job completed"]
    feed = server.client.get("/v1/events", query={"type": "job."}).data["items"]
    assert [e["type"] for e in feed if e["subject_id"] == first] == [
        "job.created",
        "job.started",
        "job.succeeded",
    ]


def test_the_example_runner_stops_when_its_job_is_canceled(server):
    install_example(server, {"step_seconds": 1})
    job_id = submit(server, "Grace")
    command, env = runner_command(server)
    runner = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: server.client.get(f"/v1/jobs/{job_id}").data["status"] == "running")
        assert server.client.post(f"/v1/jobs/{job_id}/cancel").data["cancel_requested"] is True
        wait_until(lambda: server.client.get(f"/v1/jobs/{job_id}").data["status"] == "canceled")
    finally:
        runner.terminate()
        runner.communicate(timeout=10)
    job = server.client.get(f"/v1/jobs/{job_id}").data
    assert job["error"] == {"code": "canceled", "message": "stopped on request"}
    assert job["result"] is None
