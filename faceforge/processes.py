"""Child processes Core starts and must not leave behind: stopped with a grace period, and
those a killed server left running found again by a variable in their environment."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path


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
