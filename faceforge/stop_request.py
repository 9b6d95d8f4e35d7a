"""A graceful stop asked for through a file: how the launcher stops Core, on every platform.

Windows has no SIGTERM between processes: `Popen.terminate()` and `os.kill()` there are
TerminateProcess, a kill that loses the replies of requests under way, and Ctrl+Break cannot
reach a Core the launcher started without a console. So the launcher writes Core's pid into
`<home>/tmp/stop-request`; Core looks at that file twice a second and, when it names Core's
own pid, removes it and stops as on SIGTERM (API.md §8 Graceful stop). A request naming
another pid (a Core long gone) is left alone, and `tmp/` is emptied at every start anyway.
"""

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("faceforge")

FILE_NAME = "stop-request"
CHECK_SECONDS = 0.5
# Windows refuses to replace a file another process has open; Core holds it only briefly.
REPLACE_ATTEMPTS = 5


def ask(tmp_dir: Path, pid: int) -> Path:
    """Ask the Core with process id `pid` serving the home of `tmp_dir` to stop; the file.
    OSError when it cannot be written."""
    target = tmp_dir / FILE_NAME
    tmp_dir.mkdir(parents=True, exist_ok=True)
    written = target.with_name(f"{FILE_NAME}.{os.getpid()}")
    written.write_text(f"{pid}\n", encoding="ascii")
    try:
        replace_patiently(written, target)
    finally:
        written.unlink(missing_ok=True)
    return target


def replace_patiently(source: Path, target: Path) -> None:
    """`os.replace`, tried again for a moment while Windows refuses it because Core has an
    older request open to read it."""
    for _ in range(REPLACE_ATTEMPTS - 1):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            time.sleep(CHECK_SECONDS / 10)
    os.replace(source, target)


def watch(tmp_dir: Path, stop: Callable[[], None], stopped: threading.Event) -> threading.Thread:
    """A thread calling `stop()` once a request names this process, until `stopped` is set."""
    target = tmp_dir / FILE_NAME
    own_pid = str(os.getpid())

    def look() -> None:
        while not stopped.wait(CHECK_SECONDS):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                if target.read_text(encoding="ascii").strip() == own_pid:
                    target.unlink(missing_ok=True)
                    log.info("stopping: the launcher asked through %s", target)
                    stop()
                    return

    thread = threading.Thread(target=look, name="stop-request", daemon=True)
    thread.start()
    return thread
