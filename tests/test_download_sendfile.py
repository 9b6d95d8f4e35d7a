"""A stored file goes out through `os.sendfile`: its bytes never pass through Python's memory
(issue 17, parallel ranges; docs/assets.md). The server runs in this process, so
`tracemalloc` sees what it allocates while the test reads the reply in small pieces."""

import hashlib
import http.client
import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.assets_support import patterned, upload

SIZE = 24 * 2**20
DATA = patterned(SIZE, seed=17)
READ_BYTES = 64 * 2**10

pytestmark = pytest.mark.skipif(not hasattr(os, "sendfile"), reason="no os.sendfile here")


def ranged_sha256(server, path: str, first: int, last: int) -> str:
    """The SHA-256 of one range, read from the socket READ_BYTES at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        headers = {"X-FaceForge-Token": server.token, "Range": f"bytes={first}-{last}"}
        connection.request("GET", path, headers=headers)
        reply = connection.getresponse()
        assert reply.status == 206
        digest = hashlib.sha256()
        while piece := reply.read(READ_BYTES):
            digest.update(piece)
        return digest.hexdigest()
    finally:
        connection.close()


def test_parallel_ranges_are_exact_and_not_copied_through_python(server):
    asset = upload(server.client, DATA, "big.bin").data
    path = f"/v1/assets/{asset['asset_id']}/download"
    slices = [(start, start + SIZE // 4 - 1) for start in range(0, SIZE, SIZE // 4)]
    tracemalloc.start()
    try:
        with ThreadPoolExecutor(len(slices)) as pool:
            digests = list(pool.map(lambda bounds: ranged_sha256(server, path, *bounds), slices))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digests == [hashlib.sha256(DATA[first : last + 1]).hexdigest() for first, last in slices]
    # Read and sent by Python, each connection held pieces of its send buffer's size (2 MiB
    # here) at a time: 13 MB at the peak. Sent by the kernel, 1.6 MB (the readers' own).
    assert peak < 4 * 2**20, f"{peak} bytes allocated at the peak"
