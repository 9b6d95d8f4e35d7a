"""Uploads with an image trigger enabled against uploads without one, in the same run:

    python bench/triggers.py [--images 2000] [--rounds 10] [--connections 4]

Two servers run at once, each in its own temp home: one has a plugin enabled whose trigger
queues a job for every `asset.created` of an image, the other has no plugin. They take turns
receiving `--images / --rounds` small distinct PNGs (raw uploads over keep-alive
connections), so load from elsewhere hits both alike. ExifTool and thumbnails are off in
both: they would add the same background work to each and only blur the difference.

Reported: the upload throughput of each, over all rounds and in its best round (as
bench/assets.py takes the best of its runs: load from elsewhere only slows a round down),
and their ratios (target >= 0.9), and the trigger lag, from each event's `ts` to its job's
`created_at`, p50/p95/max (target p95 <= 1 s).
"""

import argparse
import http.client
import json
import secrets
import statistics
import struct
import tempfile
import threading
import time
import zlib
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from _harness import print_table, running_faceforge

PLUGIN_ID = "bench"
JOB_TYPE = f"{PLUGIN_ID}.image"
MANIFEST = {
    "id": PLUGIN_ID,
    "name": "Trigger benchmark",
    "version": "1.0.0",
    "job_types": [JOB_TYPE],
    "triggers": [
        {"event": "asset.created", "job_type": JOB_TYPE, "where": {"mime_prefix": "image/"}}
    ],
}
TOOLS_OFF = {"exiftool_enabled": False, "thumbnails_enabled": False}


def png_bytes(number: int) -> bytes:
    """A valid 8x8 grey PNG whose pixels spell `number`, so every image is distinct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = number.to_bytes(8, "big")
    rows = b"".join(b"\x00" + pixels for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def prepare_home(home: Path, with_trigger: bool) -> None:
    (home / "config").mkdir(parents=True)
    secrets_made = {key: secrets.token_urlsafe(32) for key in ("install_token", "url_signing_key")}
    core_json = {"tools": TOOLS_OFF, "auth": secrets_made}
    (home / "config" / "core.json").write_text(json.dumps(core_json), encoding="utf-8")
    if with_trigger:
        folder = home / "plugins" / PLUGIN_ID
        folder.mkdir(parents=True)
        (folder / "plugin.json").write_text(json.dumps(MANIFEST), encoding="utf-8")


class Api:
    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self.host, self.port, self.token = parts.hostname, parts.port, token

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, connection, method: str, path: str, body=None, headers=None) -> dict:
        connection.request(
            method, path, body=body, headers={"X-FaceForge-Token": self.token, **(headers or {})}
        )
        reply = connection.getresponse()
        document = json.loads(reply.read())
        if reply.status >= 300:
            raise RuntimeError(f"{method} {path}: {reply.status} {document}")
        return document["data"]

    def once(self, method: str, path: str) -> dict:
        connection = self.connect()
        try:
            return self.call(connection, method, path)
        finally:
            connection.close()


def upload_round(api: Api, numbers: range, connections: int) -> float:
    """Upload the images `numbers` over `connections` keep-alive connections; seconds taken."""
    shares = [numbers[index::connections] for index in range(connections)]

    def upload_share(share: range) -> None:
        connection = api.connect()
        for number in share:
            api.call(
                connection,
                "POST",
                f"/v1/assets/upload?filename=image{number}.png",
                png_bytes(number),
                {"Content-Type": "application/octet-stream"},
            )
        connection.close()

    threads = [threading.Thread(target=upload_share, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def triggered_jobs(api: Api, expected: int, timeout: float = 120) -> list[dict]:
    """Every job the trigger queued, once there are `expected` of them."""
    deadline = time.monotonic() + timeout
    while api.once("GET", f"/v1/jobs?job_type={JOB_TYPE}&limit=1")["total"] < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {expected} jobs after {timeout} s")
        time.sleep(0.2)
    jobs, cursor = [], ""
    while True:
        page = api.once("GET", f"/v1/jobs?job_type={JOB_TYPE}&limit=200{cursor}")
        jobs += page["items"]
        if page["next_cursor"] is None:
            return jobs
        cursor = f"&cursor={page['next_cursor']}"


def lags(jobs: list[dict]) -> list[float]:
    """Seconds from each job's event to the job, smallest first."""
    return sorted(
        (moment(job["created_at"]) - moment(job["input"]["event"]["ts"])).total_seconds()
        for job in jobs
    )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=2000, help="images per server")
    parser.add_argument("--rounds", type=int, default=10, help="turns per server")
    parser.add_argument("--connections", type=int, default=4)
    options = parser.parse_args()
    per_round = options.images // options.rounds
    with tempfile.TemporaryDirectory(prefix="ff-bench-triggers-") as temp_dir:
        homes = {name: Path(temp_dir) / name for name in ("triggered", "plain")}
        prepare_home(homes["triggered"], with_trigger=True)
        prepare_home(homes["plain"], with_trigger=False)
        seconds, lag = measure(homes, per_round, options)
    report(per_round * options.rounds, seconds, lag, options)


def measure(homes: dict, per_round: int, options) -> tuple[dict, list[float]]:
    """Seconds spent uploading by each server, and the trigger lags."""
    with (
        running_faceforge(home=homes["triggered"]) as (triggered_url, token_a, _),
        running_faceforge(home=homes["plain"]) as (plain_url, token_b, _),
    ):
        triggered, plain = Api(triggered_url, token_a), Api(plain_url, token_b)
        triggered.once("POST", f"/v1/plugins/{PLUGIN_ID}/enable")
        servers = {"triggered": triggered, "plain": plain}
        seconds = {"triggered": [], "plain": []}
        for round_number in range(options.rounds):
            numbers = range(round_number * per_round, (round_number + 1) * per_round)
            # Each goes first every other round, so neither always meets a busier machine.
            for name in sorted(servers, reverse=round_number % 2 == 1):
                seconds[name].append(upload_round(servers[name], numbers, options.connections))
        return seconds, lags(triggered_jobs(triggered, per_round * options.rounds))


def report(total: int, seconds: dict, lag: list[float], options) -> None:
    per_round = total // options.rounds
    rates = {name: (total / sum(times), per_round / min(times)) for name, times in seconds.items()}
    (with_all, with_best), (without_all, without_best) = rates["triggered"], rates["plain"]
    p95 = lag[min(len(lag) - 1, int(len(lag) * 0.95))]
    print_table(
        f"{total} uploads of small PNGs per server, {options.rounds} interleaved rounds,"
        f" {options.connections} connections; images/s over all rounds, and in the best round"
        " (load from elsewhere only slows a round down)",
        ("server", "all rounds", "ratio", "best round", "ratio"),
        [
            ("no trigger", f"{without_all:.0f}", "1.00", f"{without_best:.0f}", "1.00"),
            (
                "image trigger enabled",
                f"{with_all:.0f}",
                f"{with_all / without_all:.2f}",
                f"{with_best:.0f}",
                f"{with_best / without_best:.2f} (target >= 0.9)",
            ),
        ],
    )
    print_table(
        f"trigger lag, event ts to job created_at, {len(lag)} jobs",
        ("p50", "p95", "max"),
        [
            (
                f"{statistics.median(lag):.3f} s",
                f"{p95:.3f} s (target <= 1 s)",
                f"{lag[-1]:.3f} s",
            )
        ],
    )


if __name__ == "__main__":
    main()
