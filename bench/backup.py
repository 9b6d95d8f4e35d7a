"""Online backup against references measured on the same home in the same run.

    python bench/backup.py                                # 1,000,000 entities, 20,000 files
    python bench/backup.py --entities 20000 --files 500   # a quick look

A temporary home is filled through a real server (`python faceforge.py --port 0`, ExifTool
off): N entities through bulk-upsert (as bench/entities.py seeds them) and M files of 4-64
KiB of random bytes through a bulk import (bench/import.py's tree). Then:

1. `sqlite3 core.sqlite3 ".backup ..."` plus `cp -r assets/` plus `sync` vs a full backup to
   a fresh folder (job `system.backup`, timed by the server: started_at to finished_at), in
   --rounds rounds taking turns at going first (the disk's speed varies a lot from one minute
   to the next); every round printed, the median ratio compared. Target: >= 0.8x. Each step
   starts after a `sync`, so that none pays for the writing of the one before.
2. A first backup into the backups folder, 1% new files, then a second backup: its time and
   the disk it adds (files whose inode the first backup does not hold) as a share of the
   first's. Target: <= 5% of both. Also how many 64 KiB and 1 MiB pieces of the second
   snapshot differ from the first's: what a format storing the database in chunks, linked
   when unchanged, would add (API.md §11 puts a whole database file in every backup).
3. p99 latency of `GET /v1/entities?limit=50` and of a small write (`POST /v1/entities`)
   while a full backup runs (to a fresh destination, nothing to link) vs idle just before,
   taking turns request by request, in --rounds rounds, and the longest write seen during
   each backup (writer stall). Target: <= 3x (median of the rounds).
"""

import argparse
import importlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from entities import Api, Words, payloads, seed, start_server

import_bench = importlib.import_module("import")  # bench/import.py: `import` is a keyword
LATENCY_ROUNDS_IDLE = 1000
# Chunk sizes for the question what a chunked database format would add to a second backup.
CHUNK_SIZES = (64 * 2**10, 2**20)


def wait_for_job(api: Api, job_id: str) -> dict:
    """The job once it has ended. It waits on the job's log (`wait=5`) rather than polling:
    a thread of this process waking 20 times a second took the interpreter lock from the
    latency probe often enough to double the p99 it measured."""
    after_id = 0
    while True:
        job = api.request("GET", f"/v1/jobs/{job_id}")
        if job["status"] in ("succeeded", "failed", "canceled"):
            if job["status"] != "succeeded":
                raise SystemExit(f"job {job['job_type']} {job['status']}: {job['error']}")
            return job
        page = api.request("GET", f"/v1/jobs/{job_id}/log?after_id={after_id}&wait=5")
        after_id = page["next_after_id"]


def server_seconds(job: dict) -> float:
    return import_bench.seconds_between(job["started_at"], job["finished_at"])


def back_up(api: Api, destination: Path | None = None) -> dict:
    body = json.dumps({"destination": str(destination) if destination else None}).encode()
    return wait_for_job(api, api.request("POST", "/v1/admin/backups", body)["job_id"])


def import_files(api: Api, tree: Path) -> None:
    body = json.dumps({"path": str(tree)}).encode()
    wait_for_job(api, api.request("POST", "/v1/assets/bulk-import", body)["job_id"])


def disk_bytes(folder: Path, known_inodes: set[int]) -> tuple[int, set[int]]:
    """Bytes allocated to the files under `folder` whose inodes are not in `known_inodes`,
    and all the inodes under it."""
    added, inodes = 0, set()
    for parent, _, names in os.walk(folder):
        for name in names:
            status = os.stat(Path(parent, name))
            inodes.add(status.st_ino)
            if status.st_ino not in known_inodes:
                added += status.st_blocks * 512
    return added, inodes


def changed_chunks(first: Path, second: Path, chunk_bytes: int) -> tuple[int, int]:
    """How many `chunk_bytes` pieces of `second` differ from the piece at the same place in
    `first`, of how many: what a backup format storing the database in chunks, linked when
    unchanged, would add for it (a question the second-backup target leaves open)."""
    changed = total = 0
    with open(first, "rb") as old, open(second, "rb") as new:
        while piece := new.read(chunk_bytes):
            total += 1
            changed += old.read(chunk_bytes) != piece
    return changed, total


def settle() -> None:
    """Write out what earlier steps left in the page cache, so that no step pays for the
    previous one's writing (a backup ends by syncing its file system)."""
    if hasattr(os, "sync"):
        os.sync()


def reference_seconds(home: Path, target: Path) -> float:
    """`sqlite3 .backup` of the database plus `cp -r` of the stored files, then `sync`: as
    durable as a backup, which syncs before it writes its manifest."""
    target.mkdir()
    database = home / "db" / "core.sqlite3"
    if shutil.which("sqlite3"):
        seconds = import_bench.timed(["sqlite3", str(database), f".backup {target / 'core.db'}"])
    else:
        import sqlite3

        started = time.perf_counter()
        with sqlite3.connect(database) as source, sqlite3.connect(target / "core.db") as copy:
            source.backup(copy)
        seconds = time.perf_counter() - started
    seconds += import_bench.timed(["cp", "-r", str(home / "assets"), str(target)])
    started = time.perf_counter()
    settle()
    return seconds + time.perf_counter() - started


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def latencies(api: Api, rounds: int | None, running: threading.Event | None) -> dict:
    """Turns of one listing and one small write: `rounds` of them, or as long as `running`."""
    timings = {"list": [], "write": []}
    requests = {
        "list": ("GET", "/v1/entities?limit=50", None),
        "write": ("POST", "/v1/entities", json.dumps({"display_name": "Latency"}).encode()),
    }
    done = 0
    while (rounds is None and running.is_set()) or (rounds is not None and done < rounds):
        for name, (method, path, body) in requests.items():
            started = time.perf_counter()
            api.request(method, path, body)
            timings[name].append((time.perf_counter() - started) * 1000)
        done += 1
    return timings


def latency_during_backup(api: Api, destination: Path) -> tuple[dict, float]:
    running = threading.Event()
    running.set()
    result = {}

    def measure():
        result.update(latencies(Api(api.port, api.token), None, running))

    thread = threading.Thread(target=measure)
    thread.start()
    job = back_up(api, destination)
    running.clear()
    thread.join()
    return result, server_seconds(job)


def speed_rounds(api: Api, home: Path, temp: Path, rounds: int) -> list[tuple[float, float]]:
    """(reference seconds, backup seconds) per round: the reference and a full backup to a
    fresh folder (nothing to link), taking turns at going first. The folders stay until the
    end: what the file system does after a large delete slowed whichever step came next."""
    timings = []
    for number in range(rounds):
        reference_folder, backup_folder = temp / f"reference-{number}", temp / f"speed-{number}"
        backup_folder.mkdir()
        steps = {
            "reference": lambda folder=reference_folder: reference_seconds(home, folder),
            "backup": lambda folder=backup_folder: server_seconds(back_up(api, folder)),
        }
        seconds = {}
        for name in sorted(steps, reverse=bool(number % 2)):
            settle()
            seconds[name] = steps[name]()
        reference_seconds_, backup_seconds = seconds["reference"], seconds["backup"]
        timings.append((reference_seconds_, backup_seconds))
        print(
            f"  round {number + 1}: reference {reference_seconds_:.2f} s,"
            f" backup {backup_seconds:.2f} s",
            file=sys.stderr,
        )
    return timings


def latency_rounds(api: Api, temp: Path, rounds: int) -> list[tuple[dict, dict, float, float]]:
    """(idle timings, busy timings, backup seconds, longest busy write) per round: idle turns,
    then turns during a full backup to a fresh folder."""
    results = []
    for number in range(rounds):
        settle()
        idle = latencies(api, LATENCY_ROUNDS_IDLE, None)
        (temp / f"busy-{number}").mkdir()
        busy, seconds = latency_during_backup(api, temp / f"busy-{number}")
        results.append((idle, busy, seconds, max(busy["write"])))
    return results


def run(args, temp: Path) -> list[tuple[str, str, str, str]]:
    home = temp / "home"
    home.mkdir()
    (home / "config").mkdir()
    (home / "config" / "core.json").write_text(json.dumps({"tools": {"exiftool_enabled": False}}))
    process, port, token = start_server(home)
    try:
        api = Api(port, token)
        print(f"seeding {args.entities:,} entities", file=sys.stderr)
        seed(api, payloads(Words(7), args.entities), 2)
        import_bench.make_tree(temp / "tree", args.files, seed=7)
        import_files(api, temp / "tree")
        speed = speed_rounds(api, home, temp, args.rounds)
        settle()
        first = back_up(api)
        first_folder = Path(first["result"]["path"])
        first_disk, first_inodes = disk_bytes(first_folder, set())
        import_bench.make_tree(temp / "changed", max(1, args.files // 100), seed=8)
        import_files(api, temp / "changed")
        settle()
        second = back_up(api)
        second_folder = Path(second["result"]["path"])
        second_disk, _ = disk_bytes(second_folder, first_inodes)
        second_files_disk, _ = disk_bytes(second_folder / "assets", first_inodes)
        first_files_disk, _ = disk_bytes(first_folder / "assets", set())
        database = Path("db", "core.sqlite3")
        chunks = {
            size: changed_chunks(first_folder / database, second_folder / database, size)
            for size in CHUNK_SIZES
        }
        latency = latency_rounds(api, temp, args.rounds)
    finally:
        process.terminate()
        process.wait(timeout=60)
    first_seconds, second_seconds = server_seconds(first), server_seconds(second)
    ratios = [reference / seconds for reference, seconds in speed]
    rows = [
        (
            "first backup vs sqlite3 .backup + cp -r + sync",
            " / ".join(f"{seconds:.2f} vs {reference:.2f} s" for reference, seconds in speed),
            f"median {statistics.median(ratios):.2f}x (rounds: "
            + ", ".join(f"{ratio:.2f}x" for ratio in ratios)
            + ")",
            ">= 0.8x",
        ),
        (
            "second backup, 1% new files: time",
            f"{second_seconds:.2f} s",
            f"{second_seconds / first_seconds:.1%} of the first ({first_seconds:.2f} s)",
            "<= 5%",
        ),
        (
            "second backup: disk added",
            f"{second_disk / 2**20:,.1f} MiB",
            f"{second_disk / first_disk:.1%} of {first_disk / 2**20:,.1f} MiB",
            "<= 5%",
        ),
        (
            "second backup: asset files added",
            f"{second_files_disk / 2**20:,.1f} MiB",
            f"{second_files_disk / first_files_disk:.1%} of {first_files_disk / 2**20:,.1f} MiB",
            "",
        ),
    ]
    for size, (changed, total) in chunks.items():
        chunked_disk = changed * size + second_files_disk
        rows.append(
            (
                f"second backup's database: {size // 2**10} KiB chunks that differ",
                f"{changed:,} of {total:,} ({changed * size / 2**20:,.1f} MiB)",
                f"disk added if stored in chunks: {chunked_disk / first_disk:.1%}",
                "",
            )
        )
    for name, label in (("list", "GET /v1/entities?limit=50"), ("write", "POST /v1/entities")):
        per_round = [(p99(busy[name]), p99(idle[name])) for idle, busy, _, _ in latency]
        ratios = [busy_p99 / idle_p99 for busy_p99, idle_p99 in per_round]
        rows.append(
            (
                f"p99 {label}, busy vs idle",
                " / ".join(
                    f"{busy_p99:.1f} vs {idle_p99:.1f} ms" for busy_p99, idle_p99 in per_round
                ),
                f"median {statistics.median(ratios):.2f}x (rounds: "
                + ", ".join(f"{ratio:.2f}x" for ratio in ratios)
                + ")",
                "<= 3x",
            )
        )
    rows.append(
        (
            "longest write during a full backup",
            " / ".join(f"{longest:.1f} ms" for _, _, _, longest in latency),
            " / ".join(
                f"{len(busy['write'])} writes in {seconds:.1f} s" for _, busy, seconds, _ in latency
            ),
            "",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000, help="entities to seed")
    parser.add_argument("--files", type=int, default=20_000, help="files to import")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the timed comparisons")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(prefix="faceforge-bench-backup-"))
    try:
        rows = run(args, temp)
    finally:
        if args.keep:
            print(f"kept {temp}", file=sys.stderr)
        else:
            shutil.rmtree(temp, ignore_errors=True)
    print(f"\n{args.entities:,} entities, {args.files:,} files")
    print("| measurement | value | ratio | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
