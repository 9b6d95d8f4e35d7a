"""The assets API: list with filters and paging, read, edit, soft delete, provenance, events."""

import json

import pytest

from tests.assets_support import events_of, insert_entity, upload

ASSET_KEYS = {
    "asset_id",
    "kind",
    "filename",
    "content_hash",
    "byte_size",
    "mime_type",
    "storage_provider",
    "storage_key",
    "meta",
    "derived_from_asset_id",
    "user_metadata",
    "metadata_status",
    "thumbnail_status",
    "media",
    "created_at",
    "updated_at",
}


@pytest.fixture
def library(server):
    """Five assets of different kinds, names and types, uploaded oldest first."""
    specs = [
        ("Portrait_01.JPG", "image/jpeg", "image"),
        ("portrait_02.png", "image/png", "image"),
        ("voice.wav", "audio/wav", "audio"),
        ("style.safetensors", "application/octet-stream", "lora"),
        ("50%_off_notes.txt", "text/plain", "file"),
    ]
    assets = [
        upload(server.client, name.encode() * 3, name, mime, kind=kind).data
        for name, mime, kind in specs
    ]
    return server, assets


def listed(server, **query) -> list[str]:
    return [a["filename"] for a in server.client.get("/v1/assets", query=query).data["items"]]


def test_asset_has_exactly_the_documented_fields(library):
    server, assets = library
    assert set(server.client.get(f"/v1/assets/{assets[0]['asset_id']}").data) == ASSET_KEYS


def test_list_is_newest_first_with_total(library):
    server, assets = library
    page = server.client.get("/v1/assets").data
    assert page["total"] == 5
    assert page["limit"] == 50
    assert page["offset"] == 0
    assert page["next_cursor"] is None
    assert [a["asset_id"] for a in page["items"]] == [a["asset_id"] for a in reversed(assets)]


def test_filters(library):
    server, _ = library
    assert listed(server, kind="image") == ["portrait_02.png", "Portrait_01.JPG"]
    assert listed(server, q="PORTRAIT") == ["portrait_02.png", "Portrait_01.JPG"]
    assert listed(server, q="%") == ["50%_off_notes.txt"]
    assert listed(server, q="_0") == ["portrait_02.png", "Portrait_01.JPG"]
    assert listed(server, mime_prefix="image/") == ["portrait_02.png", "Portrait_01.JPG"]
    assert listed(server, mime_prefix="audio") == ["voice.wav"]
    assert listed(server, mime_prefix="%") == []
    assert listed(server, kind="image", q="02") == ["portrait_02.png"]
    assert listed(server, kind="") == listed(server)


def test_entity_filter(library):
    server, assets = library
    entity_id = insert_entity(server)
    server.client.post(f"/v1/entities/{entity_id}/assets/{assets[2]['asset_id']}")
    assert listed(server, entity_id=entity_id) == ["voice.wav"]
    assert listed(server, entity_id="0" * 64) == []


def test_offset_paging(library):
    server, _ = library
    first = server.client.get("/v1/assets", query={"limit": 2}).data
    second = server.client.get("/v1/assets", query={"limit": 2, "offset": 2}).data
    last = server.client.get("/v1/assets", query={"limit": 2, "offset": 4}).data
    names = [a["filename"] for page in (first, second, last) for a in page["items"]]
    assert names == listed(server)
    assert last["next_cursor"] is None and first["next_cursor"] is not None


def test_cursor_paging_walks_everything_once(library):
    server, _ = library
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/v1/assets", query=query).data
        seen += [a["filename"] for a in page["items"]]
        if cursor:
            assert page["offset"] is None
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == listed(server)


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"limit": "ten"}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"cursor": "garbage!"}, ["query", "cursor"]),
        ({"cursor": "WzFd"}, ["query", "cursor"]),
    ],
)
def test_bad_paging_is_422(server, query, loc):
    reply = server.client.get("/v1/assets", query=query)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc


def test_patch_changes_kind_filename_and_user_metadata(library):
    server, assets = library
    asset_id = assets[0]["asset_id"]
    reply = server.client.patch(
        f"/v1/assets/{asset_id}",
        {"kind": " headshot ", "filename": "../new name.jpg", "user_metadata": {"stars": 4}},
    )
    patched = reply.data
    assert patched["kind"] == "headshot"
    assert patched["filename"] == "new name.jpg"
    assert patched["user_metadata"] == {"stars": 4}
    assert patched["updated_at"] >= assets[0]["updated_at"]
    updated = [json.loads(d) for k, d in events_of(server, asset_id) if k == "asset.updated"]
    assert updated[-1]["fields"] == ["filename", "kind", "user_metadata"]


def test_patch_with_nothing_new_writes_no_event(library):
    server, assets = library
    asset_id = assets[1]["asset_id"]
    before = events_of(server, asset_id)
    assert server.client.patch(f"/v1/assets/{asset_id}", {"unknown": 1}).status == 200
    assert server.client.patch(f"/v1/assets/{asset_id}", {"kind": "image"}).status == 200
    assert events_of(server, asset_id) == before


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"kind": ""}, ["body", "kind"]),
        ({"kind": 3}, ["body", "kind"]),
        ({"filename": ".."}, ["body", "filename"]),
        ({"filename": None}, ["body", "filename"]),
        ({"user_metadata": [1]}, ["body", "user_metadata"]),
    ],
)
def test_bad_patch_is_422(library, body, loc):
    server, assets = library
    reply = server.client.patch(f"/v1/assets/{assets[0]['asset_id']}", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc


def test_delete_soft_deletes_the_row_and_its_links_but_keeps_bytes(library):
    server, assets = library
    asset = assets[3]
    entity_id = insert_entity(server)
    server.client.post(f"/v1/entities/{entity_id}/assets/{asset['asset_id']}")
    assert server.client.delete(f"/v1/assets/{asset['asset_id']}").data == {"deleted": True}
    assert server.client.get(f"/v1/assets/{asset['asset_id']}").status == 404
    assert asset["filename"] not in listed(server)
    assert server.client.get(f"/v1/entities/{entity_id}/assets").data["items"] == []
    assert (server.config.home.assets_dir / asset["storage_key"]).exists()
    kinds = [kind for kind, _ in events_of(server, asset["asset_id"])]
    assert kinds[-2:] == ["asset.unlinked", "asset.deleted"]
    assert server.client.delete(f"/v1/assets/{asset['asset_id']}").status == 404


def test_deleting_an_asset_clears_it_as_a_thumbnail(library):
    server, assets = library
    shown, other = assets[0]["asset_id"], assets[1]["asset_id"]
    showing = insert_entity(server, "Shows it")
    showing_other = insert_entity(server, "Shows another")
    server.client.patch(f"/v1/entities/{showing}", {"primary_thumbnail_asset_id": shown})
    server.client.patch(f"/v1/entities/{showing_other}", {"primary_thumbnail_asset_id": other})
    before = server.client.get(f"/v1/entities/{showing}").data
    assert server.client.delete(f"/v1/assets/{shown}").data == {"deleted": True}
    after = server.client.get(f"/v1/entities/{showing}").data
    assert after["primary_thumbnail_asset_id"] is None
    assert after["updated_at"] > before["updated_at"]
    untouched = server.client.get(f"/v1/entities/{showing_other}").data
    assert untouched["primary_thumbnail_asset_id"] == other
    [event] = server.client.get(
        "/v1/events", query={"type": "entity.updated", "after_id": 0, "limit": 200}
    ).data["items"][-1:]
    assert (event["subject_id"], event["data"]) == (
        showing,
        {"changed": ["primary_thumbnail_asset_id"]},
    )


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("asset_id", ["0" * 64, "nope", "G" * 64])
def test_unknown_or_malformed_asset_is_404(server, method, asset_id):
    reply = server.client.request(method, f"/v1/assets/{asset_id}", json_body={})
    assert reply.status == 404


def test_derived_lists_only_live_children(server):
    source = upload(server.client, b"source", "s.png").data["asset_id"]
    kept = upload(server.client, b"kept", "k.png", derived_from=source).data["asset_id"]
    gone = upload(server.client, b"gone", "g.png", derived_from=source).data["asset_id"]
    server.client.delete(f"/v1/assets/{gone}")
    items = server.client.get(f"/v1/assets/{source}/derived").data["items"]
    assert [a["asset_id"] for a in items] == [kept]
    assert server.client.get(f"/v1/assets/{'0' * 64}/derived").status == 404


def test_an_asset_cannot_derive_from_itself_or_a_deleted_asset(server):
    source = upload(server.client, b"self", "s.png").data["asset_id"]
    reply = upload(server.client, b"self", "s.png", derived_from=source)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["query", "derived_from"]
    server.client.delete(f"/v1/assets/{source}")
    assert upload(server.client, b"other", "o.png", derived_from=source).status == 422
