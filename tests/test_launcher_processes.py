"""Core as the launcher's child process: start, health, stop, crash restarts with a cap, and
attaching to a Core that is already running. Real processes, no display."""

import json
import signal
import socket
import sys
import time

import pytest
from faceforge.desktop import processes
from faceforge.desktop.controller import Controller
from faceforge.desktop.ports import pick_free_port
from faceforge.desktop.processes import (
    FAILED,
    RESTARTING,
    RUNNING,
    STOPPED,
    CoreSupervisor,
    RestartPolicy,
    SupervisorError,
)
from faceforge.desktop.settings import merge_into_core_json

from faceforge.client import CoreClient, find_running
from tests.support import REPO_ROOT, install_token, wait_until


def until_state(supervisor: CoreSupervisor, state: str, timeout: float = 20.0):
    return wait_until(lambda: supervisor.check().state == state or None, timeout)


def failing_command(exit_code: int):
    def command(root, port):
        return [sys.executable, "-c", f"print('boom {exit_code}'); raise SystemExit({exit_code})"]

    return command


def deaf_command(root, port):
    """A stand-in for Core that neither serves nor reads stop requests."""
    return [sys.executable, "-c", "import time; print('deaf', flush=True); time.sleep(60)"]


FAST = RestartPolicy(max_restarts=3, first_delay=0.01, max_delay=0.05)


@pytest.fixture
def supervisor(home):
    started = CoreSupervisor(home)
    yield started
    if started.process is not None:
        started.stop()


def test_core_command_runs_this_checkout_with_this_interpreter(home):
    command = processes.core_command(home, 8787)
    assert command == [
        sys.executable,
        str(REPO_ROOT / "faceforge.py"),
        "serve",
        "--home",
        str(home),
        "--port",
        "8787",
    ]


def test_started_core_answers_healthz_and_stop_ends_it(supervisor, home):
    port = pick_free_port(20100)
    supervisor.start(port)
    until_state(supervisor, RUNNING)
    status = supervisor.status
    assert status.healthy and not status.attached and status.port == port
    assert (home / "config" / "core.pid").read_text() == f"{status.pid}\n"
    child = supervisor.process
    console = (home / "logs" / "core-console.log").read_text()
    assert f"FaceForge listening on http://127.0.0.1:{port}" in console
    stopped = supervisor.stop()
    assert stopped.state == STOPPED
    assert child.returncode == 0, "the stop request stops Core cleanly"
    assert "stopping: the launcher asked" in (home / "logs" / "core.log").read_text()
    assert not (home / "config" / "core.pid").exists()
    assert not CoreClient(f"http://127.0.0.1:{port}").healthy()


def test_without_a_writable_tmp_folder_the_child_is_sent_sigterm_at_once(home):
    """The stop request cannot be written (tmp/ is a file here), so the launcher does not
    wait for an answer that cannot come: it terminates the child straight away."""
    (home / "tmp").parent.mkdir(parents=True)
    (home / "tmp").write_text("not a folder")
    supervisor = CoreSupervisor(home, command=deaf_command)
    supervisor.start(pick_free_port(20160))
    child = supervisor.process
    started = time.monotonic()
    assert supervisor.stop(timeout=20).state == STOPPED
    assert time.monotonic() - started < 10
    assert child.returncode == -signal.SIGTERM


def test_a_child_that_does_not_stop_when_asked_is_killed_after_the_timeout(home):
    supervisor = CoreSupervisor(home, command=deaf_command)
    supervisor.start(pick_free_port(20150))
    child = supervisor.process
    started = time.monotonic()
    assert supervisor.stop(timeout=1).state == STOPPED
    assert 1 <= time.monotonic() - started < 10
    assert child.returncode == -signal.SIGKILL


def test_a_crashing_core_is_restarted_with_backoff_until_the_cap(home):
    supervisor = CoreSupervisor(home, policy=FAST, command=failing_command(3))
    supervisor.start(pick_free_port(20200))
    seen = []
    wait_until(lambda: seen.append(supervisor.check()) or seen[-1].state == FAILED)
    restarting = [status for status in seen if status.state == RESTARTING]
    assert [status.restarts for status in restarting if status.restart_in is not None][:1] == [1]
    assert max(status.restarts for status in restarting) == 3
    console = (home / "logs" / "core-console.log").read_text()
    assert console.count("boom 3") == 4, "the first start and three restarts, then no more"
    assert supervisor.status.message == (
        "Core stopped 4 times in a row and was not started again: exit code 3, last output: boom 3"
    )
    assert supervisor.check().state == FAILED, "it stays given up"
    assert console.count("boom 3") == 4
    assert not (home / "config" / "core.pid").exists()


def settled_count(log, text: str) -> int:
    """How often `text` is in the log once two reads 0.5 s apart agree."""
    previous = -1
    while (current := log.read_text().count(text)) != previous:
        previous = current
        time.sleep(0.5)
    return current


def test_a_running_core_is_asked_for_its_health_only_every_interval(supervisor, home):
    ticks = [0.0]
    supervisor.clock = lambda: ticks[0]
    supervisor.start(pick_free_port(20700))
    until_state(supervisor, RUNNING)
    log = home / "logs" / "core.log"
    # Core writes access-log lines from a thread of its own: wait until the start-up health
    # checks have landed before taking the baseline.
    healthz_lines = settled_count(log, "GET /healthz")
    for _ in range(5):
        supervisor.check()
    assert settled_count(log, "GET /healthz") == healthz_lines
    ticks[0] += processes.HEALTH_INTERVAL
    supervisor.check()
    assert wait_until(lambda: log.read_text().count("GET /healthz") == healthz_lines + 1)


def test_a_killed_core_is_restarted_and_says_so_once_it_answers_again(supervisor):
    supervisor.policy = RestartPolicy(first_delay=0.01)
    supervisor.start(pick_free_port(20900))
    until_state(supervisor, RUNNING)
    first = supervisor.process
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert supervisor.check().message == "Core stopped: killed by signal 9"
    until_state(supervisor, RUNNING)
    assert supervisor.process.pid != first.pid
    assert supervisor.status.message == "Restarted after a crash (killed by signal 9)"
    assert supervisor.status.restarts == 1


def test_restart_delays_double_up_to_the_maximum():
    policy = RestartPolicy(first_delay=1.0, max_delay=10.0)
    assert [policy.delay(number) for number in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_a_core_that_exits_cleanly_was_stopped_on_purpose_and_is_not_restarted(home):
    supervisor = CoreSupervisor(home, policy=FAST, command=failing_command(0))
    supervisor.start(pick_free_port(20300))
    until_state(supervisor, STOPPED)
    assert supervisor.status.message == "Core was stopped outside the launcher"
    assert (home / "logs" / "core-console.log").read_text().count("boom 0") == 1


def test_a_person_starting_again_after_the_cap_gets_a_fresh_count(home):
    supervisor = CoreSupervisor(home, policy=FAST, command=failing_command(2))
    supervisor.start(pick_free_port(20400))
    until_state(supervisor, FAILED)
    assert supervisor.start(pick_free_port(20400)).restarts == 0
    until_state(supervisor, FAILED)
    assert (home / "logs" / "core-console.log").read_text().count("boom 2") == 8


def test_starting_on_a_port_another_program_uses_is_refused_with_advice(supervisor):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with pytest.raises(SupervisorError, match=f"Port {taken} is used by another program"):
            supervisor.start(taken)
    assert supervisor.process is None


def test_a_later_launcher_attaches_to_the_running_core_and_can_stop_it(home):
    first = CoreSupervisor(home)
    port = pick_free_port(20500)
    first.start(port)
    until_state(first, RUNNING)
    child = first.process
    first.detach()
    assert child.poll() is None, "kept running in the background"

    found = find_running(home, "127.0.0.1", install_token(home))
    assert found is not None and found.port == port
    second = CoreSupervisor(home)
    second.attach(found.port)
    status = second.check()
    assert (status.state, status.healthy, status.attached) == (RUNNING, True, True)
    assert second.stop().state == STOPPED
    assert child.wait(10) == 0
    assert "stopping: the launcher asked" in (home / "logs" / "core.log").read_text()
    assert not found.healthy()
    assert find_running(home, "127.0.0.1", install_token(home)) is None


def test_an_attached_core_that_goes_away_is_shown_as_stopped(home, start_server):
    live = start_server(home)
    (home / "config" / "ports.json").write_text(json.dumps({"core": live.port}))
    supervisor = CoreSupervisor(home, health_interval=0)
    supervisor.attach(find_running(home, "127.0.0.1", live.token).port)
    assert supervisor.check().healthy
    live.close()
    until_state(supervisor, STOPPED)
    assert supervisor.status.message == "Core stopped"


def test_a_core_started_outside_the_launcher_is_attached_but_not_stopped(home, start_server):
    live = start_server(home)
    (home / "config" / "ports.json").write_text(json.dumps({"core": live.port}))
    supervisor = CoreSupervisor(home)
    supervisor.attach(live.port)
    with pytest.raises(SupervisorError, match="not started by the launcher"):
        supervisor.stop()
    assert live.client.get("/healthz").status == 200


def test_find_running_ignores_stale_ports_and_cores_of_other_homes(home, start_server, tmp_path):
    merge_into_core_json(home, {"network.core_port": 8787})
    assert find_running(home, "127.0.0.1", "t") is None, "no ports.json yet"
    (home / "config" / "ports.json").write_text(json.dumps({"core": pick_free_port(20600)}))
    assert find_running(home, "127.0.0.1", "t") is None, "nothing listens there"
    other = start_server(tmp_path / "other-home")
    (home / "config" / "ports.json").write_text(json.dumps({"core": other.port}))
    assert find_running(home, "127.0.0.1", "t") is None, "our token does not open it"
    assert find_running(home, "127.0.0.1", other.token) is None, "it serves another home"
    assert find_running(other.home, "127.0.0.1", other.token) is None, "no ports.json there"


def test_the_controller_runs_commands_in_the_background_and_reports_refusals(home):
    supervisor = CoreSupervisor(home, policy=FAST, command=failing_command(0))
    controller = Controller(supervisor, interval=0.05)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        controller.submit("start", taken)
        message = wait_until(lambda: not controller.errors.empty() and controller.errors.get())
    assert message.startswith(f"Port {taken} is used by another program")
    controller.submit("start", pick_free_port(20800))
    wait_until(lambda: controller.status.message == "Core was stopped outside the launcher")
    assert "boom 0" in (home / "logs" / "core-console.log").read_text()
    controller.close(keep_running=False)
    assert not controller._thread.is_alive()
