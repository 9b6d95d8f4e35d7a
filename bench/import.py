"""Bulk import against references measured on the same tree in the same run.

    python bench/import.py [--files 20000] [--seed 7]

A tree of small files (4-64 KiB of random bytes, 100 per folder, 5% with a sidecar in one of
the four sidecar spellings) is generated in a temp folder, then:

1. `cp -r` of the tree vs a bulk import with ExifTool disabled (target: >= 0.25x cp's files/s);
2. one batch `exiftool -json -r -ext '*'` over the tree vs a bulk import with ExifTool
   enabled, timed until every asset's metadata is extracted (target: >= 0.8x exiftool's
   files/s). `-ext '*'` makes ExifTool read every file, as the import does: without it, `-r`
   silently skips files whose extension it does not know (all of these);
3. the import with ExifTool disabled again while a client follows GET /v1/jobs/<id>/log every
   200 ms (target: < 10% slower than without).

Runs 1 and 3 go in `--repeat` rounds of cp, plain import, polled import, plain import; the
ratios are the medians of each round's own ratio (the rates shown are medians of the runs),
because this disk's speed at creating files drifts by 2x and more within minutes. A round
compares its polled import with the mean of the two plain imports around it. One import
before the rounds is not counted (see `main`).

Import times are the server's own (job started_at to finished_at). Each FaceForge run gets a
fresh home, and every run reads the tree from the page cache (a first cp warms it).
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from _harness import median, print_table, running_faceforge

SIDECAR_FORMS = ("{name}_meta.json", "{name}._meta.json", "{stem}_meta.json", "{stem}._meta.json")


def make_tree(root: Path, files: int, seed: int) -> int:
    """Write the tree; returns its size in bytes."""
    rng = random.Random(seed)
    total = 0
    for index in range(files):
        folder = root / f"set{index // 1000:03d}" / f"batch{index // 100 % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"file{index:06d}.bin"
        size = rng.randint(4 * 1024, 64 * 1024)
        (folder / name).write_bytes(rng.randbytes(size))
        total += size
        if rng.random() < 0.05:
            form = SIDECAR_FORMS[index % len(SIDECAR_FORMS)]
            sidecar = form.format(name=name, stem=name.rsplit(".", 1)[0])
            (folder / sidecar).write_text(json.dumps({"index": index, "tags": ["bench"]}))
    return total


def timed(command: list[str], ok_codes=(0,)) -> float:
    os.sync()  # what earlier runs left to write does not slow this one
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if completed.returncode not in ok_codes:
        raise SystemExit(f"{command[0]} exited with {completed.returncode}")
    return time.perf_counter() - started


def call(url: str, token: str, method: str, path: str, body=None):
    request = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-FaceForge-Token": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)["data"]


def seconds_between(start: str, end: str) -> float:
    def parse(text):
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")

    return (parse(end) - parse(start)).total_seconds()


def follow_log(url: str, token: str, job_id: str, stop: threading.Event) -> None:
    after_id = 0
    while not stop.is_set():
        page = call(url, token, "GET", f"/v1/jobs/{job_id}/log?after_id={after_id}&limit=1000")
        after_id = page["next_after_id"]
        stop.wait(0.2)


def import_seconds(tree: Path, exiftool: bool, poll_log: bool) -> tuple[float, dict]:
    """One bulk import of `tree` in a fresh home: (seconds, result)."""
    with tempfile.TemporaryDirectory(prefix="ff-bench-home-") as home_dir:
        home = Path(home_dir) / "home"
        (home / "config").mkdir(parents=True)
        (home / "config" / "core.json").write_text(
            json.dumps({"tools": {"exiftool_enabled": exiftool}})
        )
        with running_faceforge(home=home) as (url, token, _):
            os.sync()
            job = call(url, token, "POST", "/v1/assets/bulk-import", {"path": str(tree)})
            stop = threading.Event()
            poller = threading.Thread(target=follow_log, args=(url, token, job["job_id"], stop))
            if poll_log:
                poller.start()
            while (job := call(url, token, "GET", f"/v1/jobs/{job['job_id']}"))["status"] in (
                "queued",
                "running",
            ):
                time.sleep(0.2)
            stop.set()
            if poll_log:
                poller.join()
            assert job["status"] == "succeeded", job
            seconds = seconds_between(job["started_at"], job["finished_at"])
            if exiftool:
                seconds = wait_for_metadata(home, job["started_at"])
            return seconds, job["result"]


def wait_for_metadata(home: Path, started_at: str) -> float:
    """Seconds from the import's start until the last asset's metadata was recorded (read
    from the database: the API has no filter on metadata_status)."""
    connection = sqlite3.connect(f"file:{home / 'db' / 'core.sqlite3'}?mode=ro", uri=True)
    try:
        while connection.execute(
            "SELECT COUNT(*) FROM assets WHERE metadata_status = 'pending'"
        ).fetchone()[0]:
            time.sleep(0.2)
        last = connection.execute("SELECT MAX(updated_at) FROM assets").fetchone()[0]
    finally:
        connection.close()
    return seconds_between(started_at, last)


def rate(files: int, seconds: float) -> str:
    return f"{files / seconds:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=4, help="rounds of cp, import, import with polling, import"
    )
    args = parser.parse_args()
    exiftool = shutil.which("exiftool")
    with tempfile.TemporaryDirectory(prefix="ff-bench-tree-") as temp_dir:
        tree = Path(temp_dir) / "tree"
        size = make_tree(tree, args.files, args.seed)
        print(f"tree: {args.files} files, {size / 2**20:,.0f} MiB, in {tree}", file=sys.stderr)
        timed(["cp", "-r", str(tree), str(Path(temp_dir) / "warm")])  # warms the page cache
        shutil.rmtree(Path(temp_dir) / "warm")
        # Not counted: the first import of a run was 10-30% faster than every later run (cp
        # too: the disk slows once the first homes have been written and deleted), which
        # made round 1 compare a fast plain import with a slow polled one.
        import_seconds(tree, exiftool=False, poll_log=False)
        # Rounds of cp, then plain, polled and plain import: each ratio compares runs made
        # minutes apart at most, while this disk's speed at creating files drifts by 2x and
        # more, and the polled run is measured against the mean of the plain runs on either
        # side of it, so a drift during the round weighs on both sides alike.
        copy_runs, plain_runs, polled_runs, poll_costs = [], [], [], []
        for attempt in range(args.repeat):
            copy = Path(temp_dir) / f"copy{attempt}"
            copy_runs.append(timed(["cp", "-r", str(tree), str(copy)]))
            shutil.rmtree(copy)
            (before, result), (polled_run, _), (after, _) = [
                import_seconds(tree, exiftool=False, poll_log=poll_log)
                for poll_log in (False, True, False)
            ]
            plain = (before + after) / 2
            plain_runs.append(plain)
            polled_runs.append(polled_run)
            poll_costs.append((polled_run - plain) / plain)
            print(
                f"round {attempt + 1}: cp {copy_runs[-1]:.2f} s, import {before:.2f} s,"
                f" polled {polled_run:.2f} s, import {after:.2f} s:"
                f" polling {poll_costs[-1]:+.1%}",
                file=sys.stderr,
            )
        copy_seconds, plain, polled = map(median, (copy_runs, plain_runs, polled_runs))
        copy_ratio = median(c / p for c, p in zip(copy_runs, plain_runs, strict=True))
        poll_cost = median(poll_costs)
        imported = result["imported"]
        rows = [
            ("cp -r", rate(args.files, copy_seconds), "", ""),
            (
                "import, ExifTool off",
                rate(imported, plain),
                f"{copy_ratio:.2f}x cp",
                ">= 0.25x",
            ),
        ]
        if exiftool:
            # Exit status 1: ExifTool reports random bytes as "Unknown file type" errors.
            batch = timed([exiftool, "-json", "-r", "-ext", "*", str(tree)], ok_codes=(0, 1))
            with_tool, _ = import_seconds(tree, exiftool=True, poll_log=False)
            rows += [
                ("exiftool -json -r -ext '*'", rate(args.files, batch), "", ""),
                (
                    "import, ExifTool on",
                    rate(imported, with_tool),
                    f"{batch / with_tool:.2f}x exiftool",
                    ">= 0.8x",
                ),
            ]
        rows.append(
            (
                "import, /log polled every 200 ms",
                rate(imported, polled),
                f"{poll_cost:+.1%} time",
                "< +10%",
            )
        )
        rows.append(("  the round that cost most", "", f"{max(poll_costs):+.1%} time", "< +10%"))
    print_table(
        f"Bulk import of {args.files} files ({imported} distinct), files/s",
        ("run", "files/s", "ratio", "target"),
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
