"""ExifTool (API.md §5.2): finding it, the exact arguments, what is skipped and removed, and a
`-stay_open` process that serves file after file.

Found at `tools.exiftool_path`, then `<home>/tools/exiftool` (a file, or a folder holding
`exiftool`; `exiftool.exe` on Windows), then the PATH. Arguments always travel as an argument
file, one per line, fed to the long-lived `ExifToolProcess` as `-@ -` on stdin.
"""

import contextlib
import functools
import logging
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from faceforge import json_text, processes
from faceforge.home import executable_name
from faceforge.pipes import PipeReader, PipeWriter

log = logging.getLogger("faceforge.exiftool")

VERSION_TIMEOUT_SECONDS = 10
CLOSE_TIMEOUT_SECONDS = 5
# A `-stay_open` process of ours: these arguments, and this variable naming its home in its
# environment (see `reap_strays`).
STAY_OPEN_ARGUMENTS = ("-stay_open", "True", "-@", "-")
HOME_VARIABLE = "FACEFORGE_EXIFTOOL_HOME"

# API.md lists these followed by `--` (end of options). ExifTool reads everything after `--`
# as a file name, `-executeN` included, so a `-stay_open` process never runs a command that
# holds it. What `--` guards against, a file name starting with `-`, cannot happen here: the
# path is always absolute.
ARGUMENTS = (
    "-quiet",
    "-extractEmbedded3",
    "-scanForXMP",
    "-unknown2",
    "-json",
    "-G3:1",
    "-struct",
    "-b",
    "-ignoreMinorErrors",
    "-charset",
    "filename=utf8",
    "-api",
    "requestall=3",
    "-api",
    "largefilesupport=1",
)
SKIPPED_NAMES = re.compile(
    r"_(meta|directorymeta)\.json$"
    r"|\.(cover|thumb|thumb(s|db|index|nail))$"
    r"|^(thumb|thumb(s|db|index|nail))\.db$"
    r"|\.(csv|html?|json|tsv|xml)$",
    re.IGNORECASE,
)
REMOVED_KEYS = frozenset(
    {
        "ExifTool:ExifToolVersion",
        "ExifTool:FileSequence",
        "ExifTool:NewGUID",
        "System:BaseName",
        "System:Directory",
        "System:FileBlockCount",
        "System:FileBlockSize",
        "System:FileDeviceID",
        "System:FileDeviceNumber",
        "System:FileGroupID",
        "System:FileHardLinks",
        "System:FileInodeNumber",
        "System:FileName",
        "System:FilePath",
        "System:FilePermissions",
        "System:FileUserID",
        "SourceFile",
    }
)


class ExifToolError(Exception):
    """ExifTool failed, timed out or printed something that is not usable JSON."""


def locate(config) -> Path | None:
    if not config["tools.exiftool_enabled"]:
        return None
    configured = config["tools.exiftool_path"]
    if configured:
        return Path(configured).expanduser() if Path(configured).expanduser().is_file() else None
    tools_dir, file_name = config.home.tools_dir, executable_name("exiftool")
    for candidate in (tools_dir / "exiftool" / file_name, tools_dir / file_name):
        if candidate.is_file():
            return candidate
    found = shutil.which("exiftool")
    return Path(found) if found else None


@functools.cache
def version_of(path: Path) -> str | None:
    try:
        completed = subprocess.run(
            [str(path), "-ver"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            **processes.WINDOWLESS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def describe(config) -> dict:
    path = locate(config)
    return {"path": str(path) if path else None, "version": version_of(path) if path else None}


def is_skipped(filename: str) -> bool:
    return SKIPPED_NAMES.search(filename) is not None


def argument_file(file_paths: list[str], sequence: int) -> bytes:
    """The argument-file lines for one request: one argument per line, the (absolute) files,
    then -executeN."""
    lines = [*ARGUMENTS, *file_paths, f"-execute{sequence}"]
    if any("\n" in line or "\r" in line for line in lines):
        raise ExifToolError("a path with a line break cannot go through an argument file")
    return ("\n".join(lines) + "\n").encode("utf-8")


def without_removed_keys(value: Any) -> Any:
    """The output with REMOVED_KEYS dropped at every depth."""
    if isinstance(value, dict):
        return {k: without_removed_keys(v) for k, v in value.items() if k not in REMOVED_KEYS}
    if isinstance(value, list):
        return [without_removed_keys(item) for item in value]
    return value


def decode_output(stdout: bytes, reason: str) -> list:
    if not stdout.strip():
        raise ExifToolError(f"ExifTool printed nothing ({reason or 'no message'})")
    try:
        document = json_text.loads(stdout.decode("utf-8"))
    except json_text.TooDeep as error:
        raise ExifToolError(f"ExifTool printed {error}") from None
    except (UnicodeDecodeError, ValueError):
        raise ExifToolError(f"ExifTool printed no valid JSON ({reason or 'no message'})") from None
    if not isinstance(document, list):
        raise ExifToolError(f"ExifTool printed no JSON list ({reason or 'no message'})")
    return document


def cleaned(documents: list, reason: str) -> list:
    """One file's output, cleaned; it must hold at least one non-empty object."""
    kept = without_removed_keys(documents)
    if not any(isinstance(d, dict) and d for d in kept):
        raise ExifToolError(f"ExifTool found no metadata ({reason or 'empty output'})")
    return kept


def stderr_reason(stderr: bytes) -> str:
    return stderr.decode("utf-8", "replace").strip()[:500]


def split_output(stdout: bytes, stderr: bytes, file_paths: list[str]) -> dict[str, Any]:
    """The JSON of a request for several files, split by SourceFile: {path: cleaned output,
    or the ExifToolError for that file}."""
    reason = stderr_reason(stderr)
    by_source: dict[str, list] = {}
    for document in decode_output(stdout, reason):
        if isinstance(document, dict) and isinstance(document.get("SourceFile"), str):
            by_source.setdefault(document["SourceFile"], []).append(document)
    results: dict[str, Any] = {}
    for path in file_paths:
        try:
            results[path] = cleaned(by_source.get(path, []), reason)
        except ExifToolError as error:
            results[path] = error
    return results


def entry(data: Any) -> dict[str, Any]:
    """How an extraction is kept among the asset's metadata entries."""
    return {
        "Source": "ExifTool",
        "Type": "JsonMetadata",
        "Name": None,
        "NameHashes": None,
        "Data": data,
    }


class ExifToolProcess:
    """One `exiftool -stay_open True -@ -` serving a few files per `-executeN` (one request
    per file costs ExifTool about as much as the file itself), restarted after a timeout or
    a crash. Its pipes are served by threads (`faceforge.pipes`), so a request waits with a
    deadline on every platform. Not thread-safe: one per worker thread."""

    def __init__(self, tool: Path, home_root: Path):
        self.tool = tool
        self.home_root = home_root
        self._process: subprocess.Popen | None = None
        self._stdin: PipeWriter | None = None
        self._stdout: PipeReader | None = None
        self._stderr: PipeReader | None = None
        self._sequence = 0

    def _start(self) -> None:
        """Start ExifTool unless it is running (first use, or it ended or was stopped)."""
        if self._process is not None and self._process.poll() is None:
            return
        self.close(force=True)
        try:
            process = subprocess.Popen(
                [str(self.tool), *STAY_OPEN_ARGUMENTS],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, HOME_VARIABLE: str(self.home_root)},
                **processes.WINDOWLESS,
            )
        except OSError as error:
            raise ExifToolError(f"cannot run {self.tool}: {error.strerror}") from None
        name = f"exiftool-{process.pid}"
        self._process = process
        self._stdin = PipeWriter(process.stdin, f"{name}-stdin")
        self._stdout = PipeReader(process.stdout, f"{name}-stdout")
        self._stderr = PipeReader(process.stderr, f"{name}-stderr")

    def run(self, file_paths: list[Path], timeout: float) -> dict[str, Any]:
        """{absolute path: cleaned output or ExifToolError}; raises ExifToolError when the
        whole request failed (timeout, crash, output that is not JSON)."""
        paths = [str(Path(path).absolute()) for path in file_paths]
        self._start()
        self._sequence += 1
        self._stdin.send(argument_file(paths, self._sequence))
        stdout, stderr = self._read_until(f"{{ready{self._sequence}}}".encode(), timeout)
        return split_output(stdout, stderr, paths)

    def _read_until(self, marker: bytes, timeout: float) -> tuple[bytes, bytes]:
        """stdout up to the line `marker` (without it), and what stderr said meanwhile.
        Windows' ExifTool ends its lines with CRLF."""
        lines = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._stdout.next_line(deadline)
            except TimeoutError:
                self.close(force=True)
                raise ExifToolError(f"ExifTool took longer than {timeout} s") from None
            if line is None:
                raise self._ended_early()
            if line.rstrip(b"\r\n") == marker:
                return b"".join(lines), self._stderr.available()
            lines.append(line)

    def _ended_early(self) -> ExifToolError:
        """The error for output that ended before the request was answered: the process
        is stopped, and its exit code and last words are the reason."""
        process, stderr = self._process, self._stderr
        self.close(force=True)
        stderr.wait_for_end(CLOSE_TIMEOUT_SECONDS)
        said = stderr_reason(stderr.available())
        return ExifToolError(
            f"ExifTool exited unexpectedly (exit code {process.returncode}"
            + (f": {said})" if said else ")")
        )

    def close(self, force: bool = False) -> None:
        """Ask ExifTool to finish (unless `force`), kill it if it does not. Never raises: the
        process may already be gone, its stdin broken. The pipe threads end by themselves
        once it is."""
        process, stdin = self._process, self._stdin
        self._process = self._stdin = self._stdout = self._stderr = None
        if process is None:
            return
        if not force:
            stdin.send(b"-stay_open\nFalse\n")
        stdin.finish()
        if not force:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(CLOSE_TIMEOUT_SECONDS)
        if process.poll() is None:
            process.kill()
            process.wait()


def stay_open(process_folder: Path) -> bool:
    """Whether the process of this /proc folder runs with our `-stay_open` arguments."""
    arguments = [argument.encode() for argument in STAY_OPEN_ARGUMENTS]
    return (process_folder / "cmdline").read_bytes().split(b"\0")[-5:-1] == arguments


def reap_strays(home_root: Path) -> int:
    """Kill the `-stay_open` processes that a server of this home left behind when it died
    without closing them (kill -9): an idle ExifTool does not end when its stdin closes, it
    polls the closed pipe every 10 ms for ever. Ours are known by their arguments and by
    HOME_VARIABLE in their environment, so another program's ExifTool, or another home's, is
    left alone. Needs /proc (Linux); elsewhere nothing is killed. Returns how many were."""
    killed = processes.kill_strays(HOME_VARIABLE, home_root, stay_open)
    if killed:
        log.warning("stopped %d ExifTool processes left running by an earlier server", killed)
    return killed
