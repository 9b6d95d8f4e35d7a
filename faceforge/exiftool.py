"""Finding ExifTool (API.md §5.2): `tools.exiftool_path`, then `<home>/tools/exiftool`
(a file, or a folder holding `exiftool`), then the PATH."""

import functools
import shutil
import subprocess
from pathlib import Path

VERSION_TIMEOUT_SECONDS = 10


def locate(config) -> Path | None:
    if not config["tools.exiftool_enabled"]:
        return None
    configured = config["tools.exiftool_path"]
    if configured:
        return Path(configured).expanduser() if Path(configured).expanduser().is_file() else None
    bundled = config.home.tools_dir / "exiftool"
    for candidate in (bundled / "exiftool", bundled):
        if candidate.is_file():
            return candidate
    found = shutil.which("exiftool")
    return Path(found) if found else None


@functools.cache
def version_of(path: Path) -> str | None:
    try:
        completed = subprocess.run(
            [str(path), "-ver"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def describe(config) -> dict:
    path = locate(config)
    return {"path": str(path) if path else None, "version": version_of(path) if path else None}
