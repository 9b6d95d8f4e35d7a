"""docs/configuration.md is generated from the settings table and must stay equal to it."""

from faceforge import config_docs
from faceforge.config import SETTINGS
from tests.support import REPO_ROOT

DOCUMENT = REPO_ROOT / "docs" / "configuration.md"


def test_configuration_md_is_what_the_settings_table_generates():
    assert DOCUMENT.read_text(encoding="utf-8") == config_docs.markdown(), (
        "docs/configuration.md is out of date: run"
        " `python -m faceforge.config_docs > docs/configuration.md`"
    )


def test_every_setting_has_a_row_saying_what_it_accepts():
    text = DOCUMENT.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"| `{setting.key}` | " in text
        assert config_docs.accepted(setting), setting.key


def test_accepted_values_are_described_in_the_checkers_own_words():
    by_key = {setting.key: setting for setting in SETTINGS}
    assert config_docs.accepted(by_key["jobs.workers"]) == "an integer, between 1 and 64"
    assert config_docs.accepted(by_key["seaweed.enabled"]) == "true or false"
    assert config_docs.accepted(by_key["storage.routing.default_provider"]) == "one of fs, s3"
    assert config_docs.accepted(by_key["storage.routing.s3_min_size_bytes"]).endswith(" or null")


def test_secrets_are_never_shown_with_a_value():
    text = config_docs.markdown()
    assert '"install_token": "<generated on first start>"' in text
    assert '"url_signing_key": "<generated on first start>"' in text
