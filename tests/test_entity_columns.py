"""The column table of faceforge/entities/columns.py against the database, and every column of
an entity through create, read, list, PATCH and bulk-upsert over HTTP."""

from faceforge.entities.columns import ENTITY_COLUMNS
from tests.entity_support import bulk, create, events, listing, upload_asset

# The Entity object of API.md §4, in its documented order.
ENTITY_KEYS = [
    "entity_id",
    "display_name",
    "aliases",
    "tags",
    "fields",
    "external_ids",
    "primary_thumbnail_asset_id",
    "plugin_data",
    "created_at",
    "updated_at",
]


def test_the_column_table_names_every_column_of_the_entities_table(server):
    with server.services.db.read() as connection:
        schema = {row[1] for row in connection.execute("PRAGMA table_info(entities)")}
    assert {column.name for column in ENTITY_COLUMNS} == schema - {"deleted_at"}


def test_every_changeable_key_is_stored_read_back_and_reported_changed(server):
    client = server.client
    first_asset, second_asset = upload_asset(server, b"first"), upload_asset(server, b"second")
    # Each changeable key: its value at creation, then after the PATCH.
    values = {
        "display_name": ("Ada", "Ada Lovelace"),
        "aliases": (["A"], ["Ada King"]),
        "tags": (["one"], ["two"]),
        "fields": ({"born": "1815"}, {"born": "1815-12-10"}),
        "external_ids": ({"wikidata": "Q1"}, {"wikidata": "Q7259"}),
        "primary_thumbnail_asset_id": (first_asset, second_asset),
        "plugin_data": ({"faces": {"n": 1}}, {"faces": {"n": 2}}),
    }
    first = {key: pair[0] for key, pair in values.items()}
    second = {key: pair[1] for key, pair in values.items()}
    created = create(client, **first)
    entity_id = created["entity_id"]
    assert list(created) == ENTITY_KEYS
    assert {key: created[key] for key in first} == first

    patched = client.patch(f"/v1/entities/{entity_id}", second).data
    assert {key: patched[key] for key in second} == second
    assert client.get(f"/v1/entities/{entity_id}").data == patched
    assert listing(client)["items"] == [patched]
    assert events(server, entity_id)[-1] == (
        "entity.updated",
        entity_id,
        {"changed": [key for key in ENTITY_KEYS if key in second]},
    )

    reply = bulk(client, [{"entity_id": entity_id, **first}], mode="replace")
    assert reply["items"] == [{"entity_id": entity_id, "status": "updated", "index": 0}]
    restored = client.get(f"/v1/entities/{entity_id}").data
    assert {key: restored[key] for key in first} == first
    assert restored["created_at"] == created["created_at"]
