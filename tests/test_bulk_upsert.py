"""`POST /v1/entities/bulk-upsert` (API.md §6) through HTTP."""

import time

import pytest

from tests.entity_support import (
    assert_validation_error,
    bulk,
    create,
    event_count,
    events,
    listing,
    names,
    seed,
    upload_asset,
)

PERFORMERS = [
    {
        "display_name": "Ann Example",
        "aliases": ["Annie"],
        "tags": ["actor"],
        "fields": {"height": 170},
        "external_ids": {"stash": "1"},
    },
    {
        "display_name": "Bob Example",
        "tags": ["singer"],
        "external_ids": {"stash": "2", "tpdb": "b"},
    },
]


def test_creates_then_a_resend_is_unchanged_and_writes_nothing(server):
    client = server.client
    first = bulk(client, PERFORMERS)
    assert [(i["status"], i["index"]) for i in first["items"]] == [("created", 0), ("created", 1)]
    assert first["errors"] == []
    before = (listing(client), event_count(server))
    again = bulk(client, PERFORMERS)
    assert [(i["status"], i["entity_id"]) for i in again["items"]] == [
        ("unchanged", first["items"][0]["entity_id"]),
        ("unchanged", first["items"][1]["entity_id"]),
    ]
    assert (listing(client), event_count(server)) == before
    assert bulk(client, PERFORMERS, mode="replace")["items"][0]["status"] == "unchanged"
    assert event_count(server) == before[1]


def test_an_item_matches_by_entity_id_or_by_any_external_id_pair(client):
    ann, bob = (item["entity_id"] for item in bulk(client, PERFORMERS)["items"])
    result = bulk(
        client,
        [
            {"entity_id": ann, "tags": ["director"]},
            {"external_ids": {"tpdb": "b"}, "tags": ["dancer"]},
            {"external_ids": {"other": "x", "stash": "1"}, "aliases": ["A. E."]},
        ],
    )
    assert [(i["entity_id"], i["status"]) for i in result["items"]] == [
        (ann, "updated"),
        (bob, "updated"),
        (ann, "updated"),
    ]
    stored = client.get(f"/v1/entities/{ann}").data
    assert stored["tags"] == ["actor", "director"]
    assert stored["aliases"] == ["Annie", "A. E."]
    assert stored["external_ids"] == {"stash": "1", "other": "x"}
    assert listing(client)["total"] == 2
    # The new pair now finds the same entity.
    assert bulk(client, [{"external_ids": {"other": "x"}}])["items"][0]["entity_id"] == ann


def test_merge_unions_lists_and_merges_objects(client):
    ann = bulk(client, PERFORMERS[:1])["items"][0]["entity_id"]
    bulk(
        client,
        [
            {
                "external_ids": {"stash": "1"},
                "display_name": "Ann E.",
                "aliases": ["ANNIE", "Ann"],
                "tags": ["Actor", "model"],
                "fields": {"eyes": "green"},
                "plugin_data": {"p": {"k": 1}},
            }
        ],
    )
    stored = client.get(f"/v1/entities/{ann}").data
    assert stored["display_name"] == "Ann E."
    assert stored["aliases"] == ["Annie", "Ann"]
    assert stored["tags"] == ["actor", "model"]
    assert stored["fields"] == {"height": 170, "eyes": "green"}
    assert stored["plugin_data"] == {"p": {"k": 1}}


def test_replace_overwrites_the_keys_given_and_leaves_the_others(client):
    ann = bulk(client, PERFORMERS[:1])["items"][0]["entity_id"]
    result = bulk(
        client,
        [{"external_ids": {"stash": "1"}, "tags": ["model"], "fields": {"eyes": "green"}}],
        mode="replace",
    )
    assert result["items"][0]["status"] == "updated"
    stored = client.get(f"/v1/entities/{ann}").data
    assert (stored["tags"], stored["fields"]) == (["model"], {"eyes": "green"})
    assert (stored["display_name"], stored["aliases"]) == ("Ann Example", ["Annie"])
    assert stored["external_ids"] == {"stash": "1"}


def test_one_invalid_item_fails_the_call_and_writes_nothing(server):
    client = server.client
    reply = client.post(
        "/v1/entities/bulk-upsert",
        {
            "items": [
                PERFORMERS[0],
                {"display_name": "  "},
                {"tags": ["no name"]},
                "not an object",
                PERFORMERS[1],
                {"display_name": "X", "entity_id": "f" * 64},
            ]
        },
    )
    error = assert_validation_error(
        reply,
        ["body", "items", 1, "display_name"],
        ["body", "items", 2, "display_name"],
        ["body", "items", 3],
        ["body", "items", 5, "entity_id"],
    )
    assert error["message"] == "4 of 6 items are invalid; nothing was written"
    assert listing(client)["total"] == 0
    assert event_count(server) == 0


def test_on_error_skip_writes_the_valid_items_and_lists_the_others(client):
    result = bulk(client, [PERFORMERS[0], {"aliases": 5}, PERFORMERS[1]], on_error="skip")
    assert [(i["index"], i["status"]) for i in result["items"]] == [(0, "created"), (2, "created")]
    assert [d["loc"] for d in result["errors"]] == [["body", "items", 1, "aliases"]]
    assert sorted(names(listing(client))) == ["Ann Example", "Bob Example"]


def test_items_apply_in_order(client):
    result = bulk(
        client,
        [
            {"display_name": "First", "external_ids": {"csv": "9"}, "tags": ["a"]},
            {"external_ids": {"csv": "9"}, "tags": ["b"]},
            {"external_ids": {"csv": "9"}, "tags": ["b"]},
        ],
    )
    statuses = [(i["status"], i["entity_id"]) for i in result["items"]]
    entity_id = statuses[0][1]
    assert statuses == [("created", entity_id), ("updated", entity_id), ("unchanged", entity_id)]
    assert client.get(f"/v1/entities/{entity_id}").data["tags"] == ["a", "b"]


def test_an_item_matching_two_entities_or_taking_another_ones_id_is_invalid(client):
    ann, bob = (item["entity_id"] for item in bulk(client, PERFORMERS)["items"])
    reply = client.post(
        "/v1/entities/bulk-upsert",
        {
            "items": [
                {"external_ids": {"stash": "1", "tpdb": "b"}},
                {"entity_id": ann, "external_ids": {"tpdb": "b"}},
                {"entity_id": ann, "external_ids": {"stash": "1"}, "fields": {"x": 1}},
            ]
        },
    )
    error = assert_validation_error(
        reply, ["body", "items", 0, "external_ids"], ["body", "items", 1, "external_ids"]
    )
    assert [d["type"] for d in error["details"]] == ["conflict", "conflict"]
    assert client.get(f"/v1/entities/{bob}").data["external_ids"] == {"stash": "2", "tpdb": "b"}


def test_field_definitions_and_thumbnails_are_checked_per_item(client):
    client.post(
        "/v1/admin/field-defs",
        {"scope": "entity", "field_key": "height", "field_type": "int", "required": True},
    )
    reply = client.post(
        "/v1/entities/bulk-upsert",
        {
            "items": [
                {"display_name": "A", "fields": {"height": 1}},
                {"display_name": "B"},
                {"display_name": "C", "fields": {"height": "tall"}},
                {
                    "display_name": "D",
                    "fields": {"height": 2},
                    "primary_thumbnail_asset_id": "e" * 64,
                },
            ]
        },
    )
    assert_validation_error(
        reply,
        ["body", "items", 1, "fields", "height"],
        ["body", "items", 2, "fields", "height"],
        ["body", "items", 3, "primary_thumbnail_asset_id"],
    )


def test_a_merge_keeps_every_sort_right_whichever_indexed_columns_it_changes(server):
    """An update leaves the name and thumbnail columns alone when they keep their values
    (store.rewritten_keys); renames, new thumbnails and the update times still reach their
    indexes: the sorts, and deleting an asset clears it where it is a thumbnail."""
    client = server.client
    asset_id = upload_asset(server)
    ids = [item["entity_id"] for item in seed(client, 4)]
    time.sleep(0.002)  # the updates get a later time than the creation
    bulk(
        client,
        [
            {"entity_id": ids[0], "display_name": "Zed"},
            {"entity_id": ids[1], "tags": ["kept-name"]},
            {"entity_id": ids[2], "primary_thumbnail_asset_id": asset_id},
        ],
    )
    by_name = listing(client, sort_by="display_name", sort_order="asc")
    assert names(by_name) == ["Person 00001", "Person 00002", "Person 00003", "Zed"]
    by_update = listing(client, sort_by="updated_at", sort_order="asc")
    assert [entity["entity_id"] for entity in by_update["items"]] == [ids[3], *ids[:3]]
    assert client.delete(f"/v1/assets/{asset_id}").data == {"deleted": True}
    thumbnails = {e["entity_id"]: e["primary_thumbnail_asset_id"] for e in by_name["items"]}
    assert thumbnails[ids[2]] == asset_id
    assert client.get(f"/v1/entities/{ids[2]}").data["primary_thumbnail_asset_id"] is None


def test_created_and_updated_entities_get_one_event_each(server):
    first = bulk(server.client, PERFORMERS)["items"]
    bulk(server.client, [{"external_ids": {"stash": "1"}, "tags": ["new"]}, PERFORMERS[1]])
    assert [(e[0], e[1]) for e in events(server)] == [
        ("entity.created", first[0]["entity_id"]),
        ("entity.created", first[1]["entity_id"]),
        ("entity.updated", first[0]["entity_id"]),
    ]
    assert events(server)[-1][2] == {"changed": ["tags"]}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "items"]),
        ({"items": {"a": 1}}, ["body", "items"]),
        ({"items": [], "mode": "upsert"}, ["body", "mode"]),
        ({"items": [], "on_error": "ignore"}, ["body", "on_error"]),
        (
            {"items": [{"display_name": "x", "entity_id": "nope"}]},
            ["body", "items", 0, "entity_id"],
        ),
    ],
)
def test_a_malformed_call_is_422(client, body, loc):
    assert_validation_error(client.post("/v1/entities/bulk-upsert", body), loc)


def test_ten_thousand_items_are_one_call_and_ten_thousand_and_one_are_refused(server):
    """10,000 entities with two tags each: more rows than one statement takes for the
    entities, their tags and their events, so every table is written in several statements."""
    items = [
        {"display_name": f"N{n}", "tags": ["Even" if n % 2 else "Odd", "All"]}
        for n in range(10_001)
    ]
    assert_validation_error(
        server.client.post("/v1/entities/bulk-upsert", {"items": items}), ["body", "items"]
    )
    assert event_count(server) == 0
    result = bulk(server.client, items[:10_000])
    assert len(result["items"]) == 10_000
    assert listing(server.client)["total"] == 10_000
    assert listing(server.client, tag="all")["total"] == 10_000
    assert listing(server.client, tag="odd")["total"] == 5_000
    assert listing(server.client, q="n9999")["total"] == 1
    entity_ids = [item["entity_id"] for item in result["items"]]
    assert [(e[0], e[1], e[2]) for e in events(server)] == [
        ("entity.created", entity_id, {"display_name": f"N{n}"})
        for n, entity_id in enumerate(entity_ids)
    ]


def test_a_large_call_leaves_the_wal_copied_into_the_database(server):
    """The background checkpoint after a large write: once it is done, the database file
    itself holds every page (without it, they would wait in the WAL until it reached 64 MiB)."""
    seed(server.client, 5000)
    db = server.services.db
    db.wait_for_checkpoint()
    with db.read() as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    assert db.path.stat().st_size == page_size * pages


def test_an_empty_list_does_nothing(client):
    assert bulk(client, []) == {"items": [], "errors": []}
    create(client, display_name="still works")
