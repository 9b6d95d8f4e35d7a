"""API.md §12: Core supervises plugin runners. Real processes: small Python runners written
by the test into a plugin folder, started, killed and stopped by a real server."""

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.plugin_support import alive, minimal_manifest, write_plugin
from tests.support import Client, ServerProcess, faceforge_command, install_token, wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals and /proc: POSIX")

# Claims one job of its type with its own key and completes it, tries a write it has no
# scope for, writes what it saw to report.json (in its working folder), then idles.
CLAIMING_RUNNER = """
import json, os, time, urllib.request, urllib.error

def call(method, path, body=None):
    request = urllib.request.Request(
        os.environ["FACEFORGE_URL"] + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-FaceForge-Token": os.environ["FACEFORGE_TOKEN"],
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.load(reply)["data"]
    except urllib.error.HTTPError as error:
        return error.code, None

plugin_id = os.environ["FACEFORGE_PLUGIN_ID"]
while True:
    status, claimed = call("POST", "/v1/jobs/claim", {"job_types": [plugin_id + ".work"]})
    if claimed:
        break
    time.sleep(0.1)
job_id = claimed["job"]["job_id"]
completed, _ = call("POST", f"/v1/jobs/{job_id}/complete",
                    {"lease_token": claimed["lease_token"], "result": {"done": True}})
refused, _ = call("POST", "/v1/entities", {"display_name": "not allowed"})
report = {"plugin_id": plugin_id, "completed": completed, "write": refused, "cwd": os.getcwd()}
with open("report.json.tmp", "w") as handle:
    json.dump(report, handle)
os.replace("report.json.tmp", "report.json")
print("runner done", flush=True)
while True:
    time.sleep(1)
"""

IDLE_RUNNER = "import time\nprint('idle runner up', flush=True)\nwhile True:\n    time.sleep(1)\n"
STUBBORN_RUNNER = (
    "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ignoring SIGTERM', flush=True)\nwhile True:\n    time.sleep(1)\n"
)
FLOODING_RUNNER = (
    "import sys, time\nline = 'x' * 1023 + '\\n'\nfor _ in range(3 * 1024):\n"
    "    sys.stdout.write(line)\nsys.stdout.flush()\nprint('flood over', flush=True)\n"
    "while True:\n    time.sleep(1)\n"
)
# Starts a helper process that inherits its output and outlives it unless stopped, writes
# the helper's pid to helper.pid, then idles (or exits with 1 when given `exit`).
SPAWNING_RUNNER = """
import subprocess, sys, time
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open("helper.pid", "w") as handle:
    handle.write(str(helper.pid))
print("helper started", flush=True)
if sys.argv[1:] == ["exit"]:
    sys.exit(1)
while True:
    time.sleep(1)
"""


def install_runner(home: Path, plugin_id: str, source: str | None, **fields) -> Path:
    runner = {"command": ["python", "runner.py"]} if source is not None else fields.pop("runner")
    manifest = minimal_manifest(plugin_id, job_types=[f"{plugin_id}.work"], runner=runner)
    path = write_plugin(home, plugin_id, {**manifest, **fields})
    if source is not None:
        (path.parent / "runner.py").write_text(source, encoding="utf-8")
    return path.parent


def plugin(server, plugin_id: str) -> dict:
    items = server.client.get("/v1/plugins").data["items"]
    return next(item for item in items if item["plugin_id"] == plugin_id)


def runner_state(server, plugin_id: str, state: str, timeout: float = 30) -> dict:
    def reached():
        runner = plugin(server, plugin_id)["runner"]
        return runner if runner and runner["state"] == state else None

    return wait_until(reached, timeout)


def enable(server, plugin_id: str) -> dict:
    reply = server.client.post(f"/v1/plugins/{plugin_id}/enable")
    assert reply.status == 200, reply.body
    return reply.data


def test_a_runner_started_on_enable_does_its_job_with_its_scoped_key(server):
    folder = install_runner(server.home, "worker", CLAIMING_RUNNER, permissions=["read"])
    enable(server, "worker")
    job = server.client.post("/v1/jobs", {"job_type": "worker.work"}).data
    running = runner_state(server, "worker", "running")
    assert running["restarts"] == 0 and alive(running["pid"])

    report_path = folder / "report.json"
    wait_until(report_path.exists, 30)
    report = json.loads(report_path.read_text())
    assert report == {
        "plugin_id": "worker",
        "completed": 200,
        "write": 403,
        "cwd": str(folder.resolve()),
    }
    assert server.client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "succeeded"
    [key] = server.client.get("/v1/admin/tokens").data["items"]
    assert key["scopes"] == ["read", "runner:worker"]

    disabled = server.client.post("/v1/plugins/worker/disable").data
    assert disabled["runner"] is None
    assert not alive(running["pid"])
    assert server.client.get("/v1/admin/tokens").data["items"] == []
    log = server.client.get("/v1/plugins/worker/runner/log", query={"lines": 50}).data
    assert "runner done" in log["lines"]


def test_a_killed_runner_is_started_again_with_a_new_key(server):
    install_runner(server.home, "phoenix", IDLE_RUNNER)
    enable(server, "phoenix")
    first = runner_state(server, "phoenix", "running")
    [first_key] = server.client.get("/v1/admin/tokens").data["items"]
    os.kill(first["pid"], signal.SIGKILL)
    backoff = runner_state(server, "phoenix", "backoff", timeout=10)
    assert backoff["last_exit_code"] == -signal.SIGKILL and backoff["pid"] is None

    def restarted():
        runner = plugin(server, "phoenix")["runner"]
        return runner if runner["state"] == "running" and runner["restarts"] == 1 else None

    second = wait_until(restarted, timeout=10)
    assert second["pid"] != first["pid"] and alive(second["pid"])
    [second_key] = server.client.get("/v1/admin/tokens").data["items"]
    assert second_key["token_id"] != first_key["token_id"]


def test_a_command_that_cannot_start_or_exits_at_once_ends_failed_after_backoff(server):
    install_runner(server.home, "missing", None, runner={"command": ["no-such-program-ff"]})
    exiting = {"command": ["python", "-c", "raise SystemExit(3)"], "restart": "always"}
    install_runner(server.home, "quitter", None, runner=exiting)
    began = time.monotonic()
    enable(server, "missing")
    enable(server, "quitter")
    missing = runner_state(server, "missing", "failed", timeout=40)
    quitter = runner_state(server, "quitter", "failed", timeout=40)
    # four waits of 1 + 2 + 4 + 8 s between five quick exits: no busy loop
    assert time.monotonic() - began >= 15
    assert missing["restarts"] == quitter["restarts"] == 4
    assert missing["last_exit_code"] is None and quitter["last_exit_code"] == 3
    log = server.client.get("/v1/plugins/missing/runner/log").data["lines"]
    assert any("cannot start no-such-program-ff" in line for line in log)
    assert any("gave up after 5 quick exits" in line for line in log)

    restarted = server.client.post("/v1/plugins/quitter/restart")
    assert restarted.status == 200 and restarted.data["runner"]["restarts"] == 0


def test_a_runner_ignoring_sigterm_is_killed_after_five_seconds(server):
    install_runner(server.home, "stubborn", STUBBORN_RUNNER)
    enable(server, "stubborn")
    running = runner_state(server, "stubborn", "running")
    wait_until(lambda: "ignoring SIGTERM" in runner_log_text(server, "stubborn"))
    began = time.monotonic()
    server.client.post("/v1/plugins/stubborn/disable")
    assert 5 <= time.monotonic() - began < 9
    assert not alive(running["pid"])


def test_what_a_runner_started_is_stopped_with_it(server):
    folder = install_runner(server.home, "parent", SPAWNING_RUNNER)
    enable(server, "parent")
    running = runner_state(server, "parent", "running")
    wait_until(lambda: "helper started" in runner_log_text(server, "parent"))
    helper = int((folder / "helper.pid").read_text())
    began = time.monotonic()
    server.client.post("/v1/plugins/parent/disable")
    assert time.monotonic() - began < 5
    assert not alive(running["pid"])
    # The helper is no child of Core's: the kill signal is sent before the answer, but the
    # kernel ends a process that is not waited for a moment later (seen once in CI). Left
    # alone, it would sleep for ten minutes.
    wait_until(lambda: not alive(helper), timeout=2)


def test_a_runner_that_exits_leaving_a_process_holding_its_output_is_seen_to_exit(server):
    runner = {"command": ["python", "runner.py", "exit"]}
    folder = install_runner(server.home, "leaver", None, runner=runner)
    (folder / "runner.py").write_text(SPAWNING_RUNNER, encoding="utf-8")
    enable(server, "leaver")
    backoff = runner_state(server, "leaver", "backoff", timeout=15)
    assert backoff["last_exit_code"] == 1
    wait_until(lambda: not alive(int((folder / "helper.pid").read_text())), timeout=5)
    assert "helper started" in runner_log_text(server, "leaver")


def runner_log_text(server, plugin_id: str) -> str:
    return "\n".join(server.client.get(f"/v1/plugins/{plugin_id}/runner/log").data["lines"])


def test_runners_are_stopped_at_shutdown(start_server, tmp_path):
    home = tmp_path / "home"
    install_runner(home, "idle", IDLE_RUNNER)
    server = start_server(home)
    enable(server, "idle")
    pid = runner_state(server, "idle", "running")["pid"]
    server.close()
    assert not alive(pid)


def test_a_runner_left_by_a_killed_core_is_stopped_at_the_next_start(start_server, tmp_path):
    home = tmp_path / "home"
    install_runner(home, "idle", IDLE_RUNNER)
    core = ServerProcess(faceforge_command("serve", "--port", "0"), home)
    try:
        client = Client("127.0.0.1", core.port, install_token(home))
        assert client.post("/v1/plugins/idle/enable").status == 200

        def running_pid():
            items = client.get("/v1/plugins").data["items"]
            runner = items[0]["runner"]
            return runner["pid"] if runner and runner["state"] == "running" else None

        stray = wait_until(running_pid, 30)
    finally:
        core.process.kill()
        core.process.communicate()
    assert alive(stray), "a kill -9 of Core leaves its runner running"
    server = start_server(home)
    wait_until(lambda: not alive(stray), 10)
    assert runner_state(server, "idle", "running")["pid"] != stray
    [key] = server.client.get("/v1/admin/tokens").data["items"]
    assert key["name"] == "runner idle", "the dead Core's key was replaced"


def test_runner_output_goes_to_a_rotating_log(server):
    install_runner(server.home, "flood", FLOODING_RUNNER)
    enable(server, "flood")
    wait_until(lambda: "flood over" in runner_log_text(server, "flood"), 60)
    logs = sorted(p.name for p in (server.config.home.logs_dir / "plugins").iterdir())
    assert logs == ["flood.log", "flood.log.1", "flood.log.2"]
    for name in logs:
        assert (server.config.home.logs_dir / "plugins" / name).stat().st_size <= 2**20
    tail = server.client.get("/v1/plugins/flood/runner/log", query={"lines": 20}).data["lines"]
    assert len(tail) == 20 and tail[-1] == "flood over"


@pytest.mark.parametrize(
    ("runner", "error"),
    [
        ("python runner.py", "runner must be an object"),
        ({"command": []}, "runner.command must be a non-empty list of non-empty strings"),
        ({"command": ["python", ""]}, "runner.command must be a non-empty list"),
        ({"command": ["python"], "restart": "never"}, "runner.restart must be on-failure or"),
        ({"command": ["python"], "cwd": "/"}, "runner has unknown keys: cwd"),
    ],
)
def test_a_bad_runner_is_listed_with_its_error(server, runner, error):
    install_runner(server.home, "broken", None, runner=runner)
    assert plugin(server, "broken")["error"].startswith(error)
    assert server.client.post("/v1/plugins/broken/enable").status == 409


def test_restart_needs_an_enabled_plugin_with_a_runner(server):
    install_runner(server.home, "idle", IDLE_RUNNER)
    assert server.client.post("/v1/plugins/idle/restart").status == 409
    assert server.client.post("/v1/plugins/nothing/restart").status == 404
    assert server.client.get("/v1/plugins/idle/runner/log").data["lines"] == []
