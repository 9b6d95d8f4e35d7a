"""Where FaceForge keeps its data: FACEFORGE_HOME resolution and the folder layout in it."""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class HomeError(Exception):
    """The home folder cannot be used; the message says which folder and why."""


def default_root(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The per-user data folder of each platform, as API.md §8 lists them."""
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "FaceForge"
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "FaceForge"
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "faceforge"


def executable_name(tool: str, platform: str = sys.platform) -> str:
    """The file name of a program under `tools/` (and in a scripts folder) on this platform:
    `weed.exe` on Windows, `weed` elsewhere."""
    return f"{tool}.exe" if platform == "win32" else tool


def resolve_root(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """`--home` wins over FACEFORGE_HOME, which wins over the platform default."""
    chosen = cli_value or environ.get("FACEFORGE_HOME") or default_root(environ)
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Home:
    """Every folder of one FaceForge home, resolved to absolute paths."""

    root: Path
    db_dir: Path
    assets_dir: Path
    s3_dir: Path
    logs_dir: Path
    config_dir: Path
    plugins_dir: Path
    tmp_dir: Path
    uploads_dir: Path
    tools_dir: Path
    backups_dir: Path

    @property
    def db_path(self) -> Path:
        return self.db_dir / "core.sqlite3"

    @property
    def ports_json(self) -> Path:
        return self.config_dir / "ports.json"

    @property
    def log_path(self) -> Path:
        return self.logs_dir / "core.log"

    @property
    def thumbs_dir(self) -> Path:
        """The thumbnail cache (made again on demand, so not among the folders backed up)."""
        return self.root / "thumbs"

    def folders(self) -> dict[str, Path]:
        return {name: getattr(self, name) for name in PATH_NAMES}


PATH_NAMES = (
    "db_dir",
    "s3_dir",
    "assets_dir",
    "logs_dir",
    "config_dir",
    "plugins_dir",
    "tmp_dir",
    "uploads_dir",
    "tools_dir",
    "backups_dir",
)


def config_path(root: Path) -> Path:
    return root / "config" / "core.json"


def layout(root: Path, configured: Mapping[str, str]) -> Home:
    """The folders of `root`; `configured` holds the `paths.*` settings (empty = default)."""

    def folder(name: str, default: str) -> Path:
        chosen = configured.get(name) or default
        return (root / Path(chosen).expanduser()).resolve()

    return Home(
        root=root,
        db_dir=folder("db_dir", "db"),
        assets_dir=root / "assets",
        s3_dir=folder("s3_dir", "s3"),
        logs_dir=folder("logs_dir", "logs"),
        config_dir=root / "config",
        plugins_dir=folder("plugins_dir", "plugins"),
        tmp_dir=root / "tmp",
        uploads_dir=root / "uploads",
        tools_dir=root / "tools",
        backups_dir=folder("backups_dir", "backups"),
    )


def create_folders(home: Home) -> None:
    for name, path in home.folders().items():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise HomeError(f"cannot create {name} at {path}: {error.strerror}") from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise HomeError(f"{path} is not writable")


def create_config_folder(root: Path) -> None:
    try:
        config_path(root).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HomeError(f"cannot create {root}: {error.strerror}") from None
    if not os.access(config_path(root).parent, os.W_OK | os.X_OK):
        raise HomeError(f"{config_path(root).parent} is not writable")
