"""`python faceforge.py` started and stopped under requests: no tracebacks at start-up, and a
stop (SIGTERM, or the launcher's stop request) answers every request it saved (API.md §8
Graceful stop)."""

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from faceforge import stop_request
from tests.support import ServerProcess, faceforge_command, install_token

START_STOP_CYCLES = 50
PARALLEL_CYCLES = 4
LOAD_THREADS = 8
UPLOAD_BYTES = 4 * 2**20
LOAD_SECONDS = 1.0
STOP_SECONDS = 12
# A stop lands while a write is under way in about one round in two; three rounds make a
# stop that loses replies fail this test nearly always.
STOP_ROUNDS = 3


def start_core(home) -> ServerProcess:
    process = ServerProcess(faceforge_command("--home", str(home), "--port", "0"), home)
    assert process.first_line.startswith("FaceForge listening on"), process.first_line
    return process


def ask(port: int, path: str) -> None:
    """One request on a connection of its own; a refused or dropped one is fine here."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        pass
    finally:
        connection.close()


def start_answer_and_stop(home) -> tuple[int, str, str]:
    """Start Core, ask it a few things the moment it listens and SIGTERM it while they are
    under way: (exit code, stderr, core.log)."""
    process = start_core(home)
    askers = [
        threading.Thread(target=ask, args=(process.port, path))
        for path in ("/healthz", "/v1/ping", "/healthz")
    ]
    for asker in askers:
        asker.start()
    code, stderr = process.stop()
    for asker in askers:
        asker.join()
    return code, stderr, (home / "logs" / "core.log").read_text(encoding="utf-8")


def test_fifty_starts_with_requests_at_once_log_no_traceback(tmp_path):
    homes = [tmp_path / f"home{number}" for number in range(START_STOP_CYCLES)]
    with ThreadPoolExecutor(PARALLEL_CYCLES) as pool:
        outcomes = list(pool.map(start_answer_and_stop, homes))
    for home, (code, stderr, log) in zip(homes, outcomes, strict=True):
        assert code == 0, (home, stderr)
        assert "Traceback" not in stderr, (home, stderr)
        assert "Traceback" not in log, (home, log)


@dataclass
class Ledger:
    """What the load threads sent and which of those requests got their answer."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: set = field(default_factory=set)
    answered: set = field(default_factory=set)
    refused: list = field(default_factory=list)

    def note(self, into: set, key: tuple) -> None:
        with self.lock:
            into.add(key)


def load_request(thread: int, number: int) -> tuple[tuple, str, str, bytes, dict]:
    """Every other request an upload of 4 MiB of its own bytes, else an entity create: (what
    the database will hold once it is saved, method, path, body, headers)."""
    name = f"t{thread}-n{number}"
    if number % 2:
        body = json.dumps({"display_name": name}).encode()
        return ("entity", name), "POST", "/v1/entities", body, {"Content-Type": "application/json"}
    filename = f"{name}.bin"
    body = name.encode().ljust(UPLOAD_BYTES, b".")
    headers = {"Content-Type": "application/octet-stream"}
    return ("asset", filename), "POST", f"/v1/assets/upload?filename={filename}", body, headers


def keep_writing(port: int, token: str, thread: int, ledger: Ledger, until: threading.Event):
    """Requests one after another on a kept-alive connection, a new one after a failure."""
    connection = None
    number = 0
    while not until.is_set():
        number += 1
        key, method, path, body, headers = load_request(thread, number)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ledger.note(ledger.sent, key)
        try:
            connection.request(
                method, path, body=body, headers={"X-FaceForge-Token": token, **headers}
            )
            reply = connection.getresponse()
            reply.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = None
            time.sleep(0.01)
            continue
        if reply.status == 200:
            ledger.note(ledger.answered, key)
        else:
            ledger.note(ledger.refused, (key, reply.status))
    if connection is not None:
        connection.close()


def saved_keys(home) -> set:
    """Every asset filename and entity name in the database, read through a restarted Core."""
    process = start_core(home)
    token = install_token(home)
    try:
        saved = {
            ("asset", item["filename"]) for item in all_items(process.port, token, "/v1/assets")
        }
        saved |= {
            ("entity", item["display_name"])
            for item in all_items(process.port, token, "/v1/entities")
        }
    finally:
        assert process.terminate() == 0
    return saved


def all_items(port: int, token: str, path: str) -> list:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    items, cursor = [], ""
    try:
        while True:
            connection.request(
                "GET", f"{path}?limit=200&cursor={cursor}", headers={"X-FaceForge-Token": token}
            )
            page = json.loads(connection.getresponse().read())["data"]
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
    finally:
        connection.close()


def stop_by(process: ServerProcess, home, how: str) -> tuple[int, str]:
    if how == "SIGTERM":
        return process.stop(timeout=STOP_SECONDS + 5)
    stop_request.ask(home / "tmp", process.process.pid)
    return process.ended(timeout=STOP_SECONDS + 5)


@pytest.mark.parametrize("how", ["SIGTERM", "stop request"])
@pytest.mark.parametrize("round_number", range(STOP_ROUNDS))
def test_a_stop_under_load_answers_every_write_it_saved(home, round_number, how):
    process = start_core(home)
    token = install_token(home)
    ledger, until = Ledger(), threading.Event()
    writers = [
        threading.Thread(target=keep_writing, args=(process.port, token, number, ledger, until))
        for number in range(LOAD_THREADS)
    ]
    for writer in writers:
        writer.start()
    try:
        time.sleep(LOAD_SECONDS)
        stopping_at = time.monotonic()
        code, stderr = stop_by(process, home, how)
        stopped_after = time.monotonic() - stopping_at
    finally:
        until.set()
        for writer in writers:
            writer.join()
    assert code == 0, stderr
    assert stopped_after < STOP_SECONDS
    assert ledger.refused == []
    assert len(ledger.answered) > LOAD_THREADS, "the load ran"
    saved = saved_keys(home)
    assert saved <= ledger.sent
    assert saved - ledger.answered == set(), "saved without an answer to its client"
    assert ledger.answered - saved == set(), "answered but not saved"


def test_a_stop_request_for_another_process_is_left_alone(home):
    process = start_core(home)
    request = stop_request.ask(home / "tmp", process.process.pid + 1)
    try:
        time.sleep(stop_request.CHECK_SECONDS * 3)
        assert process.process.poll() is None
        assert request.read_text() == f"{process.process.pid + 1}\n"
    finally:
        assert process.terminate() == 0
