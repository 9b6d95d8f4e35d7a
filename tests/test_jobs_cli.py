"""`python faceforge.py import DIR`: in-process when no server runs, submitted to the server
when one does; progress with files/s and ETA; Ctrl-C cancels; one-line errors."""

import os
import signal
import subprocess

from tests.bulk_import_support import make_tree
from tests.support import REPO_ROOT, ServerProcess, faceforge_command, run_cli


def jobs_in(server) -> list[dict]:
    return server.client.get("/v1/jobs").data["items"]


def test_import_without_a_server_runs_in_process(start_server, home, tmp_path):
    root = make_tree(tmp_path / "photos")
    completed = run_cli("import", str(root), "--kind", "photo", home=home)
    assert completed.returncode == 0, completed.stderr  # a broken sidecar fails no file
    assert completed.stdout == "Imported 7, already imported 1, errors 0, warnings 1\n"
    assert "in this process" in completed.stderr
    assert (
        "Sidecar left out: broken.gif (broken.gif_meta.json: _meta.json must be valid JSON)"
        in completed.stderr.splitlines()
    )
    last_progress = [line for line in completed.stderr.splitlines() if "files/s" in line][-1]
    assert "100% 16/16 files" in last_progress
    assert "ETA" in last_progress
    server = start_server(home)
    [job] = jobs_in(server)
    assert job["status"] == "succeeded"
    assert job["input"]["kind"] == "photo"
    assert server.client.get("/v1/assets", query={"kind": "photo"}).data["total"] == 7


def test_import_with_a_running_server_submits_the_job_to_it(home, tmp_path):
    root = make_tree(tmp_path / "photos")
    process = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        completed = run_cli("import", str(root), home=home)
        assert "in the running server" in completed.stderr
        assert completed.stdout == "Imported 7, already imported 1, errors 0, warnings 1\n"
        again = run_cli("import", str(root), "--no-recursive", home=home)
        assert again.stdout == "Imported 0, already imported 6, errors 0, warnings 1\n"
    finally:
        process.terminate()


def test_ctrl_c_cancels_the_import(start_server, home, tmp_path):
    root = make_tree(tmp_path / "photos")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    command = faceforge_command("import", str(root), "--throttle-ms", "60000")
    cli = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**env, "FACEFORGE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert cli.stderr.readline().startswith("Importing")  # the job is running by now
    cli.send_signal(signal.SIGINT)
    _, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 130, stderr
    assert "Import canceled" in stderr
    [job] = jobs_in(start_server(home))
    assert job["status"] == "canceled"


def test_a_bad_folder_is_one_line_and_exit_1(home, tmp_path):
    completed = run_cli("import", str(tmp_path / "missing"), home=home)
    assert completed.returncode == 1
    assert completed.stderr == f"faceforge: path: {tmp_path / 'missing'} does not exist\n"
