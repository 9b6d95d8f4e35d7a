"""Child processes Core starts and must not leave behind: stopped with a grace period, and
those a killed server left running found again by a variable in their environment."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

# Popen arguments for every child Core starts. On Windows none gets a console window: Core
# itself often has none (the launcher starts it with CREATE_NO_WINDOW), and a console program
# (ExifTool, ffmpeg, weed, python for a backup) started from a process without a console opens
# a window of its own, which would flash up for every thumbnail.
if os.name == "nt":
    WINDOWLESS: dict = {"creationflags": subprocess.CREATE_NO_WINDOW}
else:
    WINDOWLESS = {}


# A child that leads a process group of its own, so that what it starts in turn can be stopped
# with it (`stop_group`).
if os.name == "nt":
    OWN_GROUP: dict = {
        "creationflags": subprocess.CREATE_NO_WINDOW | subprocess.CREATE_NEW_PROCESS_GROUP
    }
else:
    OWN_GROUP = {"start_new_session": True}


# Background work (thumbnails) runs below normal priority, so that the server's own threads,
# answering requests, come first when both want the CPU. Windows sets it at creation
# (Popen arguments); elsewhere the child is reniced as soon as it exists (`lower_priority`).
# Work that should only take what is left over (a backup) runs at the lowest priority there is.
BACKGROUND_NICENESS = 10
IDLE_NICENESS = 19
if os.name == "nt":
    BELOW_NORMAL: dict = {
        "creationflags": subprocess.CREATE_NO_WINDOW | subprocess.BELOW_NORMAL_PRIORITY_CLASS
    }
    IDLE: dict = {"creationflags": subprocess.CREATE_NO_WINDOW | subprocess.IDLE_PRIORITY_CLASS}
else:
    BELOW_NORMAL = {}
    IDLE = {}


def lower_priority(process: subprocess.Popen, niceness: int = BACKGROUND_NICENESS) -> None:
    """Renice a child started with BELOW_NORMAL or IDLE (POSIX); a child already gone is
    left."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)


def stop(process: subprocess.Popen, grace_seconds: float) -> None:
    """Terminate, then kill after `grace_seconds` (on Windows terminate is already a kill)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(OSError):
        process.terminate()
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_group(process: subprocess.Popen, grace_seconds: float) -> None:
    """Stop a child started with OWN_GROUP and everything it started: terminate the group,
    kill it after `grace_seconds`, then kill whatever of the group is left (a grandchild the
    child left behind would otherwise hold its output pipe open forever). Windows has no
    process groups to signal: there only the child itself is stopped."""
    if os.name == "nt":
        stop(process, grace_seconds)
        return
    signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace_seconds)
    signal_group(process, signal.SIGKILL)
    process.wait()


def signal_group(process: subprocess.Popen, number: int) -> None:
    """Signal the process group the child leads; nothing when none of it is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, number)


def kill_strays(variable: str, home_root: Path, also: Callable[[Path], bool] = bool) -> int:
    """Kill the processes whose environment holds `variable=<home_root>` (and for which
    `also(/proc/<pid>)` holds): what a server of this home started and could not stop because
    it was killed (kill -9). Another home's are left alone. Needs /proc (Linux); elsewhere
    nothing is killed. Returns how many were."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    marker = f"{variable}={home_root}".encode()
    killed = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if also(entry) and marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed
