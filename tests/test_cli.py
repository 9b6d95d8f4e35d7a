"""`python faceforge.py` as a user runs it: start line, ports.json, clean stop, failures."""

import json
import signal
import socket

from faceforge import __version__
from tests.support import Client, ServerProcess, faceforge_command, install_token, run_cli


def test_serve_prints_one_line_answers_and_stops_cleanly_on_sigterm(home):
    process = ServerProcess(faceforge_command("--port", "0"), home)
    assert process.first_line.startswith("FaceForge listening on http://127.0.0.1:")
    client = Client("127.0.0.1", process.port)
    assert client.get("/healthz").json() == {"status": "ok"}
    token = install_token(home)
    assert Client("127.0.0.1", process.port, token).get("/v1/ping").data == {"pong": True}
    ports = json.loads((home / "config" / "ports.json").read_text())
    assert ports == {"core": process.port, "seaweed_s3": 8333}
    assert process.terminate() == 0
    assert process.process.stdout is not None


def test_sigint_also_stops_with_exit_0(home):
    process = ServerProcess(faceforge_command("serve", "--port", "0"), home)
    assert process.first_line.startswith("FaceForge listening on")
    process.process.send_signal(signal.SIGINT)
    assert process.process.wait(timeout=10) == 0
    assert process.process.stdout.read() == "", "exactly one line on stdout"
    process.process.stdout.close()
    process.process.stderr.close()


def test_port_in_use_is_one_line_and_exit_1(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = run_cli("--port", str(port), home=home)
    assert completed.returncode == 1
    assert completed.stderr.strip() == f"faceforge: port {port} on 127.0.0.1 is already in use"


def test_remembered_port_from_ports_json_is_used(home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    (home / "config").mkdir(parents=True)
    (home / "config" / "ports.json").write_text(json.dumps({"core": free_port}))
    process = ServerProcess(faceforge_command(), home)
    assert process.port == free_port
    assert process.terminate() == 0


def test_environment_port_wins_over_ports_json(home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "ports.json").write_text(json.dumps({"core": 1}))
    process = ServerProcess(faceforge_command(), home, env_extra={"FACEFORGE_PORT": "0"})
    assert process.first_line.startswith("FaceForge listening on")
    assert process.terminate() == 0


def test_version_token_and_migrate_commands(home):
    assert run_cli("version", home=home).stdout.strip() == __version__
    migrated = run_cli("migrate", home=home)
    assert migrated.returncode == 0
    assert "up to date" in migrated.stdout
    token = run_cli("token", home=home).stdout.strip()
    assert len(token) >= 40


def test_bad_port_argument_is_a_usage_error(home):
    completed = run_cli("--port", "70000", home=home)
    assert completed.returncode == 2
    assert "must be between 0 and 65535" in completed.stderr
