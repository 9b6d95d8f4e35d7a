"""Resumable uploads (tus 1.0.0, API.md §9) against a real server: tuspy as the client, the
protocol's steps by hand, and every error code, each leaving the upload's offset unchanged."""

import hashlib
import os
import socket
from datetime import UTC, datetime

import pytest

from tests.assets_support import upload_raw
from tests.support import write_core_json
from tests.tus_support import (
    OFFSET_TYPE,
    TUS,
    checksum,
    create,
    head,
    offset_of,
    patch,
    path_of,
    tus_client,
)


def new_entity(client) -> str:
    return client.post("/v1/entities", {"display_name": "Ada"}).data["entity_id"]


def upload_files(server) -> list[str]:
    return sorted(path.name for path in (server.home / "uploads").iterdir())


def test_tuspy_upload_becomes_a_linked_asset_with_its_sidecar(server, tmp_path):
    entity_id = new_entity(server.client)
    source = tmp_path / "clip.mp4"
    data = os.urandom(3 * 2**20 + 123)
    source.write_bytes(data)
    metadata = {
        "filename": "clip.mp4",
        "filetype": "video/mp4",
        "kind": "video",
        "entity_id": entity_id,
        "role": "reference",
        "meta": '{"source": "camera"}',
    }
    with open(source, "rb") as stream:  # tuspy leaves a file it opened itself open
        uploader = tus_client(server.url, server.token).uploader(
            file_stream=stream, chunk_size=2**20, metadata=metadata, upload_checksum=True
        )
        uploader.upload()

    reply_headers = {
        name.lower(): value for name, value in uploader.request.response_headers.items()
    }
    asset_id = reply_headers["faceforge-asset-id"]
    assert asset_id == hashlib.sha256(data).hexdigest()
    asset = server.client.get(f"/v1/assets/{asset_id}").data
    assert (asset["filename"], asset["mime_type"], asset["kind"]) == (
        "clip.mp4",
        "video/mp4",
        "video",
    )
    assert asset["meta"]["metadata"][0]["Data"] == {"source": "camera"}
    linked = server.client.get(f"/v1/entities/{entity_id}/assets").data["items"]
    assert [(item["asset_id"], item["role"]) for item in linked] == [(asset_id, "reference")]
    assert server.client.get(f"/v1/assets/{asset_id}/download").body == data
    upload_view = server.client.get(uploader.url.removeprefix(server.url)).data
    assert (upload_view["asset_id"], upload_view["upload_offset"]) == (asset_id, len(data))
    assert server.client.get("/v1/uploads").data["items"] == []
    assert not any(name.endswith(".bin") for name in upload_files(server))


def test_options_advertises_the_protocol_and_the_chunk_size(server):
    reply = server.client.request("OPTIONS", "/v1/uploads")
    assert reply.status == 204
    assert reply.headers["Tus-Version"] == "1.0.0"
    assert reply.headers["Tus-Resumable"] == "1.0.0"
    extensions = set(reply.headers["Tus-Extension"].split(","))
    assert extensions == {
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    }
    assert reply.headers["Tus-Checksum-Algorithm"] == "sha1,md5,sha256"
    assert int(reply.headers["Tus-Max-Size"]) == 2**40
    assert int(reply.headers["FaceForge-Chunk-Size"]) == 8 * 2**20


def test_options_needs_the_token_like_every_other_route(server):
    assert server.anonymous.request("OPTIONS", "/v1/uploads").status == 401


def test_protocol_steps_by_hand_with_creation_with_upload(server):
    data = b"0123456789" * 1000
    created = create(server.client, len(data), body=data[:4000])
    assert created.status == 201
    assert created.headers["Upload-Offset"] == "4000"
    expires = datetime.strptime(created.headers["Upload-Expires"], "%a, %d %b %Y %H:%M:%S GMT")
    assert expires.replace(tzinfo=UTC) > datetime.now(UTC)
    path = path_of(created)
    described = head(server.client, path)
    assert described.headers["Upload-Length"] == str(len(data))
    assert described.headers["Cache-Control"] == "no-store"
    assert described.headers["Upload-Metadata"] == "filename ZmlsZS5iaW4="
    listed = server.client.get("/v1/uploads").data["items"]
    assert [(item["upload_offset"], item["asset_id"]) for item in listed] == [(4000, None)]

    done = patch(
        server.client, path, 4000, data[4000:], {"Upload-Checksum": checksum("md5", data[4000:])}
    )
    assert done.status == 204
    assert done.headers["Upload-Offset"] == str(len(data))
    assert done.headers["FaceForge-Asset-Id"] == hashlib.sha256(data).hexdigest()


def test_termination_removes_the_bytes(server):
    path = path_of(create(server.client, 100, body=b"x" * 50))
    reply = server.client.request("DELETE", path, headers=TUS)
    assert reply.status == 204
    assert head(server.client, path).status == 404
    assert server.client.get(path).status == 404
    assert upload_files(server) == []


def test_a_tus_upload_of_known_bytes_is_the_existing_asset(server):
    data = os.urandom(5000)
    existing = upload_raw(server.client, data, "first.bin").data
    path = path_of(create(server.client, len(data), {"filename": "again.bin"}))
    reply = patch(server.client, path, 0, data)
    assert reply.headers["FaceForge-Asset-Id"] == existing["asset_id"]
    assert server.client.get("/v1/assets").data["total"] == 1


def test_a_patch_larger_than_the_chunk_size_is_hashed_whole(server):
    """Past the advertised size Waitress spools the body, and the store reads it in many more
    pieces than its hashing thread queues: the asset id and the checksum still cover it all."""
    data = os.urandom(12 * 2**20)
    path = path_of(create(server.client, len(data), body=data[: 2**20]))
    rest = data[2**20 :]
    wrong = patch(server.client, path, 2**20, rest, {"Upload-Checksum": checksum("sha1", b"x")})
    assert wrong.status == 460
    assert offset_of(server.client, path) == 2**20
    done = patch(server.client, path, 2**20, rest, {"Upload-Checksum": checksum("sha1", rest)})
    assert done.status == 204
    assert done.headers["FaceForge-Asset-Id"] == hashlib.sha256(data).hexdigest()


def age_past_expiry(server, path: str) -> str:
    """Set the upload's last write 25 hours back (expiry is 24 hours after it); its id."""
    upload_id = path.rsplit("/", 1)[1]
    data_path = server.home / "uploads" / f"{upload_id}.bin"
    long_ago = data_path.stat().st_mtime - 25 * 3600
    os.utime(data_path, (long_ago, long_ago))
    return upload_id


def test_an_expired_upload_is_gone_and_removed(server):
    path = path_of(create(server.client, 100, body=b"x" * 10))
    upload_id = age_past_expiry(server, path)
    assert head(server.client, path).status == 404
    assert patch(server.client, path, 10, b"y").status == 404
    assert server.client.get("/v1/uploads").data["items"] == []
    create(server.client, 10)  # creating sweeps expired uploads away
    assert not any(name.startswith(upload_id) for name in upload_files(server))


def test_expiry_follows_the_setting(start_server, home):
    write_core_json(home, {"uploads": {"expire_hours": 2}})
    server = start_server(home)
    path = path_of(create(server.client, 100))
    expires_at = datetime.strptime(
        server.client.get(path).data["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    hours = (expires_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds() / 3600
    assert 1.9 < hours <= 2


def test_a_refused_finish_keeps_the_bytes(server):
    entity_id = new_entity(server.client)
    data = os.urandom(1000)
    path = path_of(create(server.client, len(data), {"filename": "a.bin", "entity_id": entity_id}))
    server.client.delete(f"/v1/entities/{entity_id}")
    reply = patch(server.client, path, 0, data)
    assert reply.status == 404
    assert reply.error["details"][0]["msg"] == "no such entity"
    assert offset_of(server.client, path) == len(data)
    assert server.client.get("/v1/assets").data["total"] == 0


def test_a_connection_dropped_mid_patch_keeps_none_of_its_bytes(server):
    """Waitress hands a request to the app only once its whole body has arrived, so the bytes
    of a PATCH cut short never reach the upload: the offset stays at the last 204."""
    data = os.urandom(200_000)
    path = path_of(create(server.client, len(data), body=data[:50_000]))
    head_lines = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-FaceForge-Token: {server.token}\r\n"
        "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Offset: 50000\r\nContent-Length: 150000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(head_lines.encode() + data[50_000:125_000])
    assert offset_of(server.client, path) == 50_000
    reply = patch(server.client, path, 50_000, data[50_000:])
    assert reply.headers["FaceForge-Asset-Id"] == hashlib.sha256(data).hexdigest()


# --- every error code; each leaves the upload where it was --------------------------------


@pytest.fixture
def half_done(server):
    """An upload of 1000 bytes with 400 received: (path, the 1000 bytes)."""
    data = os.urandom(1000)
    path = path_of(create(server.client, len(data), body=data[:400]))
    return path, data


def assert_still_at_400(server, path):
    assert offset_of(server.client, path) == 400


def test_missing_tus_resumable_is_412_naming_the_version(server, half_done):
    path, data = half_done
    reply = server.client.request(
        "PATCH", path, body=data[400:], headers={**OFFSET_TYPE, "Upload-Offset": "400"}
    )
    assert reply.status == 412
    assert reply.headers["Tus-Version"] == "1.0.0"
    assert reply.error["code"] == "client_error"
    assert_still_at_400(server, path)


def test_wrong_offset_is_409(server, half_done):
    path, data = half_done
    reply = patch(server.client, path, 300, data[300:])
    assert reply.status == 409
    assert reply.error["code"] == "conflict"
    assert_still_at_400(server, path)


def test_wrong_content_type_is_415(server, half_done):
    path, data = half_done
    reply = patch(server.client, path, 400, data[400:], {"Content-Type": "application/json"})
    assert reply.status == 415
    assert reply.error["message"] == "Content-Type must be application/offset+octet-stream"
    assert_still_at_400(server, path)


def test_bytes_beyond_the_length_are_413_and_not_kept(server, half_done):
    path, data = half_done
    reply = patch(server.client, path, 400, data[400:] + b"extra")
    assert reply.status == 413
    assert reply.error["code"] == "payload_too_large"
    assert_still_at_400(server, path)


def test_bytes_beyond_the_length_sent_chunked_are_413_and_not_kept(server, half_done):
    path, data = half_done
    body = iter([data[400:700], data[700:] + b"extra"])
    headers = {**TUS, **OFFSET_TYPE, "Upload-Offset": "400"}  # an iterable goes chunked
    reply = server.client.request("PATCH", path, body=body, headers=headers)
    assert reply.status == 413
    assert_still_at_400(server, path)


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256"])
def test_checksum_mismatch_is_460_and_not_kept(server, half_done, algorithm):
    path, data = half_done
    wrong = checksum(algorithm, b"something else")
    reply = patch(server.client, path, 400, data[400:], {"Upload-Checksum": wrong})
    assert reply.status == 460
    assert reply.error["message"] == "Upload-Checksum does not match the bytes received"
    assert_still_at_400(server, path)
    right = checksum(algorithm, data[400:])
    assert patch(server.client, path, 400, data[400:], {"Upload-Checksum": right}).status == 204


def test_unknown_checksum_algorithm_is_400(server, half_done):
    path, data = half_done
    reply = patch(server.client, path, 400, data[400:], {"Upload-Checksum": "crc32 AAAA"})
    assert reply.status == 400
    assert reply.error["details"][0]["loc"] == ["header", "Upload-Checksum"]
    assert_still_at_400(server, path)


@pytest.mark.parametrize("upload_id", ["0" * 64, "not-an-id"])
def test_unknown_upload_is_404(server, upload_id):
    path = f"/v1/uploads/{upload_id}"
    for reply in (head(server.client, path), patch(server.client, path, 0, b"x")):
        assert reply.status == 404
        assert reply.headers["Tus-Resumable"] == "1.0.0"
    assert server.client.get(path).error["code"] == "not_found"
    assert server.client.request("DELETE", path, headers=TUS).status == 404


@pytest.mark.parametrize(
    ("metadata", "status", "message"),
    [
        ({"filename": "a.bin", "meta": "{"}, 422, "_meta.json must be valid JSON"),
        ({"filename": "a.bin", "meta": "null"}, 422, "_meta.json must be non-empty"),
        ({"filename": "a.bin", "entity_id": "0" * 64}, 404, "no such entity"),
        ({"filename": "a.bin", "derived_from": "0" * 64}, 404, "no such asset"),
        ({"filename": "a.bin", "role": "x"}, 422, "Upload-Metadata.role: needs entity_id"),
        ({"kind": "video"}, 422, "Upload-Metadata.filename: required"),
    ],
)
def test_bad_metadata_is_refused_before_any_byte(server, metadata, status, message):
    """The rules and messages of POST /v1/assets/upload; an unknown entity or source asset is
    404 here, as API.md §9 says of a missing resource (422 there)."""
    reply = create(server.client, 10, metadata, body=b"0123456789")
    assert reply.status == status
    assert reply.headers["Tus-Resumable"] == "1.0.0"
    assert message in reply.error["message"]
    assert upload_files(server) == []


@pytest.mark.parametrize(
    ("length", "status", "message"),
    [
        ("0", 422, "Uploaded file was empty"),
        ("-1", 400, "Upload-Length: must be a non-negative integer"),
        (None, 400, "Upload-Length: required"),
    ],
)
def test_bad_upload_length_is_refused(server, length, status, message):
    headers = {**TUS, "Upload-Metadata": "filename YS5iaW4="}
    if length is not None:
        headers["Upload-Length"] = length
    reply = server.client.post("/v1/uploads", headers=headers)
    assert (reply.status, reply.error["message"]) == (status, message)
    assert upload_files(server) == []


def test_upload_length_over_the_limit_is_413(start_server, home):
    write_core_json(home, {"limits": {"max_upload_bytes": 1000}})
    server = start_server(home)
    reply = create(server.client, 1001)
    assert reply.status == 413
    assert reply.error["message"] == "File is larger than the limit of 1000 bytes"
    assert upload_files(server) == []


def test_a_failed_creation_with_upload_keeps_nothing(server):
    reply = create(server.client, 10, body=b"0123", headers={"Upload-Checksum": "sha1 AAAA"})
    assert reply.status == 460
    assert upload_files(server) == []


def test_the_purge_removes_expired_uploads(server):
    age_past_expiry(server, path_of(create(server.client, 100, body=b"x" * 10)))
    assert server.client.post("/v1/admin/purge", {}).data["uploads_expired"] == 1
    assert upload_files(server) == []
