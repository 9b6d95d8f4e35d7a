"""Shared pieces of the benchmarks: start a FaceForge process, time things, print tables."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def faceforge_env(home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update(FACEFORGE_HOME=str(home), **extra)
    return env


@contextmanager
def running_faceforge(command: list[str] | None = None, home: Path | None = None):
    """Start `python faceforge.py --port 0` (or `command`) in a temp home; yield (url, token)."""
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as temp_dir:
        home = home or Path(temp_dir) / "home"
        command = command or [sys.executable, str(REPO_ROOT / "faceforge.py"), "--port", "0"]
        process = subprocess.Popen(
            command, env=faceforge_env(home), stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
        )
        try:
            line = process.stdout.readline().strip()
            url = line.rsplit(" ", 1)[-1]
            yield url, read_token(home), process
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


def read_token(home: Path) -> str | None:
    """The install token of `home`, or None for a process that is not FaceForge."""
    try:
        return json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
    except FileNotFoundError:
        return None


def wait_for_health(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def median(values) -> float:
    return statistics.median(values)


def print_table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
