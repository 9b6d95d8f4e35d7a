"""Requests/s of GET /v1/ping (gate, Host check, envelope, access log) against a bare Bottle
hello route on Waitress, started the same way and driven by the same client in the same run.

    python bench/overhead.py [--seconds 10] [--connections 8]

The client is `wrk` when installed (apt-get install wrk), else a keep-alive Python client.
Target: ratio >= 0.7.
"""

import argparse
import http.client
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from urllib.parse import urlsplit

from _harness import median, print_table, running_faceforge

BARE_APP = textwrap.dedent(
    """
    import bottle
    from faceforge.server import THREADS
    import waitress
    app = bottle.Bottle()
    @app.get("/hello")
    def hello():
        return {"hello": "world"}
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=THREADS)
    print(f"FaceForge listening on http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()
    """
)


def wrk_rate(url: str, headers: dict, seconds: int, connections: int) -> float:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def python_rate(url: str, headers: dict, seconds: int, connections: int) -> float:
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    counts = [0] * connections

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < deadline:
            connection.request("GET", parts.path, headers=headers)
            reply = connection.getresponse()
            reply.read()
            assert reply.status == 200, reply.status
            counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=2, help="length of one burst")
    parser.add_argument("--rounds", type=int, default=7, help="bursts per server, interleaved")
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()
    measure = wrk_rate if shutil.which("wrk") else python_rate
    client = "wrk" if shutil.which("wrk") else "python http.client"
    bare_command = [sys.executable, "-c", BARE_APP]
    bare_rates, our_rates = [], []
    # Both servers run at once and take turns, so load from elsewhere hits both alike.
    with (
        running_faceforge(bare_command) as (bare_url, _, _),
        running_faceforge() as (url, token, _),
    ):
        for _ in range(options.rounds):
            bare_rates.append(
                measure(f"{bare_url}/hello", {}, options.seconds, options.connections)
            )
            our_rates.append(
                measure(
                    f"{url}/v1/ping",
                    {"X-FaceForge-Token": token},
                    options.seconds,
                    options.connections,
                )
            )
    bare, ours = median(bare_rates), median(our_rates)
    print_table(
        f"GET requests/s, median of {options.rounds} interleaved {options.seconds} s bursts,"
        f" {options.connections} connections ({client})",
        ("server", "req/s", "ratio"),
        [
            ("bare Bottle on Waitress /hello", f"{bare:.0f}", "1.00"),
            ("FaceForge /v1/ping", f"{ours:.0f}", f"{ours / bare:.2f} (target >= 0.7)"),
        ],
    )


if __name__ == "__main__":
    main()
