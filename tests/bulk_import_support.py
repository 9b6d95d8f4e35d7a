"""Helpers for the tests of bulk import: a tree with every case, running an import through the
API and reading what it did."""

from pathlib import Path

from tests.support import wait_until

A, B, C, D = b"alpha bytes", b"bravo bytes", b"charlie bytes", b"delta bytes"
BROKEN, DEEP, NESTED = b"broken sidecar", "deep bytes é".encode(), b"nested bytes"


def make_tree(root: Path) -> Path:
    """Every case at once: four sidecar spellings, an empty file, duplicate content, a broken
    sidecar, nested folders, a non-ASCII name, hidden entries."""
    files = {
        "a.jpg": A,
        "a.jpg_meta.json": b'{"who": "a"}',
        "b.png": B,
        "b.png._meta.json": b'{"who": "b"}',
        "c.txt": C,
        "c_meta.json": b'{"who": "c"}',
        "d.bin": D,
        "d._meta.json": b'{"who": "d"}',
        "empty.dat": b"",
        "dup-of-a.jpg": A,
        "broken.gif": BROKEN,
        "broken.gif_meta.json": b"{not json",
        "nested/x.txt": NESTED,
        "nested/x.txt_meta.json": b'{"who": "x, first spelling"}',
        "nested/x_meta.json": b'{"who": "x, third spelling"}',
        "nested/deeper/Ünïcødé 名前.png": DEEP,
        ".hidden": b"never imported",
        ".git/config": b"never imported either",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def run_import(client, **job_input) -> dict:
    job = client.post("/v1/assets/bulk-import", job_input).data
    return wait_for_end(client, job["job_id"])


def wait_for_end(client, job_id: str) -> dict:
    def finished():
        job = client.get(f"/v1/jobs/{job_id}").data
        return job if job["status"] in ("succeeded", "failed", "canceled") else None

    return wait_until(finished, timeout=30)


def file_lines(client, job_id: str) -> list[dict]:
    lines = client.get(f"/v1/jobs/{job_id}/log", query={"limit": 1000}).data["items"]
    return [line for line in lines if line["data"] and "file" in line["data"]]


def sidecars(asset: dict) -> list:
    return [e["Data"] for e in asset["meta"]["metadata"] if e["Source"] == "UserSidecar"]
