"""Entities through HTTP: create, read, PATCH, delete (API.md §4, §6) and their bad input."""

import pytest

from tests.entity_support import (
    assert_validation_error,
    create,
    event_count,
    events,
    link_asset,
    listing,
    upload_asset,
)

MISSING_ID = "f" * 64


def test_create_trims_names_and_collapses_duplicate_aliases_and_tags(client):
    entity = create(
        client,
        display_name="  Zoë Yamada ",
        aliases=[" Zoe ", "山田", "zoe", "ZOE"],
        tags=["Blonde", "blonde ", " tall"],
        fields={"age": 30, " height ": 1.7},
        external_ids={" stash ": " 123 "},
        plugin_data={"faces": {"vector": [1, 2]}},
    )
    assert entity["display_name"] == "Zoë Yamada"
    assert entity["aliases"] == ["Zoe", "山田"]
    assert entity["tags"] == ["Blonde", "tall"]
    assert entity["fields"] == {"age": 30, "height": 1.7}
    assert entity["external_ids"] == {"stash": "123"}
    assert entity["plugin_data"] == {"faces": {"vector": [1, 2]}}
    assert entity["primary_thumbnail_asset_id"] is None
    assert len(entity["entity_id"]) == 64
    assert entity["created_at"] == entity["updated_at"]
    assert client.get(f"/v1/entities/{entity['entity_id']}").data == entity


def test_create_with_only_a_name_gets_empty_defaults(client):
    entity = create(client, display_name="Solo")
    assert {k: entity[k] for k in ("aliases", "tags", "fields", "external_ids", "plugin_data")} == {
        "aliases": [],
        "tags": [],
        "fields": {},
        "external_ids": {},
        "plugin_data": {},
    }


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({}, [["body", "display_name"]]),
        ({"display_name": None}, [["body", "display_name"]]),
        ({"display_name": "   "}, [["body", "display_name"]]),
        ({"display_name": 7}, [["body", "display_name"]]),
        ({"display_name": "A", "aliases": "A"}, [["body", "aliases"]]),
        ({"display_name": "A", "aliases": ["ok", " "]}, [["body", "aliases", 1]]),
        ({"display_name": "A", "tags": [1]}, [["body", "tags", 0]]),
        ({"display_name": "A", "fields": []}, [["body", "fields"]]),
        ({"display_name": "A", "fields": {" ": 1}}, [["body", "fields", " "]]),
        ({"display_name": "A", "fields": {"a": 1, " a": 2}}, [["body", "fields", " a"]]),
        ({"display_name": "A", "external_ids": {"stash": 5}}, [["body", "external_ids", "stash"]]),
        ({"display_name": "A", "external_ids": {"stash": ""}}, [["body", "external_ids", "stash"]]),
        ({"display_name": "A", "plugin_data": {"p": 1}}, [["body", "plugin_data", "p"]]),
        (
            {"display_name": "A", "primary_thumbnail_asset_id": "x"},
            [["body", "primary_thumbnail_asset_id"]],
        ),
        ({"display_name": "", "tags": "x"}, [["body", "display_name"], ["body", "tags"]]),
    ],
)
def test_bad_values_are_422_naming_every_field_and_write_nothing(server, body, locs):
    before = event_count(server)
    assert_validation_error(server.client.post("/v1/entities", body), *locs)
    assert listing(server.client)["total"] == 0
    assert event_count(server) == before


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'"x"',
        b"null",
        b"{bad",
        b'{"display_name": NaN}',
        b"",
        b'{"display_name": "\\ud800"}',
    ],
)
def test_a_body_that_is_not_a_json_object_is_422(client, raw):
    reply = client.post("/v1/entities", body=raw, headers={"Content-Type": "application/json"})
    assert_validation_error(reply, ["body"])


def test_thumbnail_must_name_a_live_asset(server):
    assert_validation_error(
        server.client.post(
            "/v1/entities", {"display_name": "A", "primary_thumbnail_asset_id": MISSING_ID}
        ),
        ["body", "primary_thumbnail_asset_id"],
    )
    deleted_asset = upload_asset(server, deleted=True)
    entity = create(server.client, display_name="B")
    reply = server.client.patch(
        f"/v1/entities/{entity['entity_id']}", {"primary_thumbnail_asset_id": deleted_asset}
    )
    assert_validation_error(reply, ["body", "primary_thumbnail_asset_id"])
    assert listing(server.client)["total"] == 1


def test_thumbnail_can_name_an_uploaded_asset_and_be_cleared(server):
    asset_id = upload_asset(server)
    entity = create(server.client, display_name="Zoë", primary_thumbnail_asset_id=asset_id)
    assert entity["primary_thumbnail_asset_id"] == asset_id
    path = f"/v1/entities/{entity['entity_id']}"
    assert server.client.get(path).data["primary_thumbnail_asset_id"] == asset_id
    cleared = server.client.patch(path, {"primary_thumbnail_asset_id": None}).data
    assert cleared["primary_thumbnail_asset_id"] is None


@pytest.mark.parametrize("entity_id", [MISSING_ID, "not-an-id", "F" * 64])
def test_unknown_or_malformed_ids_are_404(client, entity_id):
    for reply in (
        client.get(f"/v1/entities/{entity_id}"),
        client.patch(f"/v1/entities/{entity_id}", {"display_name": "x"}),
        client.delete(f"/v1/entities/{entity_id}"),
    ):
        assert reply.status == 404
        assert reply.error["code"] == "not_found"


def test_patch_replaces_only_the_keys_it_is_given(client):
    entity = create(client, display_name="Ann", aliases=["A"], tags=["x"], fields={"a": 1, "b": 2})
    patched = client.patch(
        f"/v1/entities/{entity['entity_id']}",
        {"tags": ["y", "Y"], "fields": {"c": 3}, "aliases": None, "display_name": None},
    ).data
    assert patched["display_name"] == "Ann"
    assert patched["aliases"] == ["A"]
    assert patched["tags"] == ["y"]
    assert patched["fields"] == {"c": 3}
    assert patched["updated_at"] >= entity["updated_at"]
    assert patched["created_at"] == entity["created_at"]
    assert client.get(f"/v1/entities/{entity['entity_id']}").data == patched


def test_patch_merges_plugin_data_per_plugin(client):
    entity = create(client, display_name="P", plugin_data={"a": {"x": 1}, "b": {"y": 2}})
    patched = client.patch(
        f"/v1/entities/{entity['entity_id']}", {"plugin_data": {"a": None, "c": {"z": 3}}}
    ).data
    assert patched["plugin_data"] == {"b": {"y": 2}, "c": {"z": 3}}


def test_patch_with_bad_values_changes_nothing(client):
    entity = create(client, display_name="Keep", tags=["t"])
    reply = client.patch(f"/v1/entities/{entity['entity_id']}", {"tags": ["ok"], "aliases": 3})
    assert_validation_error(reply, ["body", "aliases"])
    assert client.get(f"/v1/entities/{entity['entity_id']}").data == entity


def test_patch_that_changes_nothing_keeps_updated_at_and_writes_no_event(server):
    entity = create(server.client, display_name="Same", tags=["t"])
    before = event_count(server)
    again = server.client.patch(
        f"/v1/entities/{entity['entity_id']}", {"display_name": " Same ", "tags": ["T"]}
    )
    assert again.status == 200
    assert again.data["display_name"] == "Same"
    assert again.data["tags"] == ["T"]
    assert event_count(server) == before + 1
    untouched = server.client.patch(f"/v1/entities/{entity['entity_id']}", {"display_name": "Same"})
    assert untouched.data["updated_at"] == again.data["updated_at"]
    assert event_count(server) == before + 1


def test_an_external_id_belongs_to_one_live_entity_at_a_time(client):
    first = create(client, display_name="One", external_ids={"stash": "7"})
    reply = client.post("/v1/entities", {"display_name": "Two", "external_ids": {"stash": "7"}})
    assert reply.status == 409
    assert reply.error["details"] == [{"source": "stash", "external_id": "7"}]
    other = create(client, display_name="Two")
    assert (
        client.patch(f"/v1/entities/{other['entity_id']}", {"external_ids": {"stash": "7"}}).status
        == 409
    )
    client.delete(f"/v1/entities/{first['entity_id']}")
    assert create(client, display_name="Three", external_ids={"stash": "7"})["external_ids"] == {
        "stash": "7"
    }


@pytest.mark.parametrize("external_id", ["a\x00b", "😀", 'quote " and \\ backslash'])
def test_any_external_id_text_is_matched_exactly(client, external_id):
    first = create(client, display_name="One", external_ids={"src": external_id})
    assert (
        client.post(
            "/v1/entities", {"display_name": "Two", "external_ids": {"src": external_id}}
        ).status
        == 409
    )
    result = client.post(
        "/v1/entities/bulk-upsert",
        {"items": [{"external_ids": {"src": external_id}, "tags": ["t"]}]},
    ).data
    assert result["items"] == [{"entity_id": first["entity_id"], "status": "updated", "index": 0}]


def test_fields_follow_the_entity_field_definitions(client):
    client.post(
        "/v1/admin/field-defs",
        {"scope": "entity", "field_key": "age", "field_type": "int", "required": True},
    )
    client.post(
        "/v1/admin/field-defs",
        {
            "scope": "entity",
            "field_key": "eyes",
            "field_type": "enum",
            "options": {"options": ["blue", "brown"]},
        },
    )
    error = assert_validation_error(
        client.post("/v1/entities", {"display_name": "A"}), ["body", "fields", "age"]
    )
    assert error["details"][0]["msg"] == "value is required"
    error = assert_validation_error(
        client.post("/v1/entities", {"display_name": "A", "fields": {"age": "9", "eyes": "red"}}),
        ["body", "fields", "age"],
        ["body", "fields", "eyes"],
    )
    assert {d["msg"] for d in error["details"]} == {
        "value must be an integer",
        "value must be one of the allowed options",
    }
    entity = create(client, display_name="A", fields={"age": 9, "eyes": "blue", "free": [1]})
    assert entity["fields"] == {"age": 9, "eyes": "blue", "free": [1]}
    # A PATCH that leaves fields alone is not held to definitions added since.
    assert client.patch(f"/v1/entities/{entity['entity_id']}", {"tags": ["x"]}).status == 200
    assert_validation_error(
        client.patch(f"/v1/entities/{entity['entity_id']}", {"fields": {"eyes": "blue"}}),
        ["body", "fields", "age"],
    )


def test_create_update_delete_write_events(server):
    entity = create(server.client, display_name="Evented")
    entity_id = entity["entity_id"]
    server.client.patch(f"/v1/entities/{entity_id}", {"tags": ["a"], "display_name": "E"})
    server.client.delete(f"/v1/entities/{entity_id}")
    assert events(server, entity_id) == [
        ("entity.created", entity_id, {"display_name": "Evented"}),
        ("entity.updated", entity_id, {"changed": ["display_name", "tags"]}),
        ("entity.deleted", entity_id, {"display_name": "E"}),
    ]


def test_delete_cascades_to_links_descriptors_and_relationships(server):
    client = server.client
    doomed = create(client, display_name="Doomed", tags=["gone"], external_ids={"s": "1"})
    friend = create(client, display_name="Friend")
    doomed_id, friend_id = doomed["entity_id"], friend["entity_id"]
    asset_id = upload_asset(server)
    link_asset(server, doomed_id, asset_id)
    client.post("/v1/admin/field-defs", {"field_key": "mood", "field_type": "string"})
    descriptor = client.post(
        f"/v1/entities/{doomed_id}/descriptors", {"field_key": "mood", "value": "calm"}
    ).data
    outgoing = client.post(
        "/v1/relationships",
        {"src_entity_id": doomed_id, "dst_entity_id": friend_id, "relationship_type": "friend"},
    ).data
    incoming = client.post(
        "/v1/relationships",
        {"src_entity_id": friend_id, "dst_entity_id": doomed_id, "relationship_type": "sibling"},
    ).data

    assert client.delete(f"/v1/entities/{doomed_id}").data == {"deleted": True}

    assert client.get(f"/v1/entities/{doomed_id}").status == 404
    assert client.delete(f"/v1/entities/{doomed_id}").status == 404
    assert client.get(f"/v1/relationships?entity_id={friend_id}").data == {"items": []}
    assert (
        client.patch(f"/v1/descriptors/{descriptor['descriptor_id']}", {"value": "x"}).status == 404
    )
    with server.services.db.read() as connection:
        live_links = connection.execute(
            "SELECT count(*) FROM entity_assets WHERE entity_id = ? AND deleted_at IS NULL",
            (doomed_id,),
        ).fetchone()[0]
    assert live_links == 0
    cascade = events(server)[-5:]
    assert cascade[-1][:2] == ("entity.deleted", doomed_id)
    assert sorted(event[:2] for event in cascade[:-1]) == sorted(
        [
            ("asset.unlinked", asset_id),
            ("descriptor.deleted", descriptor["descriptor_id"]),
            ("relationship.deleted", outgoing["relationship_id"]),
            ("relationship.deleted", incoming["relationship_id"]),
        ]
    )
    assert listing(client)["total"] == 1
    assert listing(client, q="doomed")["total"] == 0
    assert listing(client, tag="gone")["total"] == 0
    assert create(client, display_name="Reborn", external_ids={"s": "1"})["external_ids"] == {
        "s": "1"
    }
