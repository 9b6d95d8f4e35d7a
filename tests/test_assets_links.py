"""Links between entities and assets: both spellings, optional role, listing with role and
link time, 404 for anything not live, and the events they write."""

import json

import pytest

from tests.assets_support import delete_entity, events_of, insert_entity, upload


@pytest.fixture
def pair(server):
    entity_id = insert_entity(server)
    asset_id = upload(server.client, b"photo", "p.jpg", kind="image").data["asset_id"]
    return server, entity_id, asset_id


def linked(server, entity_id, **query):
    page = server.client.get(f"/v1/entities/{entity_id}/assets", query=query or None).data
    return [(item["asset_id"], item["role"]) for item in page["items"]]


@pytest.mark.parametrize("spelling", ["", "/link"])
def test_link_with_and_without_body(pair, spelling):
    server, entity_id, asset_id = pair
    path = f"/v1/entities/{entity_id}/assets/{asset_id}{spelling}"
    assert server.client.post(path).data == {"linked": True}
    assert linked(server, entity_id) == [(asset_id, None)]
    assert server.client.post(path, {"role": " cover "}).data == {"linked": True}
    assert linked(server, entity_id) == [(asset_id, "cover")]
    assert server.client.post(path, {}).data == {"linked": True}
    assert linked(server, entity_id) == [(asset_id, "cover")], "no role given keeps the role"


@pytest.mark.parametrize("spelling", ["DELETE", "POST /unlink"])
def test_unlink_answers_whether_it_removed_a_link(pair, spelling):
    server, entity_id, asset_id = pair
    base = f"/v1/entities/{entity_id}/assets/{asset_id}"
    method, _, suffix = spelling.partition(" ")
    assert server.client.request(method, base + suffix).data == {"linked": False}
    server.client.post(base)
    assert server.client.request(method, base + suffix).data == {"linked": True}
    assert linked(server, entity_id) == []
    assert server.client.request(method, base + suffix).data == {"linked": False}


def test_link_events_only_when_something_changed(pair):
    server, entity_id, asset_id = pair
    base = f"/v1/entities/{entity_id}/assets/{asset_id}"
    calls = [
        ("POST", base, {"role": "a"}),
        ("POST", base + "/link", {"role": "a"}),
        ("POST", base + "/link", None),
        ("POST", base, {"role": "b"}),
        ("POST", base + "/link", {"role": None}),
        ("DELETE", base, None),
        ("POST", base + "/unlink", None),
        ("POST", base + "/link", None),
    ]
    for method, path, body in calls:
        assert server.client.request(method, path, json_body=body).status == 200
    link_events = [(k, json.loads(d)) for k, d in events_of(server, asset_id) if "link" in k]
    assert link_events == [
        ("asset.linked", {"entity_id": entity_id, "role": "a"}),
        ("asset.linked", {"entity_id": entity_id, "role": "b"}),
        ("asset.linked", {"entity_id": entity_id, "role": None}),
        ("asset.unlinked", {"entity_id": entity_id, "role": None}),
        ("asset.linked", {"entity_id": entity_id, "role": None}),
    ]


def test_entity_assets_carry_role_and_link_time_and_filter_by_kind(pair):
    server, entity_id, asset_id = pair
    voice = upload(server.client, b"voice", "v.wav", kind="audio").data["asset_id"]
    server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}", {"role": "portrait"})
    server.client.post(f"/v1/entities/{entity_id}/assets/{voice}")
    page = server.client.get(f"/v1/entities/{entity_id}/assets").data
    assert page["total"] == 2
    assert [item["asset_id"] for item in page["items"]] == [voice, asset_id]
    item = page["items"][1]
    assert item["role"] == "portrait"
    assert item["linked_at"] >= item["created_at"]
    assert linked(server, entity_id, kind="audio") == [(voice, None)]


def test_entity_assets_cursor_paging(server):
    entity_id = insert_entity(server)
    for number in range(5):
        asset_id = upload(server.client, f"a{number}".encode(), f"{number}.txt").data["asset_id"]
        server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}")
    everything = linked(server, entity_id)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = server.client.get(f"/v1/entities/{entity_id}/assets", query=query).data
        seen += [(i["asset_id"], i["role"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(seen) == 5


def test_unknown_malformed_or_deleted_ends_are_404(pair):
    server, entity_id, asset_id = pair
    missing = "0" * 64
    for path in (
        f"/v1/entities/{missing}/assets/{asset_id}",
        f"/v1/entities/{entity_id}/assets/{missing}",
        f"/v1/entities/bad/assets/{asset_id}",
        f"/v1/entities/{entity_id}/assets/bad/link",
    ):
        assert server.client.post(path).status == 404, path
    assert server.client.get(f"/v1/entities/{missing}/assets").status == 404
    delete_entity(server, entity_id)
    assert server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}").status == 404
    assert server.client.get(f"/v1/entities/{entity_id}/assets").status == 404


def test_bad_role_is_422(pair):
    server, entity_id, asset_id = pair
    reply = server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}", {"role": 5})
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["body", "role"]


def test_deleted_asset_disappears_from_entity_list(pair):
    server, entity_id, asset_id = pair
    server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}")
    server.client.delete(f"/v1/assets/{asset_id}")
    assert linked(server, entity_id) == []


def test_asset_lists_its_live_entities_with_role_and_link_time(pair):
    server, ann, asset_id = pair
    bob, cy, dee = (insert_entity(server, name) for name in ("Bob", "Cy", "Dee"))
    for entity_id, role in ((ann, "portrait"), (cy, "reference"), (bob, None), (dee, None)):
        server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}", {"role": role})
    delete_entity(server, cy)
    server.client.delete(f"/v1/entities/{dee}/assets/{asset_id}")
    items = server.client.get(f"/v1/assets/{asset_id}/entities").data["items"]
    assert [(i["entity_id"], i["display_name"], i["role"]) for i in items] == [
        (bob, "Bob", None),
        (ann, "Ann", "portrait"),
    ], "most recently linked first; deleted entities and removed links left out"
    [from_entity] = server.client.get(f"/v1/entities/{ann}/assets").data["items"]
    assert items[1] == {
        "entity_id": ann,
        "display_name": "Ann",
        "role": "portrait",
        "linked_at": from_entity["linked_at"],
    }


def test_entities_of_unknown_malformed_or_deleted_asset_are_404(pair):
    server, entity_id, asset_id = pair
    server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}")
    for missing in ("0" * 64, "bad"):
        reply = server.client.get(f"/v1/assets/{missing}/entities")
        assert (reply.status, reply.error["code"]) == (404, "not_found")
    server.client.delete(f"/v1/assets/{asset_id}")
    assert server.client.get(f"/v1/assets/{asset_id}/entities").status == 404
