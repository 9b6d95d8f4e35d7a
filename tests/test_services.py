"""The services a running Core holds: built completely by the runtime, which starts every
thread and child process; `create_app` only builds routes; one close stops everything; and
the job queue sits below the job types it runs."""

import os
import subprocess
import sys
import threading

from faceforge import runtime
from faceforge.server import Server
from faceforge.web import create_app
from tests.assets_support import child_processes, settled, upload
from tests.conftest import require_tool
from tests.support import REPO_ROOT, Client

WORKER_THREAD_PREFIXES = ("exiftool-", "faceforge-job-worker-")


def worker_threads() -> set[str]:
    return {
        thread.name
        for thread in threading.enumerate()
        if thread.name.startswith(WORKER_THREAD_PREFIXES)
    }


def exiftool_processes() -> list[int]:
    return child_processes(os.getpid(), b"-stay_open")


def test_create_app_starts_nothing_and_serves_the_running_services(home):
    require_tool("exiftool")
    services = runtime.build_services(runtime.prepare(home, {}))
    try:
        threads = worker_threads()
        assert any(name.startswith("exiftool-") for name in threads)
        assert any(name.startswith("faceforge-job-worker-") for name in threads)
        apps = [create_app(services), create_app(services)]
        assert worker_threads() == threads
        server = Server(apps[1], "127.0.0.1", 0, services.config)
        serving = threading.Thread(target=server.serve, daemon=True)
        serving.start()
        try:
            client = Client("127.0.0.1", server.port, services.config["auth.install_token"])
            asset = upload(client, b"served by the second app", "s.txt").data
            download = client.get(f"/v1/assets/{asset['asset_id']}/download")
            assert download.body == b"served by the second app"
        finally:
            server.stop()
            serving.join(timeout=10)
    finally:
        services.close()


def test_one_close_stops_every_worker_thread_and_exiftool_process(start_server):
    require_tool("exiftool")
    server = start_server()
    asset = upload(server.client, b"for ExifTool to read", "e.png").data
    assert settled(server, asset["asset_id"])["metadata_status"] != "pending"
    assert worker_threads() and exiftool_processes()
    server.services.close()
    assert worker_threads() == set()
    assert exiftool_processes() == []
    server.services.close()  # a second close has nothing left to do


def test_the_job_queue_imports_no_job_type():
    """The runtime registers built-in job types with the queue; importing the queue and its
    worker pool loads no asset code."""
    program = (
        "import sys, faceforge.jobs.queue, faceforge.jobs.workers, faceforge.jobs.runner_protocol;"
        " print(sorted(m for m in sys.modules if m.startswith('faceforge.assets')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
