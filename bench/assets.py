"""Asset throughput against same-run references: `python bench/assets.py [--size-mib 1024]`.

Everything runs on loopback in a temp folder that is removed at the end; `--only PART`
(repeatable) runs some of the parts, by default all:
- `uploads`: single-request uploads (curl multipart, curl raw) vs `cp` then `sync` of the same
  file, with the server's peak RSS read from /proc;
- `tus`: a tus upload with tuspy in PATCHes of the advertised `FaceForge-Chunk-Size` vs
  `cp` + `sync` (target >= 0.6x); the server's peak RSS while 4 tuspy clients upload the file
  at once (target <= 96 MiB); a --resume-size-mib upload whose client process is killed at
  25, 50 and 75 % and resumed by a new one each time: the asset must hash as the file, and
  the bytes sent twice are reported;
- `downloads`: downloads through FaceForge vs the same file served by nginx (sendfile on),
  fetched by curl to /dev/null: the whole file, a 256 MiB suffix range, and 8 parallel
  64 MiB slices;
- `s3`: an S3 (SeaweedFS) download through FaceForge vs boto3 `download_fileobj` of the same object.
Each timing is the best of --runs, except downloads: those run --runs rounds of FaceForge
then nginx, print every round, and show the median of each side. Ratios > 1 mean FaceForge
was faster. The machine may be shared with other work, so compare ratios, not absolute
rates.
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _tus_upload import tus_upload  # noqa: E402  (bench/, the script's folder, is on the path)

from faceforge import runtime  # noqa: E402
from faceforge.storage.seaweed import GRPC_OFFSET, ManagedSeaweed  # noqa: E402

MIB = 1024 * 1024
PARTS = ("uploads", "tus", "downloads", "s3")
TUS_CLIENT = Path(__file__).with_name("_tus_upload.py")
PARALLEL_TUS_CLIENTS = 4
KILL_AT = (0.25, 0.5, 0.75)  # fractions of the file uploaded when the client is killed
NGINX_CONFIG = """
worker_processes auto;
daemon off;
error_log {prefix}/error.log;
pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


def free_port(avoid_grpc_clash: bool = False) -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not avoid_grpc_clash or port + GRPC_OFFSET <= 65535:
            return port


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def best_of(runs: int, action) -> float:
    """Shortest wall time of `runs` calls of `action`."""
    return min(timed(action) for _ in range(runs))


def curl(*arguments: str) -> None:
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", *arguments], check=True)


def write_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(size // (16 * MIB)):
            handle.write(os.urandom(16 * MIB))


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


class Core:
    """FaceForge as a child process; with a SeaweedFS, kind `s3` is routed to it."""

    def __init__(self, home: Path, seaweed: ManagedSeaweed | None = None):
        (home / "config").mkdir(parents=True)
        core_json = {}
        if seaweed is not None:
            self.s3_settings = {
                "enabled": True,
                "endpoint_url": seaweed.endpoint_url,
                "access_key": seaweed.access_key,
                "secret_key": seaweed.secret_key,
                "bucket": "faceforge-bench",
                "region": "us-east-1",
                "use_ssl": False,
            }
            routing = {"kind_map": {"s3": "s3"}}
            core_json = {"storage": {"routing": routing, "s3": self.s3_settings}}
        (home / "config" / "core.json").write_text(json.dumps(core_json))
        env = {**os.environ, "FACEFORGE_HOME": str(home)}
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "faceforge.py"), "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = self.process.stdout.readline().strip().rsplit(" ", 1)[1]
        self.token = json.loads((home / "config" / "core.json").read_text())["auth"][
            "install_token"
        ]
        self.header = f"X-FaceForge-Token: {self.token}"
        self.tus_endpoint = f"{self.url}/v1/uploads"

    def tus_headers(self, method: str, url: str):
        """The reply headers of a tus request without a body (OPTIONS, HEAD)."""
        headers = {"X-FaceForge-Token": self.token, "Tus-Resumable": "1.0.0"}
        request = urllib.request.Request(url, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.headers

    def chunk_size(self) -> int:
        return int(self.tus_headers("OPTIONS", self.tus_endpoint)["FaceForge-Chunk-Size"])

    def upload_offset(self, upload_url: str) -> int:
        return int(self.tus_headers("HEAD", upload_url)["Upload-Offset"])

    def download_sha256(self, asset_id: str) -> str:
        url = f"{self.url}/v1/assets/{asset_id}/download"
        request = urllib.request.Request(url, headers={"X-FaceForge-Token": self.token})
        with urllib.request.urlopen(request, timeout=30) as reply:
            return hashlib.file_digest(reply, "sha256").hexdigest()

    def upload(self, path: Path, *, raw: bool, kind: str = "file") -> dict:
        target = f"{self.url}/v1/assets/upload?kind={kind}"
        if raw:
            command = [
                "-X",
                "POST",
                "-T",
                str(path),
                "-H",
                "Content-Type: application/octet-stream",
                f"{target}&filename={path.name}",
            ]
        else:
            command = ["-F", f"file=@{path}", target]
        reply = subprocess.run(
            ["curl", "-sS", "-f", "-H", self.header, *command],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(reply.stdout)["data"]

    def forget(self, asset_id: str) -> None:
        """Delete and purge, so the next upload of the same bytes stores them anew."""
        for arguments in (
            ["-X", "DELETE", f"{self.url}/v1/assets/{asset_id}"],
            [
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                '{"older_than_days": 0}',
                f"{self.url}/v1/admin/purge",
            ],
        ):
            curl("-H", self.header, *arguments)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def start_nginx(prefix: Path, root: Path) -> tuple[subprocess.Popen, int]:
    prefix.mkdir()
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(prefix=prefix, port=port, root=root))
    process = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(config)], stderr=subprocess.DEVNULL
    )
    wait_for_port(port)
    return process, port


def start_seaweed(folder: Path) -> ManagedSeaweed:
    settings = {
        "enabled": True,
        **{f"{name}_port": free_port(True) for name in ("master", "volume", "filer", "s3")},
    }
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "core.json").write_text(json.dumps({"seaweed": settings}))
    seaweed = ManagedSeaweed(runtime.prepare(folder, {}))
    seaweed.start()
    return seaweed


def parallel_slices(url: str, header: list[str], size: int, slices: int, slice_bytes: int):
    def fetch(number: int) -> None:
        start = (number * slice_bytes) % max(size - slice_bytes, 1)
        curl(*header, "-r", f"{start}-{start + slice_bytes - 1}", url)

    def run() -> None:
        with ThreadPoolExecutor(slices) as pool:
            list(pool.map(fetch, range(slices)))

    return run


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def copy_and_sync(source: Path, copy_target: Path):
    def run() -> None:
        subprocess.run(["cp", str(source), str(copy_target)], check=True)
        subprocess.run(["sync", str(copy_target)], check=True)
        copy_target.unlink()

    return run


def upload_rows(core: Core, source: Path, size: int, runs: int, copy_seconds: float):
    rows = []
    for label, raw in (("upload multipart (curl -F)", False), ("upload raw (curl -T)", True)):

        def upload_once(raw=raw) -> None:
            asset = core.upload(source, raw=raw)
            core.forget(asset["asset_id"])

        seconds = best_of(runs, upload_once)
        rows.append((label, size / seconds, "cp + sync", size / copy_seconds))
    return rows


def download_rows(core: Core, nginx_port: int, size: int, runs: int, asset: dict):
    ours = f"{core.url}/v1/assets/{asset['asset_id']}/download"
    theirs = f"http://127.0.0.1:{nginx_port}/{asset['storage_key']}"
    token = ["-H", core.header]
    curl(*token, ours)
    curl(theirs)
    suffix = 256 * MIB
    slice_bytes = 64 * MIB
    rows = []
    for label, ours_run, theirs_run, moved in (
        ("download full", lambda: curl(*token, ours), lambda: curl(theirs), size),
        (
            "download 256 MiB suffix",
            lambda: curl(*token, "-r", f"-{suffix}", ours),
            lambda: curl("-r", f"-{suffix}", theirs),
            suffix,
        ),
        (
            "8 parallel 64 MiB ranges",
            parallel_slices(ours, token, size, 8, slice_bytes),
            parallel_slices(theirs, [], size, 8, slice_bytes),
            8 * slice_bytes,
        ),
    ):
        mine, reference = alternating_rates(label, runs, moved, ours_run, theirs_run)
        rows.append((label, mine, "nginx sendfile", reference))
    return rows


def alternating_rates(label: str, runs: int, moved: int, ours, theirs) -> tuple[float, float]:
    """`runs` rounds of ours then theirs (seconds apart, whatever the machine does between
    rounds), each round printed; the median rate of each side."""
    mine, reference = [], []
    for number in range(1, runs + 1):
        mine.append(moved / timed(ours))
        reference.append(moved / timed(theirs))
        print(
            f"{label}, round {number}: {mine[-1] / MIB:,.0f} vs {reference[-1] / MIB:,.0f}"
            f" MiB/s = {mine[-1] / reference[-1]:.2f}",
            file=sys.stderr,
        )
    return statistics.median(mine), statistics.median(reference)


def parallel_tus_seconds(core: Core, source: Path, chunk_size: int) -> float:
    """Wall time of PARALLEL_TUS_CLIENTS threads uploading `source`, each its own tuspy client."""

    def upload(_) -> None:
        tus_upload(core.tus_endpoint, core.token, source, chunk_size)

    started = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL_TUS_CLIENTS) as pool:
        list(pool.map(upload, range(PARALLEL_TUS_CLIENTS)))
    return time.perf_counter() - started


def wait_for_offset(core: Core, upload_url: str, target: float, child: subprocess.Popen) -> None:
    while core.upload_offset(upload_url) < target:
        if child.poll() is not None:
            raise RuntimeError(f"the tus client ended (exit {child.returncode}) before {target}")
        time.sleep(0.02)


def settled_offset(core: Core, upload_url: str) -> int:
    """The offset once it stops moving: a killed client's last PATCH may still be written
    if its whole body had arrived, and the next client must start after it."""
    offset = core.upload_offset(upload_url)
    while True:
        time.sleep(0.5)
        previous, offset = offset, core.upload_offset(upload_url)
        if offset == previous:
            return offset


def tus_child(core: Core, source: Path, chunk_size: int, upload_url: str | None):
    """bench/_tus_upload.py as a child process; it prints the upload's URL, then the asset id."""
    command = [sys.executable, str(TUS_CLIENT), core.tus_endpoint, core.token, str(source)]
    command += [str(chunk_size), *([upload_url] if upload_url else [])]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def interrupted_tus_upload(core: Core, source: Path, chunk_size: int) -> tuple[str, int]:
    """Upload `source` by a tuspy child process that is killed when the server's offset
    passes each of KILL_AT, each time resumed by a new child from the server's offset;
    (the asset id, the bytes the children sent). A killed child's PATCH in flight is counted
    whole, as sent: an upper bound."""
    size = source.stat().st_size
    upload_url = None
    offset = 0
    sent = 0
    for fraction in KILL_AT:
        with tus_child(core, source, chunk_size, upload_url) as child:
            upload_url = child.stdout.readline().strip()
            wait_for_offset(core, upload_url, fraction * size, child)
            child.kill()
        offset_after = settled_offset(core, upload_url)
        sent += offset_after - offset + min(chunk_size, size - offset_after)
        offset = offset_after
    with tus_child(core, source, chunk_size, upload_url) as child:
        child.stdout.readline()  # the upload's URL, known already
        asset_id = child.stdout.readline().strip()
    if child.returncode != 0:
        raise RuntimeError(f"the last tus client failed (exit {child.returncode})")
    return asset_id, sent + size - offset


def tus_part(start_core, work: Path, source: Path, args, copy_seconds: float):
    """The tus row and notes: one upload vs cp + sync, the peak RSS of parallel uploads,
    an upload interrupted by killing its client."""
    size = source.stat().st_size
    core = start_core(work / "home-tus")
    chunk_size = core.chunk_size()

    def upload_once() -> None:
        core.forget(tus_upload(core.tus_endpoint, core.token, source, chunk_size))

    seconds = best_of(args.runs, upload_once)
    label = f"tus upload (tuspy, {chunk_size // MIB} MiB)"
    row = (label, size / seconds, "cp + sync", size / copy_seconds)
    single_rss = peak_rss_mib(core.process.pid)
    big_source = work / "big.bin"
    write_random_file(big_source, args.resume_size_mib * MIB)
    asset_id, sent = interrupted_tus_upload(core, big_source, chunk_size)
    identical = core.download_sha256(asset_id) == sha256_of(big_source)
    big_source.unlink()
    core.stop()

    parallel_core = start_core(work / "home-tus-parallel")
    parallel_seconds = parallel_tus_seconds(parallel_core, source, chunk_size)
    rss = peak_rss_mib(parallel_core.process.pid)
    parallel_core.stop()
    kills = "/".join(f"{fraction:.0%}" for fraction in KILL_AT)
    notes = [
        f"server peak RSS during one tus upload at a time: {single_rss:.1f} MiB",
        f"server peak RSS during {PARALLEL_TUS_CLIENTS} parallel {args.size_mib} MiB tus"
        f" uploads: {rss:.1f} MiB (target <= 96), together"
        f" {PARALLEL_TUS_CLIENTS * size / parallel_seconds / MIB:.0f} MiB/s",
        f"{args.resume_size_mib} MiB tus upload, client killed at {kills}:"
        f" asset sha256 {'=' if identical else '!='} file sha256;"
        f" {(sent - args.resume_size_mib * MIB) / MIB:.1f} MiB sent twice"
        " (the killed clients' PATCHes in flight counted whole)",
    ]
    return row, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--resume-size-mib", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", choices=PARTS, help="repeatable; default all")
    args = parser.parse_args()
    parts = args.only or PARTS
    size = args.size_mib * MIB
    # nginx serves the downloads part's reference; every part talks to Core through curl.
    for tool in ("curl", "nginx") if "downloads" in parts else ("curl",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for this benchmark")
    work = Path(tempfile.mkdtemp(prefix="faceforge-bench-"))
    work.chmod(0o755)
    processes = []
    rows = []
    notes = []

    def start_core(home: Path, seaweed: ManagedSeaweed | None = None) -> Core:
        core = Core(home, seaweed)
        processes.append(core.process)
        return core

    try:
        source = work / "random.bin"
        write_random_file(source, size)
        if "uploads" in parts or "tus" in parts:
            copy_seconds = best_of(args.runs, copy_and_sync(source, work / "copy.bin"))
        if "uploads" in parts:
            # Without S3 configured, so that boto3 (imported only for S3) is not in the RSS.
            core = start_core(work / "home")
            rows += upload_rows(core, source, size, args.runs, copy_seconds)
            rss = peak_rss_mib(core.process.pid)
            notes.append(f"server peak RSS during single-request uploads: {rss:.1f} MiB")
            core.stop()
        if "tus" in parts:
            tus_row, tus_notes = tus_part(start_core, work, source, args, copy_seconds)
            rows.append(tus_row)
            notes += tus_notes
        if "downloads" in parts:
            core = start_core(work / "home-downloads")
            asset = core.upload(source, raw=True)
            nginx, nginx_port = start_nginx(work / "nginx", work / "home-downloads" / "assets")
            processes.append(nginx)
            rows += download_rows(core, nginx_port, size, args.runs, asset)
            core.stop()
        if "s3" in parts:
            seaweed = start_seaweed(work / "seaweed")
            try:
                s3_core = start_core(work / "home-s3", seaweed)
                rows.append(s3_row(s3_core, source, size, args.runs))
                s3_core.stop()
            finally:
                seaweed.stop()
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{args.size_mib} MiB file, best of {args.runs} (downloads: medians of"
        f" {args.runs} rounds); machine possibly shared.\n"
    )
    print(f"| {'measurement':30} | FaceForge MiB/s | reference        | ref MiB/s | ratio |")
    print(f"|{'-' * 32}|-----------------|------------------|-----------|-------|")
    for label, mine, reference_label, reference in rows:
        print(
            f"| {label:30} | {mine / MIB:15.0f} | {reference_label:16} | {reference / MIB:9.0f} |"
            f" {mine / reference:5.2f} |"
        )
    print("", *notes, sep="\n")
    return 0


def s3_row(core: Core, source: Path, size: int, runs: int):
    from faceforge.storage.s3 import make_client

    asset = core.upload(source, raw=True, kind="s3")
    assert asset["storage_provider"] == "s3", asset
    bucket, key = asset["storage_key"].split(":", 1)
    client = make_client(core.s3_settings, 5, 60, 3)

    def direct() -> None:
        with open(os.devnull, "wb") as sink:
            client.download_fileobj(bucket, key, sink)

    url = f"{core.url}/v1/assets/{asset['asset_id']}/download"
    mine = size / best_of(runs, lambda: curl("-H", core.header, url))
    reference = size / best_of(runs, direct)
    client.close()
    return ("S3 download through Core", mine, "boto3 direct", reference)


if __name__ == "__main__":
    sys.exit(main())
