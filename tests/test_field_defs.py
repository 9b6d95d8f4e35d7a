"""Field definitions, `/v1/admin/field-defs` (API.md §3, §4), through HTTP."""

import pytest

from tests.entity_support import assert_validation_error, events

FIELD_DEFS = "/v1/admin/field-defs"


def define(client, **body) -> dict:
    return client.post(FIELD_DEFS, body).data


@pytest.mark.parametrize(
    "field_type",
    ["string", "int", "number", "bool", "json", "integer", "float", "boolean", "any", "INT"],
)
def test_every_type_and_0_1_alias_is_accepted(client, field_type):
    definition = define(client, field_key="k", field_type=field_type)
    assert definition["field_type"] == field_type.lower()
    assert (definition["scope"], definition["required"], definition["options"]) == (
        "descriptor",
        False,
        {},
    )
    assert definition["regex"] is None


@pytest.mark.parametrize("field_type", ["enum", "option", "options"])
def test_enum_types_take_a_non_empty_list_of_string_options(client, field_type):
    definition = define(
        client, field_key="eyes", field_type=field_type, options={"options": ["blue", "brown"]}
    )
    assert definition["options"] == {"options": ["blue", "brown"]}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"field_type": "string"}, ["body", "field_key"]),
        ({"field_key": "  ", "field_type": "string"}, ["body", "field_key"]),
        ({"field_key": "k"}, ["body", "field_type"]),
        ({"field_key": "k", "field_type": "date"}, ["body", "field_type"]),
        ({"field_key": "k", "field_type": "string", "scope": ""}, ["body", "scope"]),
        (
            {"field_key": "k", "field_type": "string", "required": "yes please"},
            ["body", "required"],
        ),
        ({"field_key": "k", "field_type": "string", "options": []}, ["body", "options"]),
        ({"field_key": "k", "field_type": "string", "regex": "(unclosed"}, ["body", "regex"]),
        ({"field_key": "k", "field_type": "string", "regex": 5}, ["body", "regex"]),
        ({"field_key": "k", "field_type": "int", "regex": "\\d+"}, ["body", "regex"]),
        ({"field_key": "k", "field_type": "enum"}, ["body", "options", "options"]),
        (
            {"field_key": "k", "field_type": "enum", "options": {"options": []}},
            ["body", "options", "options"],
        ),
        (
            {"field_key": "k", "field_type": "enum", "options": {"options": [1]}},
            ["body", "options", "options"],
        ),
        (
            {"field_key": "k", "field_type": "int", "options": {"min": "1"}},
            ["body", "options", "min"],
        ),
        (
            {"field_key": "k", "field_type": "int", "options": {"min": 5, "max": 1}},
            ["body", "options", "min"],
        ),
        (
            {"field_key": "k", "field_type": "string", "options": {"max_length": -1}},
            ["body", "options", "max_length"],
        ),
        (
            {"field_key": "k", "field_type": "string", "options": {"min_length": 1.5}},
            ["body", "options", "min_length"],
        ),
    ],
)
def test_a_bad_definition_is_422_and_not_stored(client, body, loc):
    assert_validation_error(client.post(FIELD_DEFS, body), loc)
    assert client.get(FIELD_DEFS).data == {"items": []}


def test_key_and_scope_are_trimmed_and_unique_among_live_definitions(server):
    client = server.client
    first = define(client, scope=" entity ", field_key=" age ", field_type="int")
    assert (first["scope"], first["field_key"]) == ("entity", "age")
    duplicate = client.post(
        FIELD_DEFS, {"scope": "entity", "field_key": "age", "field_type": "string"}
    )
    assert duplicate.status == 409
    assert duplicate.error["message"] == "Field definition already exists"
    assert define(client, field_key="age", field_type="string")["scope"] == "descriptor"
    assert client.delete(f"{FIELD_DEFS}/{first['field_def_id']}").data == {"deleted": True}
    again = define(client, scope="entity", field_key="age", field_type="number")
    assert again["field_def_id"] != first["field_def_id"]
    assert [e[0] for e in events(server, first["field_def_id"])] == [
        "field_def.created",
        "field_def.deleted",
    ]


def test_a_definition_is_addressed_by_id_or_by_key(client):
    descriptor_def = define(client, field_key="mood", field_type="string")
    entity_def = define(client, scope="entity", field_key="mood", field_type="int")
    assert client.get(f"{FIELD_DEFS}/{descriptor_def['field_def_id']}").data == descriptor_def
    assert client.get(f"{FIELD_DEFS}/mood").data == descriptor_def
    assert client.get(f"{FIELD_DEFS}/mood?scope=entity").data == entity_def
    assert client.get(f"{FIELD_DEFS}/{entity_def['field_def_id']}?scope=other").data == entity_def
    for missing in ("nope", "f" * 64, "mood?scope=other"):
        reply = client.get(f"{FIELD_DEFS}/{missing}")
        assert reply.status == 404
        assert reply.error["message"] == "Field definition not found"
    patched = client.patch(f"{FIELD_DEFS}/mood?scope=entity", {"required": True}).data
    assert patched["required"] is True
    assert client.delete(f"{FIELD_DEFS}/mood").data == {"deleted": True}
    assert client.get(f"{FIELD_DEFS}/mood").status == 404
    assert client.delete(f"{FIELD_DEFS}/mood").status == 404


def test_list_is_ordered_and_filters_by_scope(client):
    define(client, scope="entity", field_key="b", field_type="string")
    define(client, field_key="z", field_type="string")
    define(client, field_key="a", field_type="string")
    everything = client.get(FIELD_DEFS).data["items"]
    assert [(d["scope"], d["field_key"]) for d in everything] == [
        ("descriptor", "a"),
        ("descriptor", "z"),
        ("entity", "b"),
    ]
    only_entity = client.get(FIELD_DEFS, query={"scope": "entity"}).data["items"]
    assert [d["field_key"] for d in only_entity] == ["b"]


def test_patch_changes_what_it_is_given_and_null_clears_the_regex(server):
    client = server.client
    definition = define(client, field_key="code", field_type="string", regex="[A-Z]{3}")
    path = f"{FIELD_DEFS}/{definition['field_def_id']}"
    patched = client.patch(path, {"required": True, "options": {"max_length": 3}}).data
    assert (patched["regex"], patched["required"], patched["options"]) == (
        "[A-Z]{3}",
        True,
        {"max_length": 3},
    )
    assert patched["updated_at"] >= definition["updated_at"]
    cleared = client.patch(path, {"regex": None, "field_key": None}).data
    assert (cleared["regex"], cleared["field_key"]) == (None, "code")
    assert client.get(path).data == cleared
    assert [e[2] for e in events(server, definition["field_def_id"])[1:]] == [
        {"changed": ["required", "options"]},
        {"changed": ["regex"]},
    ]


def test_a_patch_that_would_break_the_definition_is_422_and_changes_nothing(client):
    definition = define(client, field_key="code", field_type="string", regex="[a-z]+")
    path = f"{FIELD_DEFS}/{definition['field_def_id']}"
    assert_validation_error(client.patch(path, {"field_type": "int"}), ["body", "regex"])
    assert_validation_error(
        client.patch(path, {"field_type": "enum", "regex": None}),
        [
            "body",
            "options",
            "options",
        ],
    )
    assert_validation_error(client.patch(path, {"regex": "["}), ["body", "regex"])
    assert client.get(path).data == definition
    other = define(client, field_key="other", field_type="string")
    clash = client.patch(f"{FIELD_DEFS}/{other['field_def_id']}", {"field_key": "code"})
    assert clash.status == 409


def test_an_empty_patch_changes_nothing(client):
    definition = define(client, field_key="k", field_type="json")
    assert client.patch(f"{FIELD_DEFS}/k", {}).data == definition
