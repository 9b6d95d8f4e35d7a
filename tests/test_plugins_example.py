"""The example plugin of docs/plugins.md, installed as a user would and run for real against
a live server: Core starts its runner, which claims with its own scoped key, reports,
honours a cancel and completes; run by hand, it works the same."""

import json
import os
import shutil
import subprocess
import sys

from tests.plugin_support import EXAMPLE
from tests.support import wait_until


def install_example(server, config: dict, supervised: bool = True) -> None:
    """Copy the example in, configure and enable it; Core starts its runner unless the test
    runs it by hand (`supervised=False`: the manifest's `runner` is taken out)."""
    folder = server.home / "plugins" / "example"
    shutil.copytree(EXAMPLE, folder)
    if not supervised:
        manifest = json.loads((folder / "plugin.json").read_text(encoding="utf-8"))
        del manifest["runner"]
        (folder / "plugin.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert server.client.put("/v1/plugins/example/config", {"config": config}).status == 200
    assert server.client.post("/v1/plugins/example/enable").data["error"] is None


def runner_command(server, *args) -> tuple[list[str], dict]:
    env = {**os.environ, "FACEFORGE_URL": server.url, "FACEFORGE_TOKEN": server.token}
    return [sys.executable, str(EXAMPLE / "runner.py"), *args], env


def submit(server, name: str) -> str:
    job = server.client.post("/v1/jobs", {"job_type": "example.greet", "input": {"name": name}})
    return job.data["job_id"]


def test_the_example_runner_run_by_hand_completes_queued_jobs(server):
    install_example(server, {"greeting": "Bonjour", "step_seconds": 0}, supervised=False)
    first, second = submit(server, "Ada"), submit(server, "Zoë")
    command, env = runner_command(server, "--once")
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [first[-12:], "succeeded", second[-12:], "succeeded"]
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


def test_the_supervised_example_runner_stops_when_its_job_is_canceled(server):
    install_example(server, {"step_seconds": 1})
    job_id = submit(server, "Grace")
    wait_until(lambda: server.client.get(f"/v1/jobs/{job_id}").data["status"] == "running", 30)
    assert server.client.post(f"/v1/jobs/{job_id}/cancel").data["cancel_requested"] is True
    wait_until(lambda: server.client.get(f"/v1/jobs/{job_id}").data["status"] == "canceled")
    job = server.client.get(f"/v1/jobs/{job_id}").data
    assert job["error"] == {"code": "canceled", "message": "stopped on request"}
    assert job["result"] is None


def test_the_supervised_example_runner_completes_a_job_with_its_scoped_key(server):
    install_example(server, {"greeting": "Hej", "step_seconds": 0})
    job_id = submit(server, "Ada")

    def finished():
        job = server.client.get(f"/v1/jobs/{job_id}").data
        return job if job["status"] not in ("queued", "running") else None

    job = wait_until(finished, 30)
    assert (job["status"], job["result"]) == ("succeeded", {"message": "Hej, Ada!"})
    [key] = server.client.get("/v1/admin/tokens").data["items"]
    assert key["scopes"] == ["read", "runner:example"]
