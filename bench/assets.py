"""Asset throughput against same-run references: `python bench/assets.py [--size-mib 1024]`.

Everything runs on loopback in a temp folder that is removed at the end:
- downloads through FaceForge vs the same file served by nginx (sendfile on), fetched by curl
  to /dev/null: the whole file, a 256 MiB suffix range, and 8 parallel 64 MiB slices;
- uploads (curl multipart, curl raw) vs `cp` then `sync` of the same file, with the server's
  peak RSS read from /proc;
- an S3 (SeaweedFS) download through FaceForge vs boto3 `download_fileobj` of the same object.
Each timing is the best of --runs. Ratios > 1 mean FaceForge was faster. The machine may be
shared with other work, so compare ratios, not absolute rates.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faceforge import runtime  # noqa: E402
from faceforge.storage.seaweed import GRPC_OFFSET, ManagedSeaweed  # noqa: E402

MIB = 1024 * 1024
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


def best_of(runs: int, action) -> float:
    """Shortest wall time of `runs` calls of `action`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * MIB
    for tool in ("curl", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for this benchmark")
    work = Path(tempfile.mkdtemp(prefix="faceforge-bench-"))
    work.chmod(0o755)
    processes = []
    rows = []
    try:
        source = work / "random.bin"
        write_random_file(source, size)
        # Without S3 configured, so that boto3 (imported only for S3) is not in the RSS.
        core = Core(work / "home")
        processes.append(core.process)

        # Uploads first, so that the peak RSS read afterwards is the uploads' peak.
        copy_target = work / "copy.bin"

        def copy_and_sync() -> None:
            subprocess.run(["cp", str(source), str(copy_target)], check=True)
            subprocess.run(["sync", str(copy_target)], check=True)
            copy_target.unlink()

        copy_seconds = best_of(args.runs, copy_and_sync)
        for label, raw in (("upload multipart (curl -F)", False), ("upload raw (curl -T)", True)):

            def upload_once(raw=raw) -> None:
                asset = core.upload(source, raw=raw)
                core.forget(asset["asset_id"])

            seconds = best_of(args.runs, upload_once)
            rows.append((label, size / seconds, "cp + sync", size / copy_seconds))
        upload_rss = peak_rss_mib(core.process.pid)

        asset = core.upload(source, raw=True)
        stored_root = work / "home" / "assets"
        nginx, nginx_port = start_nginx(work / "nginx", stored_root)
        processes.append(nginx)
        ours = f"{core.url}/v1/assets/{asset['asset_id']}/download"
        theirs = f"http://127.0.0.1:{nginx_port}/{asset['storage_key']}"
        token = ["-H", core.header]
        curl(*token, ours)
        curl(theirs)
        suffix = 256 * MIB
        slice_bytes = 64 * MIB
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
            mine = moved / best_of(args.runs, ours_run)
            reference = moved / best_of(args.runs, theirs_run)
            rows.append((label, mine, "nginx sendfile", reference))

        core.stop()
        seaweed = start_seaweed(work / "seaweed")
        try:
            s3_core = Core(work / "home-s3", seaweed)
            processes.append(s3_core.process)
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
    print(f"\n{args.size_mib} MiB file, best of {args.runs}; machine possibly shared.\n")
    print(f"| {'measurement':30} | FaceForge MiB/s | reference        | ref MiB/s | ratio |")
    print(f"|{'-' * 32}|-----------------|------------------|-----------|-------|")
    for label, mine, reference_label, reference in rows:
        print(
            f"| {label:30} | {mine / MIB:15.0f} | {reference_label:16} | {reference / MIB:9.0f} |"
            f" {mine / reference:5.2f} |"
        )
    print(f"\nserver peak RSS during uploads: {upload_rss:.1f} MiB")
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
