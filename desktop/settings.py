"""What the launcher remembers, and how it changes `config/core.json`.

The launcher remembers one thing of its own: which data folder to use (`launcher.json` in the
per-user configuration folder, outside any data folder). Everything about Core lives in the
data folder's `core.json`, which people also edit by hand; the launcher changes it key by key:
it reads the file as written, sets only the keys whose value the person changed, checks each
value with Core's own settings table, and writes the file back atomically. Keys it does not
know, including ones Core does not know, stay exactly as they were. A file that is not valid
JSON is never overwritten.
"""

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceforge import config as core_config
from faceforge.home import config_path

STATE_FILE = "launcher.json"


def state_path(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """Per-user place of launcher.json: XDG config on Linux, Preferences on macOS, APPDATA on
    Windows (not inside the data folder, which is what it points to)."""
    if platform == "darwin":
        return Path.home() / "Library" / "Preferences" / "FaceForge" / STATE_FILE
    if platform == "win32":
        base = environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "FaceForge" / STATE_FILE
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "faceforge" / STATE_FILE


def read_state(path: Path) -> dict[str, Any]:
    """launcher.json as written; {} when missing or unreadable (the wizard then runs again)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remember_home(path: Path, root: Path) -> None:
    """Record the data folder in launcher.json, keeping whatever else the file holds."""
    state = read_state(path)
    state["home"] = str(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp_path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temp_path.replace(path)


def remembered_home(path: Path) -> Path | None:
    home = read_state(path).get("home")
    return Path(home) if isinstance(home, str) and home else None


def is_set_up(root: Path) -> bool:
    """A data folder that already has its core.json needs no wizard."""
    return config_path(root).is_file()


def read_settings(root: Path, environ: Mapping[str, str]) -> core_config.Config:
    """The settings Core would use in `root` (defaults where core.json is silent).
    Raises ConfigError, naming the key, when the file is broken."""
    return core_config.read_checked(root, environ, {})


def merge_into_core_json(root: Path, changes: Mapping[str, Any]) -> None:
    """Set `changes` ({dotted key: value}) in root's core.json, key by key.

    A missing file starts from every default (what Core's first start writes). Each value is
    checked with Core's settings table first, so the launcher never writes a file Core would
    refuse; a ConfigError names the offending key and nothing is written."""
    path = config_path(root)
    exists = path.exists()
    document = core_config.read_document(path) if exists else core_config.default_document()
    core_config.flatten(document)
    for key, value in changes.items():
        setting = core_config.SETTINGS_BY_KEY.get(key)
        if setting is None:
            raise core_config.ConfigError(f"{key} is not a setting")
        try:
            setting.check(value)
        except core_config.ConfigError as error:
            raise core_config.ConfigError(f"{key} {error}") from None
        core_config.set_nested(document, key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    core_config.write_document(path, document)


@dataclass(frozen=True)
class LauncherChoices:
    """What the wizard and the settings dialog ask: the Core port and the managed S3."""

    core_port: int
    s3_enabled: bool
    s3_port: int

    @classmethod
    def of(cls, settings: core_config.Config) -> "LauncherChoices":
        return cls(
            core_port=settings["network.core_port"],
            s3_enabled=settings["seaweed.enabled"],
            s3_port=settings["seaweed.s3_port"],
        )

    def as_settings(self, uses_managed_s3: bool = True) -> dict[str, Any]:
        """The core.json keys these choices stand for. Turning the managed SeaweedFS on also
        makes it the storage for new files; a remote S3 endpoint (`storage.s3.endpoint_url`
        set by hand) is left alone."""
        values: dict[str, Any] = {
            "network.core_port": self.core_port,
            "seaweed.enabled": self.s3_enabled,
            "seaweed.s3_port": self.s3_port,
            "network.seaweed_s3_port": self.s3_port,
        }
        if uses_managed_s3:
            values["storage.s3.enabled"] = self.s3_enabled
            values["storage.routing.default_provider"] = "s3" if self.s3_enabled else "fs"
        return values


def changes_for(choices: LauncherChoices, settings: core_config.Config | None) -> dict[str, Any]:
    """The keys whose value differs from what core.json says now (`settings`; None for a new
    data folder, where every key is written), so no value nobody touched is rewritten."""
    uses_managed_s3 = settings is None or not settings["storage.s3.endpoint_url"]
    wanted = choices.as_settings(uses_managed_s3)
    if settings is None:
        return wanted
    return {key: value for key, value in wanted.items() if settings[key] != value}
