"""Time from process start to the first successful /healthz, from a checkout and from the zipapp.

    python bench/startup.py [--runs 9]

Reference measured in the same run: a bare `python -c pass` interpreter start. Targets (2-core
machine): checkout < 0.5 s, zipapp < 0.8 s.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import REPO_ROOT, faceforge_env, median, print_table, wait_for_health


def time_to_health(command: list[str], home: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=faceforge_env(home), stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        wait_for_health(url)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def time_bare_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="ff-startup-") as temp_dir:
        temp = Path(temp_dir)
        pyz = temp / "faceforge.pyz"
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "faceforge.py"), "zipapp", "--output", str(pyz)],
            check=True,
            capture_output=True,
        )
        variants = {
            "checkout": [sys.executable, str(REPO_ROOT / "faceforge.py"), "--port", "0"],
            "zipapp": [sys.executable, "-I", "-S", str(pyz), "--port", "0"],
        }
        bare = median([time_bare_python() for _ in range(runs)])
        rows = []
        for name, command in variants.items():
            cold = median([time_to_health(command, temp / f"{name}-cold{i}") for i in range(runs)])
            warm_home = temp / f"{name}-warm"
            time_to_health(command, warm_home)
            warm = median([time_to_health(command, warm_home) for _ in range(runs)])
            target = 0.5 if name == "checkout" else 0.8
            rows.append((name, f"{cold:.3f}", f"{warm:.3f}", f"{warm / bare:.1f}x", f"< {target}"))
    print_table(
        f"Start to first /healthz (median of {runs}; bare python -c pass = {bare:.3f} s)",
        ("variant", "new home s", "existing home s", "vs bare python", "target s"),
        rows,
    )


if __name__ == "__main__":
    main()
