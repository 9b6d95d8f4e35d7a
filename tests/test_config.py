"""API.md §8: core.json defaults, checks, secrets, environment and the home layout."""

import json
import stat

import pytest

from faceforge import config as settings
from faceforge.config import SETTINGS, ConfigError
from faceforge.home import resolve_root
from faceforge.runtime import prepare
from tests.support import run_cli, write_core_json

HOME_FOLDERS = {
    "db",
    "assets",
    "s3",
    "logs",
    "config",
    "tools",
    "plugins",
    "tmp",
    "uploads",
    "backups",
}


def test_first_start_writes_every_default_and_generated_secrets_with_mode_0600(home):
    config = prepare(home, {})
    path = home / "config" / "core.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = settings.flatten(json.loads(path.read_text()))
    assert set(written) == {s.key for s in SETTINGS}
    assert len(config["auth.install_token"]) >= 40
    assert len(config["auth.url_signing_key"]) >= 40
    assert config["auth.install_token"] != config["auth.url_signing_key"]
    assert config["network.core_port"] == 8787
    assert config["limits.max_upload_bytes"] == 2**40
    assert {p.name for p in home.iterdir()} == HOME_FOLDERS


def test_token_is_stable_across_restarts(home):
    first = prepare(home, {})["auth.install_token"]
    assert prepare(home, {})["auth.install_token"] == first
    assert run_cli("token", home=home).stdout.strip() == first


def test_missing_secret_is_added_and_every_other_key_kept(home):
    signing_key = "k" * settings.MIN_SECRET_LENGTH
    path = write_core_json(
        home,
        {
            "network": {"core_port": 9000},
            "custom": {"mine": 1},
            "auth": {"url_signing_key": signing_key},
        },
    )
    config = prepare(home, {})
    document = json.loads(path.read_text())
    assert document["custom"] == {"mine": 1}
    assert document["network"] == {"core_port": 9000}
    assert document["auth"]["url_signing_key"] == signing_key
    assert document["auth"]["install_token"] == config["auth.install_token"]
    assert config["network.core_port"] == 9000


def test_a_core_json_of_0_1_x_is_read_with_its_token_and_gets_a_signing_key(home):
    """FaceForge 0.1.x wrote `"version": "1"` as a string and had no url_signing_key."""
    token = "t" * settings.MIN_SECRET_LENGTH
    path = write_core_json(home, {"version": "1", "auth": {"install_token": token}})
    config = prepare(home, {})
    document = json.loads(path.read_text())
    assert (config["version"], config["auth.install_token"]) == (1, token)
    assert document["auth"]["install_token"] == token
    assert document["auth"]["url_signing_key"] == config["auth.url_signing_key"]
    assert len(config["auth.url_signing_key"]) >= settings.MIN_SECRET_LENGTH
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_blank_secrets_are_replaced_in_place_keeping_the_rest_of_the_file(start_server, home):
    path = write_core_json(
        home,
        {
            "custom": {"mine": 1},
            "network": {"allowed_hosts": ["faceforge.lan"]},
            "auth": {"install_token": "   ", "url_signing_key": ""},
        },
    )
    path.chmod(0o600)
    live = start_server(home)
    document = json.loads(path.read_text())
    assert document["custom"] == {"mine": 1}
    assert document["network"] == {"allowed_hosts": ["faceforge.lan"]}
    assert document["auth"] == {
        "install_token": live.config["auth.install_token"],
        "url_signing_key": live.config["auth.url_signing_key"],
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    log_text = live.config.home.log_path.read_text(encoding="utf-8")
    for key in settings.GENERATED_SECRETS:
        assert len(live.config[key]) >= settings.MIN_SECRET_LENGTH
        assert live.config[key] not in log_text
        assert f"WARNING faceforge config: {key} in {path} was missing, blank" in log_text


def test_first_start_generates_secrets_without_a_warning(home):
    prepare(home, {})
    assert "WARNING" not in (home / "logs" / "core.log").read_text()


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"network": {"core_port": "8787"}}, "network.core_port must be an integer"),
        ({"network": {"core_port": 70000}}, "network.core_port must be between 0 and 65535"),
        ({"tools": {"exiftool_enabled": "yes"}}, "tools.exiftool_enabled must be true or false"),
        ({"storage": {"routing": {"default_provider": "ftp"}}}, "default_provider must be one of"),
        ({"storage": {"routing": {"kind_map": {"lora": "disk"}}}}, "kind_map must be an object"),
        ({"network": {"allowed_hosts": "a.lan"}}, "allowed_hosts must be a list of strings"),
        ({"auth": "token"}, "auth must be an object"),
        ({"jobs": {"workers": 0}}, "jobs.workers must be between 1 and 64"),
        ({"version": "2"}, "version must be an integer"),
    ],
)
def test_wrong_types_name_the_key_and_leave_the_file_untouched(home, document, named):
    path = write_core_json(home, document)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        prepare(home, {})
    assert path.read_bytes() == before


def test_corrupt_json_stops_the_cli_with_one_line(home):
    path = home / "config" / "core.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    completed = run_cli("--port", "0", home=home)
    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "core.json is not valid JSON" in lines[0]
    assert "Traceback" not in completed.stderr
    assert path.read_text() == "{not json"


def test_unknown_keys_are_a_logged_warning(home):
    write_core_json(home, {"network": {"core_prot": 1}})
    prepare(home, {})
    log_text = (home / "logs" / "core.log").read_text()
    assert "unknown key 'network.core_prot'" in log_text


def test_environment_overrides_the_file(home):
    write_core_json(home, {"network": {"core_port": 9000, "bind_host": "127.0.0.1"}})
    config = prepare(home, {"FACEFORGE_PORT": "9100", "FACEFORGE_BIND": "127.0.0.2"})
    assert config["network.core_port"] == 9100
    assert config["network.bind_host"] == "127.0.0.2"
    assert config.overridden == {"network.core_port", "network.bind_host"}


def test_bad_environment_value_names_the_variable(home):
    with pytest.raises(ConfigError, match="FACEFORGE_PORT must be a number"):
        prepare(home, {"FACEFORGE_PORT": "eighty"})


def test_home_resolution_order(tmp_path):
    assert resolve_root(str(tmp_path / "cli"), {"FACEFORGE_HOME": str(tmp_path / "env")}) == (
        tmp_path / "cli"
    )
    assert resolve_root(None, {"FACEFORGE_HOME": str(tmp_path / "env")}) == tmp_path / "env"
    assert resolve_root(None, {"XDG_DATA_HOME": str(tmp_path / "xdg")}) == (
        tmp_path / "xdg" / "faceforge"
    )


def test_configured_paths_are_used(home, tmp_path):
    write_core_json(home, {"paths": {"logs_dir": str(tmp_path / "elsewhere"), "db_dir": "data"}})
    config = prepare(home, {})
    assert config.home.logs_dir == tmp_path / "elsewhere"
    assert config.home.db_dir == home / "data"
    assert (tmp_path / "elsewhere" / "core.log").exists()


def test_unwritable_home_is_one_line_and_exit_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    completed = run_cli("--home", str(blocker / "home"), "--port", "0", home=tmp_path)
    assert completed.returncode == 1
    assert completed.stderr.startswith("faceforge: cannot create")
    assert len(completed.stderr.strip().splitlines()) == 1
