"""ffmpeg (API.md §10): finding it, what it can encode, the one command line that makes both
thumbnails of a file from one decode, and running it with a deadline.

Found at `tools.ffmpeg_path`, then `<home>/tools/ffmpeg` (`ffmpeg.exe` on Windows), then the
PATH, then the binary the `imageio-ffmpeg` package ships (imported only here, only if
installed). ffprobe is not used: imageio-ffmpeg has none, and what ffmpeg prints about its
input and outputs on stderr holds the sizes and the duration we need.
"""

import functools
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from faceforge import processes
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
            **processes.WINDOWLESS,
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


@functools.cache
def thumbnail_format(path: Path) -> str:
    """The thumbnails' file extension: `webp` when this ffmpeg has the libwebp encoder
    (smaller files), else `jpg`."""
    encoders = tool_output(path, "-encoders") or ""
    return "webp" if re.search(r"^\s*V\S*\s+libwebp\s", encoders, re.MULTILINE) else "jpg"


ENCODER_ARGUMENTS = {
    "webp": ("-c:v", "libwebp", "-quality", "80"),
    "jpg": ("-c:v", "mjpeg", "-q:v", "4"),
}


def scaled_to(long_edge: int) -> str:
    """A scale filter fitting the picture in `long_edge` px on its long edge, aspect kept,
    never upscaled (the box is never larger than the picture itself)."""
    return (
        f"scale=w='min({long_edge},iw)':h='min({long_edge},ih)'"
        ":force_original_aspect_ratio=decrease"
    )


def thumbnail_command(
    tool: Path, source: Path, outputs: dict[int, Path], extension: str, seek_seconds: float = 0
) -> list[str]:
    """The ffmpeg command writing one thumbnail per `outputs` entry {long edge: path} from ONE
    decode of the first video stream (`split`, then one `scale` per size), frame
    `seek_seconds` in. ffmpeg applies the rotation of a video and the EXIF orientation of a
    JPEG by itself (autorotate). Benchmarks call this too, to time the bare tool."""
    labels = [f"[size{number}]" for number in range(len(outputs))]
    graph = f"[0:v:0]split={len(outputs)}" + "".join(f"[in{n}]" for n in range(len(outputs)))
    graph += "".join(
        f";[in{number}]{scaled_to(long_edge)}{labels[number]}"
        for number, long_edge in enumerate(outputs)
    )
    command = [str(tool), "-nostdin", "-hide_banner", "-y"]
    if seek_seconds > 0:
        command += ["-ss", f"{seek_seconds:.3f}"]
    command += ["-i", str(source), "-filter_complex", graph]
    for label, path in zip(labels, outputs.values(), strict=True):
        command += ["-map", label, "-frames:v", "1", *ENCODER_ARGUMENTS[extension]]
        command += ["-f", "image2", "-update", "1", str(path)]
    return command


def probe_command(tool: Path, source: Path) -> list[str]:
    """ffmpeg describing `source` on stderr and stopping (it exits 1: no output was given)."""
    return [str(tool), "-nostdin", "-hide_banner", "-i", str(source)]


SECTION_START = re.compile(r"^(?=(?:Input|Output) #\d+)", re.MULTILINE)
VIDEO_SIZE = re.compile(r"Stream #\d+:\d+.*?: Video: .*?, (\d+)x(\d+)(?=[ ,\[]|$)", re.MULTILINE)
DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


@dataclass(frozen=True)
class Described:
    """What ffmpeg said about its input and outputs: the first video stream's size, the
    duration (None when it gave none) and each output's size, in order."""

    input_size: tuple[int, int] | None
    duration_seconds: float | None
    output_sizes: list[tuple[int, int] | None]


def first_video_size(section: str) -> tuple[int, int] | None:
    match = VIDEO_SIZE.search(section)
    return (int(match.group(1)), int(match.group(2))) if match else None


def described(stderr: str) -> Described:
    sections = SECTION_START.split(stderr)
    inputs = [section for section in sections if section.startswith("Input #")]
    outputs = [section for section in sections if section.startswith("Output #")]
    duration = DURATION.search(inputs[0]) if inputs else None
    return Described(
        first_video_size(inputs[0]) if inputs else None,
        (
            int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
            if duration
            else None
        ),
        [first_video_size(section) for section in outputs],
    )


def shown_size(stored: tuple[int, int], thumbnail: tuple[int, int]) -> tuple[int, int]:
    """The size as shown: `stored` turned a quarter when ffmpeg's autorotation did (EXIF
    orientation, a video's rotation), which the thumbnail's aspect tells: it is closer to
    the turned picture's than to the stored one's."""
    width, height = stored
    aspect = thumbnail[0] / thumbnail[1]
    turned = abs(aspect - height / width) < abs(aspect - width / height)
    return (height, width) if turned else stored


class FfmpegError(Exception):
    """ffmpeg failed, timed out or made no picture; the message says which."""


class FfmpegStopped(FfmpegError):
    """ffmpeg was killed, or not started, because the server is shutting down."""


def last_words(stderr: str) -> str:
    """The end of what ffmpeg said (its reason comes last), on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " / ".join(lines[-3:])[-500:] or "no message"


class Runs:
    """The ffmpeg processes running now, each with a deadline, all killed by `stop()` (at
    shutdown). Thread-safe: every worker runs its commands through the same one."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stopped = False

    def run(self, command: list[str], timeout: float) -> tuple[int, str]:
        """(exit code, stderr) of `command`; FfmpegError when it cannot start or runs out of
        time (it is killed), FfmpegStopped once `stop()` was called."""
        with self._lock:
            if self._stopped:
                raise FfmpegStopped("the server is shutting down")
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    **processes.BELOW_NORMAL,
                )
            except OSError as error:
                raise FfmpegError(f"cannot run {command[0]}: {error.strerror}") from None
            processes.lower_priority(process)
            self._running.add(process)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise FfmpegError(f"ffmpeg took longer than {timeout} s") from None
        finally:
            with self._lock:
                self._running.discard(process)
        if self._stopped:
            raise FfmpegStopped("the server is shutting down")
        return process.returncode, stderr.decode("utf-8", "replace")

    def stop(self) -> None:
        """Kill every running ffmpeg and refuse new ones."""
        with self._lock:
            self._stopped = True
            for process in self._running:
                process.kill()
