"""Helpers for the tus tests: protocol requests over our own client, and tuspy set up for a
server."""

import base64
import hashlib

from tusclient.client import TusClient

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = {"Content-Type": "application/offset+octet-stream"}


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
    )


def create(client, length: int, metadata: dict | None = None, headers=None, body=None):
    all_headers = {**TUS, "Upload-Length": str(length)}
    all_headers["Upload-Metadata"] = encode_metadata(metadata or {"filename": "file.bin"})
    if body is not None:
        all_headers.update(OFFSET_TYPE)
    all_headers.update(headers or {})
    return client.post("/v1/uploads", body=body, headers=all_headers)


def path_of(reply) -> str:
    location = reply.headers["Location"]
    assert location.startswith("/v1/uploads/"), location
    return location


def patch(client, path: str, offset: int, data: bytes, headers=None):
    all_headers = {**TUS, **OFFSET_TYPE, "Upload-Offset": str(offset), **(headers or {})}
    return client.request("PATCH", path, body=data, headers=all_headers)


def head(client, path: str):
    return client.request("HEAD", path, headers=TUS)


def offset_of(client, path: str) -> int:
    reply = head(client, path)
    assert reply.status == 200, reply.status
    return int(reply.headers["Upload-Offset"])


def checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def tus_client(server_url: str, token: str) -> TusClient:
    return TusClient(server_url + "/v1/uploads", headers={"X-FaceForge-Token": token})
