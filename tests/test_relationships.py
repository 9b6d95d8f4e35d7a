"""Relationships and relation-type suggestions (API.md §3, §6) through HTTP."""

import pytest

from faceforge.entities.relationships import SEED_TYPES
from tests.entity_support import assert_validation_error, create, events


@pytest.fixture
def people(client) -> list[str]:
    return [create(client, display_name=name)["entity_id"] for name in ("Ann", "Bob", "Cy")]


def relate(client, src, dst, relationship_type="friend", **extra):
    return client.post(
        "/v1/relationships",
        {
            "src_entity_id": src,
            "dst_entity_id": dst,
            "relationship_type": relationship_type,
            **extra,
        },
    )


def listed(client, entity_id) -> list[str]:
    items = client.get("/v1/relationships", query={"entity_id": entity_id}).data["items"]
    return [item["relationship_id"] for item in items]


def test_create_trims_the_type_and_lists_on_both_sides(server, people):
    client = server.client
    ann, bob, cy = people
    relationship = relate(client, ann, bob, " best friend ", fields={"since": 2001}).data
    assert relationship["relationship_type"] == "best friend"
    assert relationship["fields"] == {"since": 2001}
    assert (relationship["src_entity_id"], relationship["dst_entity_id"]) == (ann, bob)
    assert set(relationship) == {
        "relationship_id",
        "src_entity_id",
        "dst_entity_id",
        "relationship_type",
        "fields",
        "created_at",
    }
    assert listed(client, ann) == listed(client, bob) == [relationship["relationship_id"]]
    assert listed(client, cy) == []
    assert events(server, relationship["relationship_id"]) == [
        (
            "relationship.created",
            relationship["relationship_id"],
            {"src_entity_id": ann, "dst_entity_id": bob, "relationship_type": "best friend"},
        )
    ]


def test_list_is_newest_first_and_includes_self_relationships_once(client, people):
    ann, bob, _ = people
    first = relate(client, ann, bob).data["relationship_id"]
    second = relate(client, bob, ann, "sibling").data["relationship_id"]
    itself = relate(client, ann, ann, "alter ego").data["relationship_id"]
    assert sorted(listed(client, ann)) == sorted([first, second, itself])
    created = [
        item["created_at"]
        for item in client.get(f"/v1/relationships?entity_id={ann}").data["items"]
    ]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"relationship_type": "  "}, ["body", "relationship_type"]),
        ({"relationship_type": 3}, ["body", "relationship_type"]),
        ({"src_entity_id": None}, ["body", "src_entity_id"]),
        ({"fields": []}, ["body", "fields"]),
    ],
)
def test_bad_bodies_are_422(client, people, changes, loc):
    body = {"src_entity_id": people[0], "dst_entity_id": people[1], "relationship_type": "friend"}
    assert_validation_error(client.post("/v1/relationships", {**body, **changes}), loc)


def test_an_empty_body_names_every_required_field(client):
    assert_validation_error(
        client.post("/v1/relationships", {}),
        ["body", "src_entity_id"],
        ["body", "dst_entity_id"],
        ["body", "relationship_type"],
    )


def test_both_entities_must_exist_and_be_live(client, people):
    ann, bob, cy = people
    client.delete(f"/v1/entities/{cy}")
    for src, dst, message, field in (
        ("f" * 64, bob, "Source entity not found", "src_entity_id"),
        (ann, cy, "Destination entity not found", "dst_entity_id"),
    ):
        reply = relate(client, src, dst)
        assert reply.status == 404
        assert reply.error["message"] == message
        assert reply.error["details"][0]["loc"] == ["body", field]


def test_the_same_relationship_twice_is_409_until_deleted(server, people):
    client = server.client
    ann, bob, _ = people
    first = relate(client, ann, bob).data
    assert relate(client, ann, bob).status == 409
    assert relate(client, bob, ann).status == 200
    assert relate(client, ann, bob, "Friend").status == 200
    path = f"/v1/relationships/{first['relationship_id']}"
    assert client.delete(path).data == {"deleted": True}
    assert client.delete(path).status == 404
    assert relate(client, ann, bob).status == 200
    assert [e[0] for e in events(server, first["relationship_id"])] == [
        "relationship.created",
        "relationship.deleted",
    ]


def test_deleting_either_side_hides_the_relationship(client, people):
    ann, bob, cy = people
    relate(client, ann, bob)
    kept = relate(client, cy, ann).data["relationship_id"]
    client.delete(f"/v1/entities/{bob}")
    assert listed(client, ann) == [kept]
    assert client.get("/v1/relationships", query={"entity_id": bob}).status == 404


def test_listing_needs_a_live_entity_id(client):
    assert_validation_error(client.get("/v1/relationships"), ["query", "entity_id"])
    assert_validation_error(client.get("/v1/relationships?entity_id="), ["query", "entity_id"])
    assert client.get("/v1/relationships", query={"entity_id": "f" * 64}).status == 404


def types(client, **query) -> list[str]:
    return client.get("/v1/relation-types", query=query).data["items"]


def test_relation_types_start_with_the_seed_list(client):
    assert types(client, limit=200) == sorted(SEED_TYPES)
    assert types(client) == sorted(SEED_TYPES)[:20]
    assert types(client, limit=3) == sorted(SEED_TYPES)[:3]


def test_relation_types_add_types_in_use_and_put_prefix_matches_first(client, people):
    ann, bob, cy = people
    relate(client, ann, bob, "Stepchild")
    relate(client, ann, cy, "Friend")
    relate(client, bob, cy, "childhood friend")
    gone = relate(client, cy, bob, "ex-partner").data["relationship_id"]
    client.delete(f"/v1/relationships/{gone}")
    assert types(client, query="CHILD") == ["child", "childhood friend", "Stepchild"]
    assert types(client, query="friend") == ["friend", "childhood friend"]
    assert "ex-partner" not in types(client, limit=200)
    assert types(client, query="zzz") == []


@pytest.mark.parametrize("limit", ["0", "201", "x"])
def test_relation_types_limit_is_checked(client, limit):
    assert_validation_error(client.get(f"/v1/relation-types?limit={limit}"), ["query", "limit"])
