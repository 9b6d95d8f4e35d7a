"""API.md §5.1: streaming upload, dedupe and restore, sidecars, links, and bad input that
leaves no row, no stored file and no temp file behind."""

import gc
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.assets_support import (
    CHUNK,
    NOTHING,
    delete_entity,
    events_of,
    insert_entity,
    leftovers,
    multipart_body,
    multipart_headers,
    patterned,
    sha256,
    upload,
    upload_raw,
)
from tests.support import write_core_json

SIZES = [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345]


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size}B")
def test_multipart_round_trip_is_byte_identical(server, size):
    data = patterned(size, seed=size)
    reply = upload(server.client, data, "blob.bin", "application/x-test")
    asset = reply.data
    assert asset["asset_id"] == asset["content_hash"] == sha256(data)
    assert asset["byte_size"] == size
    assert asset["filename"] == "blob.bin"
    assert asset["mime_type"] == "application/x-test"
    assert asset["storage_provider"] == "fs"
    assert asset["storage_key"] == f"files/{asset['asset_id'][:2]}/{asset['asset_id']}"
    stored = server.config.home.assets_dir / asset["storage_key"]
    assert stored.read_bytes() == data
    download = server.client.get(f"/v1/assets/{asset['asset_id']}/download")
    assert download.status == 200
    assert download.body == data
    assert leftovers(server)["tmp"] == []


@pytest.mark.parametrize("size", [1, CHUNK, CHUNK + 1], ids=lambda size: f"{size}B")
def test_raw_body_round_trip(server, size):
    data = patterned(size, seed=1000 + size)
    asset = upload_raw(server.client, data, "raw.safetensors").data
    assert asset["byte_size"] == size
    assert asset["filename"] == "raw.safetensors"
    assert asset["mime_type"] == "application/octet-stream"
    assert server.client.get(f"/v1/assets/{asset['asset_id']}/download").body == data


def test_raw_body_keeps_an_informative_content_type(server):
    asset = upload_raw(
        server.client, b"\x89PNG...", "x.bin", headers={"Content-Type": "image/png"}
    ).data
    assert asset["mime_type"] == "image/png"


def test_form_urlencoded_raw_body_is_treated_as_unknown(server):
    asset = upload_raw(
        server.client,
        b"a=b",
        "notes.txt",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).data
    assert asset["mime_type"] == "text/plain"


def test_kind_comes_from_the_query(server):
    asset = upload(server.client, b"lora", "x.safetensors", kind="lora").data
    assert asset["kind"] == "lora"
    assert upload(server.client, b"plain", "y.txt").data["kind"] == "file"


def test_missing_part_content_type_is_guessed_from_the_name(server):
    assert upload(server.client, b"<svg/>", "pic.svg").data["mime_type"] == "image/svg+xml"
    assert upload(server.client, b"??", "noext").data["mime_type"] == "application/octet-stream"


@pytest.mark.parametrize("send", [upload, upload_raw], ids=["multipart", "raw"])
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("/absolute/path/photo.jpg", "photo.jpg"),
        ("C:\\Users\\ann\\photo.jpg", "photo.jpg"),
        ("c:/Users/ann/photo.jpg", "photo.jpg"),
        ("\\\\server\\share\\a.jpg", "a.jpg"),
        ('say "cheese" \\ now.txt', 'say "cheese" \\ now.txt'),
        ("not\\a folder.txt", "not\\a folder.txt"),
        ("tab\there.txt", "tab_here.txt"),
        ('quote"d name.txt', 'quote"d name.txt'),
        ("日本語の名前.png", "日本語の名前.png"),
    ],
)
def test_filenames_keep_the_name_sent_without_a_leading_path(server, send, sent, stored):
    asset_id = send(server.client, sent.encode(), sent).data["asset_id"]
    asset = server.client.get(f"/v1/assets/{asset_id}").data
    assert asset["filename"] == stored
    assert leftovers(server)["assets"] == [asset["storage_key"]]


def test_same_bytes_again_return_the_existing_asset(server):
    first = upload(server.client, b"same bytes", "a.txt").data
    second = upload(server.client, b"same bytes", "b.txt", kind="other").data
    assert second["asset_id"] == first["asset_id"]
    assert second["filename"] == "a.txt"
    assert second["kind"] == "file"
    assert leftovers(server)["rows"] == [first["asset_id"]]
    assert [kind for kind, _ in events_of(server, first["asset_id"])].count("asset.created") == 1


def test_uploading_deleted_bytes_restores_the_asset(server):
    asset = upload(server.client, b"comes back", "c.txt").data
    assert server.client.delete(f"/v1/assets/{asset['asset_id']}").data == {"deleted": True}
    assert server.client.get(f"/v1/assets/{asset['asset_id']}").status == 404
    again = upload(server.client, b"comes back", "c.txt").data
    assert again["asset_id"] == asset["asset_id"]
    assert server.client.get(f"/v1/assets/{asset['asset_id']}").status == 200
    created = [
        data for kind, data in events_of(server, asset["asset_id"]) if kind == "asset.created"
    ]
    assert [json.loads(data) for data in created] == [
        {"kind": "file", "filename": "c.txt", "byte_size": 10, "restored": restored}
        for restored in (False, True)
    ]


def test_sidecar_is_stored_as_a_metadata_entry(server):
    asset = upload(server.client, b"with meta", "m.jpg", meta=b'{"rating": 5}').data
    sidecars = [e for e in asset["meta"]["metadata"] if e["Source"] == "UserSidecar"]
    assert sidecars == [
        {
            "Source": "UserSidecar",
            "Type": "JsonMetadata",
            "Name": "file_meta.json",
            "NameHashes": None,
            "Data": {"rating": 5},
        }
    ]


def test_a_new_sidecar_is_appended_once_and_the_same_one_not_again(server):
    upload(server.client, b"meta twice", "m.jpg", meta=b'{"v": 1}')
    upload(server.client, b"meta twice", "m.jpg", meta=b'{"v": 2}')
    asset = upload(server.client, b"meta twice", "m.jpg", meta=b'{"v": 1}').data
    data = [e["Data"] for e in asset["meta"]["metadata"] if e["Source"] == "UserSidecar"]
    assert data == [{"v": 1}, {"v": 2}]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (b"\xff\xfe not utf-8", "_meta.json must be UTF-8"),
        (b"{not json", "_meta.json must be valid JSON"),
        (b"NaN", "_meta.json must be valid JSON"),
        (b'{"x": "\\ud800"}', "_meta.json strings must not hold unpaired surrogate escapes"),
        (b"null", "_meta.json must be non-empty"),
        (b'""', "_meta.json must be non-empty"),
        (b"   ", "_meta.json must be non-empty"),
    ],
)
def test_bad_sidecars_are_refused_before_anything_is_stored(server, meta, message):
    reply = upload(server.client, b"payload", "p.jpg", meta=meta)
    assert reply.status == 422
    assert reply.error["message"] == message
    assert reply.error["details"][0]["loc"] == ["body", "meta"]
    assert leftovers(server) == NOTHING


def test_sidecar_before_the_file_part_works_too(server):
    body = multipart_body(
        [("meta", None, None, b'{"first": true}'), ("file", "late.txt", None, b"late")]
    )
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    entries = reply.data["meta"]["metadata"]
    assert entries[0]["Data"] == {"first": True}
    assert entries[0]["Name"] is None


def test_other_form_fields_are_ignored(server):
    body = multipart_body([("note", None, None, b"hi"), ("file", "f.txt", None, b"ignored?")])
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    assert reply.data["filename"] == "f.txt"


def test_upload_links_to_an_entity_with_a_role(server):
    entity_id = insert_entity(server)
    asset = upload(server.client, b"linked", "l.png", entity_id=entity_id, role="portrait").data
    items = server.client.get(f"/v1/entities/{entity_id}/assets").data["items"]
    assert [(i["asset_id"], i["role"]) for i in items] == [(asset["asset_id"], "portrait")]
    kinds = [kind for kind, _ in events_of(server, asset["asset_id"])]
    assert kinds[:2] == ["asset.created", "asset.linked"]


def test_duplicate_upload_still_makes_the_requested_link(server):
    asset = upload(server.client, b"link later", "l.png").data
    entity_id = insert_entity(server)
    upload(server.client, b"link later", "l.png", entity_id=entity_id)
    items = server.client.get(f"/v1/entities/{entity_id}/assets").data["items"]
    assert [i["asset_id"] for i in items] == [asset["asset_id"]]


def test_derived_from_records_provenance(server):
    source = upload(server.client, b"original", "o.png").data
    child = upload(server.client, b"thumbnail", "t.png", derived_from=source["asset_id"]).data
    assert child["derived_from_asset_id"] == source["asset_id"]
    derived = server.client.get(f"/v1/assets/{source['asset_id']}/derived").data
    assert [a["asset_id"] for a in derived["items"]] == [child["asset_id"]]


def refused(server, reply, status, loc=None):
    assert reply.status == status, reply.body
    error = reply.error
    if loc is not None:
        assert error["details"][0]["loc"] == loc
    assert leftovers(server) == NOTHING
    return error


def test_missing_file_part(server):
    body = multipart_body([("meta", None, None, b"{}")])
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    refused(server, reply, 422, ["body", "file"])


def test_empty_file(server):
    error = refused(server, upload(server.client, b"", "empty.txt"), 422, ["body", "file"])
    assert error["message"] == "Uploaded file was empty"


def test_empty_raw_body(server):
    refused(server, upload_raw(server.client, b"", "empty.txt"), 422, ["body", "file"])


def test_missing_filename(server):
    body = multipart_body([("file", None, None, b"nameless")])
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    refused(server, reply, 422, ["body", "file"])


@pytest.mark.parametrize("name", ["", "..", "dir/"])
def test_filename_that_names_no_file(server, name):
    refused(server, upload(server.client, b"x", name), 422, ["body", "file"])


def test_raw_upload_needs_a_filename(server):
    reply = server.client.post(
        "/v1/assets/upload", body=b"data", headers={"Content-Type": "application/octet-stream"}
    )
    refused(server, reply, 422, ["query", "filename"])


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary at all",
        b'--faceforge-test-boundary\r\nContent-Disposition: form-data; name="file"; filename='
        b'"a"\r\n\r\nnever closed',
        b"--faceforge-test-boundary\r\nno colon in this header\r\n\r\ndata\r\n"
        b"--faceforge-test-boundary--\r\n",
        b"--faceforge-test-boundary\r\nContent-Type: text/plain\r\n\r\ndata\r\n"
        b"--faceforge-test-boundary--\r\n",
        b"--faceforge-test-boundary-garbage",
    ],
    ids=["no-boundary", "unterminated", "bad-header", "no-disposition", "bad-delimiter"],
)
def test_broken_multipart_framing(server, body):
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    error = refused(server, reply, 422, ["body"])
    assert error["message"].startswith("multipart body is malformed")


def test_multipart_without_boundary_parameter(server):
    reply = server.client.post(
        "/v1/assets/upload", body=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    refused(server, reply, 422, ["body"])


def test_unknown_entity_and_source_asset(server):
    missing = "f" * 64
    reply = upload(server.client, b"x", "x.txt", entity_id=missing, derived_from="nope")
    error = refused(server, reply, 422)
    assert [d["loc"] for d in error["details"]] == [
        ["query", "entity_id"],
        ["query", "derived_from"],
    ]


def test_deleted_entity_is_unknown(server):
    entity_id = insert_entity(server)
    delete_entity(server, entity_id)
    refused(server, upload(server.client, b"x", "x.txt", entity_id=entity_id), 422)


def test_role_without_entity(server):
    refused(server, upload(server.client, b"x", "x.txt", role="cover"), 422, ["query", "role"])


def test_blank_kind(server):
    refused(server, upload(server.client, b"x", "x.txt", kind="  "), 422, ["query", "kind"])


def test_two_file_parts(server):
    body = multipart_body([("file", "a", None, b"a"), ("file", "b", None, b"b")])
    reply = server.client.post("/v1/assets/upload", body=body, headers=multipart_headers())
    refused(server, reply, 422, ["body", "file"])


@pytest.fixture
def small_limit_server(start_server, home):
    write_core_json(home, {"limits": {"max_upload_bytes": 1000, "max_json_bytes": 2048}})
    return start_server(home)


def test_oversize_multipart_file_is_413(small_limit_server):
    reply = upload(small_limit_server.client, b"x" * 1001, "big.bin")
    error = refused(small_limit_server, reply, 413)
    assert error["code"] == "payload_too_large"


def test_file_at_the_limit_is_accepted(small_limit_server):
    assert upload(small_limit_server.client, b"x" * 1000, "ok.bin").status == 200


def test_oversize_raw_body_is_413_before_reading(small_limit_server):
    refused(small_limit_server, upload_raw(small_limit_server.client, b"y" * 1001, "b.bin"), 413)


def test_oversize_sidecar_is_413(small_limit_server):
    reply = upload(small_limit_server.client, b"ok", "s.bin", meta=b'{"a": "' + b"z" * 3000 + b'"}')
    refused(small_limit_server, reply, 413)


def test_client_disconnecting_mid_upload_leaves_nothing(server):
    head = (
        "POST /v1/assets/upload?filename=cut.bin HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        f"X-FaceForge-Token: {server.token}\r\n"
        "Content-Type: application/octet-stream\r\n"
        f"Content-Length: {10 * CHUNK}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(head + b"x" * (3 * CHUNK))
    # The server is still healthy, and the cut-off upload left nothing anywhere.
    assert server.client.get("/v1/ping").status == 200
    assert leftovers(server) == NOTHING
    # Not even an open temp file for the collector to find (a ResourceWarning: an error here).
    server.close()
    gc.collect()


def test_upload_needs_the_token(server):
    reply = server.anonymous.post(
        "/v1/assets/upload", body=b"x", headers={"Content-Type": "application/octet-stream"}
    )
    assert reply.status == 401
    assert leftovers(server) == NOTHING


def test_concurrent_uploads_of_the_same_bytes_make_one_asset(server):
    data = patterned(2 * CHUNK, seed=77)
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda n: upload(server.client, data, f"{n}.bin"), range(4)))
    asset_ids = {reply.data["asset_id"] for reply in replies}
    assert asset_ids == {sha256(data)}
    found = leftovers(server)
    assert found["rows"] == [sha256(data)]
    assert found["tmp"] == []
    assert len(found["assets"]) == 1
    created = [kind for kind, _ in events_of(server, sha256(data)) if kind == "asset.created"]
    assert created == ["asset.created"]
