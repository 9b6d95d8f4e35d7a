"""ffmpeg (API.md §10): finding it, what it can encode, and the one command line that makes
both thumbnails of a file from one decode.

Found at `tools.ffmpeg_path`, then `<home>/tools/ffmpeg` (`ffmpeg.exe` on Windows), then the
PATH, then the binary the `imageio-ffmpeg` package ships (imported only here, only if
installed). ffprobe is not used: imageio-ffmpeg has none, and ffmpeg's own description of its
input (stderr) holds what we need.
"""

import functools
import shutil
import subprocess
from pathlib import Path

from faceforge.home import executable_name

VERSION_TIMEOUT_SECONDS = 10


def locate(config) -> Path | None:
    """The ffmpeg in use, or None (thumbnails disabled, or no ffmpeg found). A configured path
    that is not a file means none: the user chose it, another one would surprise them."""
    if not config["tools.thumbnails_enabled"]:
        return None
    configured = config["tools.ffmpeg_path"]
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_file() else None
    bundled = config.home.tools_dir / executable_name("ffmpeg")
    if bundled.is_file():
        return bundled
    found = shutil.which("ffmpeg") or packaged_ffmpeg()
    return Path(found) if found else None


def packaged_ffmpeg() -> str | None:
    """The binary of the optional `imageio-ffmpeg` package (`pip install imageio-ffmpeg`)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # the package is there without a binary for this platform
        return None


def tool_output(path: Path, *arguments: str) -> str | None:
    """What `path arguments...` prints, or None when it cannot run or fails."""
    try:
        completed = subprocess.run(
            [str(path), "-hide_banner", *arguments],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None


@functools.cache
def version_of(path: Path) -> str | None:
    """`5.1.9-0+deb12u1` from `ffmpeg version 5.1.9-0+deb12u1 Copyright ...`."""
    output = tool_output(path, "-version")
    words = output.split() if output else []
    return words[2] if len(words) > 2 and words[:2] == ["ffmpeg", "version"] else None


def describe(config) -> dict:
    path = locate(config)
    return {"path": str(path) if path else None, "version": version_of(path) if path else None}
