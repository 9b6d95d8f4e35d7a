"""The launcher's logic without a display: core.json merging, launcher.json, port picking and
log tailing. (Processes and attaching: test_launcher_processes.py; the window:
test_launcher_gui.py.)"""

import json
import os
import socket
from pathlib import Path

import pytest
from faceforge.desktop import settings
from faceforge.desktop.logtail import LogTail, last_line
from faceforge.desktop.ports import pick_free_port, port_is_free
from faceforge.desktop.settings import LauncherChoices, changes_for, merge_into_core_json

from faceforge import config as core_config


def core_json(root: Path) -> Path:
    return root / "config" / "core.json"


def write_json(path: Path, document) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


# core.json merging


def test_merge_changes_only_the_given_keys_and_keeps_everything_the_user_wrote(tmp_path):
    hand_written = {
        "network": {"core_port": 9000, "allowed_hosts": ["nas.lan"]},
        "my_notes": "keep me",
        "jobs": {"workers": 4, "from_a_newer_version": {"x": 1}},
        "auth": {"install_token": "secret-token"},
    }
    write_json(core_json(tmp_path), hand_written)
    merge_into_core_json(tmp_path, {"network.core_port": 9100, "seaweed.enabled": True})
    expected = json.loads(json.dumps(hand_written))
    expected["network"]["core_port"] = 9100
    expected["seaweed"] = {"enabled": True}
    assert read_json(core_json(tmp_path)) == expected
    assert list(read_json(core_json(tmp_path))) == [
        "network",
        "my_notes",
        "jobs",
        "auth",
        "seaweed",
    ]


def test_merge_into_a_new_data_folder_writes_every_default_that_core_then_accepts(tmp_path):
    merge_into_core_json(tmp_path, {"network.core_port": 9200})
    written = read_json(core_json(tmp_path))
    expected = core_config.default_document()
    expected["network"]["core_port"] = 9200
    assert written == expected
    assert os.stat(core_json(tmp_path)).st_mode & 0o777 == 0o600
    loaded = core_config.load(tmp_path, {})
    assert loaded["network.core_port"] == 9200
    assert loaded["auth.install_token"], "Core adds its secrets on first start"
    assert read_json(core_json(tmp_path))["network"]["core_port"] == 9200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"network.core_port": 70000}, "network.core_port must be between 0 and 65535"),
        ({"seaweed.enabled": "yes"}, "seaweed.enabled must be true or false"),
        ({"network.no_such_key": 1}, "network.no_such_key is not a setting"),
    ],
)
def test_merge_refuses_a_value_core_would_refuse_and_writes_nothing(tmp_path, changes, message):
    write_json(core_json(tmp_path), {"network": {"core_port": 9000}})
    before = core_json(tmp_path).read_bytes()
    with pytest.raises(core_config.ConfigError, match=message):
        merge_into_core_json(tmp_path, {"seaweed.s3_port": 9333, **changes})
    assert core_json(tmp_path).read_bytes() == before


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"network": 5}'])
def test_merge_never_overwrites_a_broken_core_json(tmp_path, content):
    core_json(tmp_path).parent.mkdir(parents=True)
    core_json(tmp_path).write_text(content, encoding="utf-8")
    with pytest.raises(core_config.ConfigError):
        merge_into_core_json(tmp_path, {"network.core_port": 9100})
    assert core_json(tmp_path).read_text(encoding="utf-8") == content


def test_choices_write_only_the_keys_whose_value_changed(tmp_path):
    write_json(core_json(tmp_path), {"network": {"core_port": 9000}})
    current = settings.read_settings(tmp_path, {})
    unchanged = LauncherChoices.of(current)
    assert changes_for(unchanged, current) == {}
    moved = LauncherChoices(core_port=9001, s3_enabled=False, s3_port=8333)
    assert changes_for(moved, current) == {"network.core_port": 9001}


def test_turning_on_the_managed_s3_makes_it_the_storage_for_new_files(tmp_path):
    current = settings.read_settings(tmp_path, {})
    with_s3 = LauncherChoices(core_port=8787, s3_enabled=True, s3_port=9444)
    assert changes_for(with_s3, current) == {
        "seaweed.enabled": True,
        "seaweed.s3_port": 9444,
        "network.seaweed_s3_port": 9444,
        "storage.s3.enabled": True,
        "storage.routing.default_provider": "s3",
    }


def test_a_remote_s3_endpoint_set_by_hand_is_left_alone(tmp_path):
    remote = {"enabled": True, "endpoint_url": "https://s3.example.com"}
    write_json(core_json(tmp_path), {"storage": {"s3": remote}})
    current = settings.read_settings(tmp_path, {})
    off = LauncherChoices(core_port=8787, s3_enabled=False, s3_port=8333)
    assert changes_for(off, current) == {}
    on = LauncherChoices(core_port=8787, s3_enabled=True, s3_port=8333)
    assert changes_for(on, current) == {"seaweed.enabled": True}


def test_a_new_data_folder_gets_every_launcher_key(tmp_path):
    choices = LauncherChoices(core_port=8800, s3_enabled=False, s3_port=8333)
    assert changes_for(choices, None) == {
        "network.core_port": 8800,
        "seaweed.enabled": False,
        "seaweed.s3_port": 8333,
        "network.seaweed_s3_port": 8333,
        "storage.s3.enabled": False,
        "storage.routing.default_provider": "fs",
    }


# launcher.json


def test_launcher_state_lives_in_the_per_user_config_folder():
    environ = {"XDG_CONFIG_HOME": "/cfg", "APPDATA": "C:/Roaming"}
    assert settings.state_path(environ, "linux") == Path("/cfg/faceforge/launcher.json")
    assert settings.state_path(environ, "win32") == Path("C:/Roaming/FaceForge/launcher.json")
    mac = settings.state_path(environ, "darwin")
    assert mac == Path.home() / "Library/Preferences/FaceForge/launcher.json"


def test_remembering_the_data_folder_keeps_other_launcher_keys(tmp_path):
    state = tmp_path / "cfg" / "launcher.json"
    assert settings.remembered_home(state) is None
    write_json(state, {"window": "wide"})
    settings.remember_home(state, tmp_path / "data")
    assert read_json(state) == {"window": "wide", "home": str(tmp_path / "data")}
    assert settings.remembered_home(state) == tmp_path / "data"


def test_a_damaged_launcher_json_means_no_remembered_folder(tmp_path):
    state = tmp_path / "launcher.json"
    state.write_text("{oops", encoding="utf-8")
    assert settings.remembered_home(state) is None


# ports


def test_a_port_in_use_is_not_free_and_picking_skips_it():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert not port_is_free(taken)
        picked = pick_free_port(taken)
        assert picked != taken
        assert port_is_free(picked)
    assert port_is_free(taken)


def test_picking_prefers_the_given_port_when_it_is_free():
    free = pick_free_port(20000)
    assert pick_free_port(free) == free


# log tail


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def followed_log(tmp_path, content: bytes) -> tuple[Path, LogTail]:
    log = tmp_path / "core.log"
    log.write_bytes(content)
    return log, LogTail(log)


def test_first_look_reads_only_the_end_of_a_big_log(tmp_path):
    log = tmp_path / "core.log"
    log.write_bytes(b"".join(b"line %06d\n" % number for number in range(100_000)))
    tail = LogTail(log, first_look_bytes=1000)
    lines = tail.read_new_lines()
    assert tail.bytes_read == 1000
    assert lines[-1] == "line 099999"
    assert all(line.startswith("line ") and len(line) == 11 for line in lines), "no fragment"


def test_each_later_look_reads_only_the_bytes_added_since(tmp_path):
    log, tail = followed_log(tmp_path, b"x" * 500_000 + b"\n")
    tail.read_new_lines()
    read_so_far = tail.bytes_read
    assert tail.read_new_lines() == []
    assert tail.bytes_read == read_so_far
    append(log, b"first new line\nsecond new line\n")
    assert tail.read_new_lines() == ["first new line", "second new line"]
    assert tail.bytes_read == read_so_far + len(b"first new line\nsecond new line\n")


def test_a_line_still_being_written_waits_until_it_is_complete(tmp_path):
    log, tail = followed_log(tmp_path, b"")
    append(log, b"half a li")
    assert tail.read_new_lines() == []
    append(log, b"ne\r\nnext")
    assert tail.read_new_lines() == ["half a line"]


def test_after_rotation_the_rest_of_the_old_file_comes_first_then_the_new_file(tmp_path):
    log, tail = followed_log(tmp_path, b"old 1\n")
    assert tail.read_new_lines() == ["old 1"]
    append(log, b"old 2\n")
    os.replace(log, tmp_path / "core.log.1")
    log.write_bytes(b"new 1\n")
    assert tail.read_new_lines() == ["old 2", "new 1"]
    append(log, b"new 2\n")
    assert tail.read_new_lines() == ["new 2"]


def test_a_truncated_log_is_read_again_from_its_start(tmp_path):
    log, tail = followed_log(tmp_path, b"a long first line\n")
    tail.read_new_lines()
    log.write_bytes(b"short\n")
    assert tail.read_new_lines() == ["short"]


def test_a_missing_log_is_empty_until_it_appears(tmp_path):
    log = tmp_path / "seaweed.log"
    tail = LogTail(log)
    assert tail.read_new_lines() == []
    log.write_bytes(b"started\n")
    assert tail.read_new_lines() == ["started"]


def test_last_line_is_the_last_non_empty_line(tmp_path):
    log = tmp_path / "core-console.log"
    assert last_line(log) == ""
    log.write_bytes(b"FaceForge listening on http://127.0.0.1:1\nfaceforge: port in use\n\n")
    assert last_line(log) == "faceforge: port in use"
