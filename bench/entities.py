"""Entities at scale: seed N entities through the real bulk-upsert endpoint of a real server,
then time listing, deep keyset pages and search against `GET /v1/ping` in the same run.

    python bench/entities.py                   # 1,000,000 entities (a few minutes, 2+ GB disk)
    python bench/entities.py --count 100000    # a quicker look
    python bench/entities.py --keep            # keep the temporary FACEFORGE_HOME afterwards

It starts `python faceforge.py --port 0` with a temporary FACEFORGE_HOME, so nothing of
yours is touched. Every entity has 2 aliases, 3 tags from a vocabulary of 1,000 and 3 fields.
After seeding, 10 calls merge a new tag and alias into 10,000 existing entities each (matched
by external id; with --reuse they change the kept home). Latencies are client-side medians
over keep-alive HTTP; ratios compare requests of this run (machine load affects both sides
of a ratio alike). Targets are from issue 3.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BATCH = 10_000
UPDATE_CALLS = 10
SYLLABLES = ("ka", "ri", "mo", "na", "el", "to", "sa", "vi", "lo", "de", "an", "mi", "ru")
SYLLABLES += ("ze", "po", "la", "ne", "shi", "ta", "yo", "be", "ga", "fi", "ju", "ko", "ma")


class Words:
    """Deterministic names, aliases and tags from a seed."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.first_names = [self.word(2).capitalize() for _ in range(400)]
        self.last_names = [self.word(3).capitalize() for _ in range(5000)]
        self.tags = sorted({f"{self.word(2)}-{self.word(1)}" for _ in range(1300)})[:1000]

    def word(self, syllables: int) -> str:
        return "".join(self.random.choice(SYLLABLES) for _ in range(syllables))

    def name(self, rnd: random.Random) -> str:
        return f"{rnd.choice(self.first_names)} {rnd.choice(self.last_names)}"


def entity(words: Words, rnd: random.Random, number: int) -> dict:
    return {
        "display_name": words.name(rnd),
        "aliases": [words.name(rnd), words.word(3).capitalize()],
        "tags": rnd.sample(words.tags, 3),
        "fields": {
            "height_cm": rnd.randint(140, 210),
            "eye_color": rnd.choice(("blue", "brown", "green", "grey", "hazel")),
            "country": rnd.choice(("NO", "JP", "BR", "US", "DE", "IN", "NG", "MX")),
        },
        "external_ids": {"bench": str(number)},
    }


def payloads(words: Words, count: int) -> list[bytes]:
    """Every bulk-upsert body, encoded before the clock starts: the rate is the server's."""
    bodies = []
    for start in range(0, count, BATCH):
        rnd = random.Random(start)
        items = [entity(words, rnd, n) for n in range(start, min(start + BATCH, count))]
        bodies.append(json.dumps({"items": items}).encode())
    return bodies


class Api:
    """Keep-alive JSON client, one connection per thread."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.local = threading.local()

    def connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """This thread's connection (a new one when `fresh`)."""
        if fresh or getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        return self.local.connection

    @staticmethod
    def send(connection, method: str, path: str, body, headers: dict):
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> dict:
        headers = {"X-FaceForge-Token": self.token, "Content-Type": content_type}
        try:
            reply = self.send(self.connection(), method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # Waitress closes a connection idle for 120 s (channel_timeout) without reading
            # the next request: send it again on a new one.
            reply = self.send(self.connection(fresh=True), method, path, body, headers)
        document = json.loads(reply.read())
        if reply.status != 200:
            raise RuntimeError(f"{method} {path}: {reply.status} {document['error']}")
        return document["data"]

    def medians_ms(self, groups: dict[str, list[str]], rounds: int) -> dict[str, float]:
        """Median latency of each group of GETs. The groups take turns request by request, so
        a ratio between two of them compares requests made under the same machine load."""
        timings: dict[str, list[float]] = {name: [] for name in groups}
        for _ in range(rounds):
            for name, paths in groups.items():
                for path in paths:
                    start = time.perf_counter()
                    self.request("GET", path)
                    timings[name].append((time.perf_counter() - start) * 1000)
        return {name: statistics.median(values) for name, values in timings.items()}


def start_server(home: Path) -> tuple[subprocess.Popen, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "faceforge.py"), "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline().strip()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    core = json.loads((home / "config" / "core.json").read_text(encoding="utf-8"))
    return process, int(line.rsplit(":", 1)[1]), core["auth"]["install_token"]


def server_work(pid: int) -> tuple[float, int]:
    """CPU seconds the server has used (all threads) and bytes it has caused to be written to
    disk: measures of the work per entity that the machine's load does not change much."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return cpu, int(io["write_bytes"])


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(api: Api, bodies: list[bytes], concurrency: int) -> float:
    """Entities per second through bulk-upsert, `concurrency` calls in flight."""

    def send(body: bytes) -> int:
        return len(api.request("POST", "/v1/entities/bulk-upsert", body)["items"])

    begin, done = time.perf_counter(), 0
    with ThreadPoolExecutor(concurrency) as pool:
        for calls, written in enumerate(pool.map(send, bodies), start=1):
            done += written
            if calls % 10 == 0:
                rate = done / (time.perf_counter() - begin)
                print(f"  {done:>9,} entities, {rate:,.0f}/s", file=sys.stderr)
    return done / (time.perf_counter() - begin)


def update_payloads(words: Words, count: int, calls: int) -> list[bytes]:
    """Bulk-upsert bodies that each give 10,000 existing entities (matched by external id) a
    new tag and alias, in merge mode: the shape of a nightly sync from another catalogue."""
    rnd = random.Random(11)
    bodies = []
    for _ in range(calls):
        numbers = rnd.sample(range(count), min(BATCH, count))
        items = [
            {
                "external_ids": {"bench": str(number)},
                "tags": [rnd.choice(words.tags)],
                "aliases": [words.name(rnd)],
            }
            for number in numbers
        ]
        bodies.append(json.dumps({"items": items, "mode": "merge"}).encode())
    return bodies


def search_terms(words: Words, how_many: int) -> list[str]:
    """Substrings of 3-6 characters of names that were seeded."""
    rnd = random.Random(7)
    terms = []
    while len(terms) < how_many:
        name = words.name(rnd)
        length = rnd.randint(3, 6)
        start = rnd.randrange(0, len(name) - length + 1)
        term = name[start : start + length]
        if term.strip() == term:
            terms.append(term)
    return terms


def run(count: int, concurrency: int, home: Path, seeded: bool) -> list[tuple[str, str, str]]:
    """Seed (unless the home is already `seeded`), then measure."""
    words = Words(seed=1)
    bodies = [] if seeded else payloads(words, count)
    process, port, token = start_server(home)
    api = Api(port, token)
    try:
        calls = len(bodies)
        cpu_before, written_before = server_work(process.pid)
        rate = seed(api, bodies, concurrency) if bodies else None
        cpu_after, written_after = server_work(process.pid)
        del bodies[:]
        count = api.request("GET", "/v1/entities?limit=1")["total"]
        update_rate = seed(api, update_payloads(words, count, UPDATE_CALLS), concurrency)
        depth = min(900_000, count - 100)
        deep_cursor = api.request("GET", f"/v1/entities?limit=50&offset={depth - 50}")[
            "next_cursor"
        ]
        terms = search_terms(words, 20)
        tags = random.Random(3).sample(words.tags, 20)
        searches = {
            "q": [f"/v1/entities?limit=50&q={quote(term, safe='')}" for term in terms],
            "tag": [f"/v1/entities?limit=50&tag={tag}" for tag in tags],
        }
        latency = api.medians_ms(
            {
                "ping": ["/v1/ping"],
                "first": ["/v1/entities?limit=50"],
                "deep": [f"/v1/entities?limit=50&cursor={deep_cursor}"],
            },
            rounds=300,
        )
        latency.update(api.medians_ms(searches, rounds=5))
        hits = {
            name: statistics.median(api.request("GET", path)["total"] for path in paths)
            for name, paths in searches.items()
        }
        db_bytes = sum(
            path.stat().st_size for path in (home / "db").glob("core.sqlite3*") if path.is_file()
        )
        rss = peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)
    ping, first, deep = latency["ping"], latency["first"], latency["deep"]
    return [
        ("entities in the database", f"{count:,}", ""),
        (
            "bulk-upsert rate",
            f"{rate:,.0f} entities/s" if rate else "(not seeded here)",
            ">= 20,000/s",
        ),
        (
            f"bulk-upsert merge into existing entities ({UPDATE_CALLS} calls)",
            f"{update_rate:,.0f} entities/s",
            "",
        ),
        ("GET /v1/ping median", f"{ping:.2f} ms", "reference"),
        (
            "first page (limit=50) median",
            f"{first:.2f} ms = {first / ping:.2f}x ping",
            "<= 3x ping",
        ),
        (
            f"cursor page at depth {depth:,} median",
            f"{deep:.2f} ms = {deep / first:.2f}x first page",
            "<= 1.5x first page",
        ),
        (
            f"q= median (20 terms of 3-6 chars, median {hits['q']:,.0f} hits)",
            f"{latency['q']:.2f} ms",
            "< 50 ms",
        ),
        (
            f"tag= median (20 tags, median {hits['tag']:,.0f} hits)",
            f"{latency['tag']:.2f} ms",
            "< 50 ms",
        ),
        ("database size (db + wal)", f"{db_bytes / 2**20:,.0f} MiB", ""),
        ("server peak RSS (VmHWM)", f"{rss:,.0f} MiB", ""),
        (
            "server CPU per bulk call (10,000 entities)",
            f"{(cpu_after - cpu_before) / calls * 1000:,.0f} ms" if calls else "-",
            "",
        ),
        (
            "bytes written to disk per bulk call",
            f"{(written_after - written_before) / calls / 2**20:,.1f} MiB" if calls else "-",
            "",
        ),
    ]


def print_table(rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    header = ("measure", "result", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="entities to seed")
    parser.add_argument("--concurrency", type=int, default=2, help="bulk calls in flight")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument(
        "--reuse", type=Path, help="measure a home kept by an earlier --keep run, without seeding"
    )
    args = parser.parse_args()
    if args.count < 1000:
        parser.error("--count must be at least 1000")
    if args.reuse:
        print_table(run(args.count, args.concurrency, args.reuse, seeded=True))
        return
    home = Path(tempfile.mkdtemp(prefix="faceforge-bench-")) / "home"
    try:
        print_table(run(args.count, args.concurrency, home, seeded=False))
    finally:
        if args.keep:
            print(f"home kept at {home}", file=sys.stderr)
        else:
            shutil.rmtree(home.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
