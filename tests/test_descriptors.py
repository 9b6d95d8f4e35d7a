"""Descriptors (API.md §3, §4): values checked against their field definition, through HTTP."""

import pytest

from tests.entity_support import assert_validation_error, create, events

FIELD_DEFS = "/v1/admin/field-defs"


@pytest.fixture
def entity_id(client) -> str:
    return create(client, display_name="Described")["entity_id"]


def add(client, entity_id, **body):
    return client.post(f"/v1/entities/{entity_id}/descriptors", body)


# (field type, options, regex, accepted values, [(rejected value, message)])
TYPE_CASES = [
    (
        "string",
        {},
        None,
        ["", "x", "Zoë"],
        [(5, "value must be a string"), ([], "value must be a string")],
    ),
    (
        "string",
        {},
        "[A-Z]{2}\\d",
        ["AB1"],
        [("ab1", "value does not match regex"), ("AB12", "value does not match regex")],
    ),
    (
        "string",
        {"min_length": 2, "max_length": 3},
        None,
        ["ab", "abc"],
        [
            ("a", "value must be at least 2 characters long"),
            ("abcd", "value must be at most 3 characters long"),
        ],
    ),
    (
        "int",
        {},
        None,
        [0, -5, 10**12],
        [
            (1.5, "value must be an integer"),
            (True, "value must be an integer"),
            ("1", "value must be an integer"),
        ],
    ),
    (
        "integer",
        {"min": 1, "max": 10},
        None,
        [1, 10],
        [(0, "value must be at least 1"), (11, "value must be at most 10")],
    ),
    (
        "number",
        {},
        None,
        [1, 1.5, -0.25],
        [("1.5", "value must be a number"), (False, "value must be a number")],
    ),
    ("float", {"min": 0.5}, None, [0.5, 2], [(0.25, "value must be at least 0.5")]),
    (
        "bool",
        {},
        None,
        [True, False],
        [(1, "value must be a boolean"), ("true", "value must be a boolean")],
    ),
    ("boolean", {}, None, [True], [(0, "value must be a boolean")]),
    (
        "enum",
        {"options": ["red", "green"]},
        None,
        ["red"],
        [
            ("blue", "value must be one of the allowed options"),
            ("RED", "value must be one of the allowed options"),
            (1, "value must be a string"),
        ],
    ),
    (
        "options",
        {"options": ["x"]},
        None,
        ["x"],
        [("y", "value must be one of the allowed options")],
    ),
    ("json", {}, None, [{"a": [1, None]}, [1, 2], "s", 3, True], []),
    ("any", {}, None, [{"nested": {"deep": 1}}], []),
]


@pytest.mark.parametrize(("field_type", "options", "regex", "accepted", "rejected"), TYPE_CASES)
def test_each_field_type_accepts_and_rejects(
    client, entity_id, field_type, options, regex, accepted, rejected
):
    client.post(
        FIELD_DEFS,
        {"field_key": "k", "field_type": field_type, "options": options, "regex": regex},
    )
    for value, message in rejected:
        reply = add(client, entity_id, field_key="k", value=value)
        error = assert_validation_error(reply, ["body", "value"])
        assert error["message"] == "Invalid descriptor value"
        assert [d["msg"] for d in error["details"]] == [message], value
    for value in accepted:
        descriptor = add(client, entity_id, field_key="k", value=value).data
        assert descriptor["value"] == value
        assert client.delete(f"/v1/descriptors/{descriptor['descriptor_id']}").status == 200


def test_required_values_must_be_present_and_not_empty(client, entity_id):
    client.post(FIELD_DEFS, {"field_key": "name", "field_type": "string", "required": True})
    client.post(FIELD_DEFS, {"field_key": "note", "field_type": "string"})
    for body, message in (({}, "value is required"), ({"value": ""}, "value must not be empty")):
        error = assert_validation_error(
            add(client, entity_id, field_key="name", **body), ["body", "value"]
        )
        assert error["details"][0]["msg"] == message
    assert add(client, entity_id, field_key="note").data["value"] is None


def test_a_descriptor_needs_a_field_definition_of_its_scope_and_key(client, entity_id):
    client.post(FIELD_DEFS, {"scope": "looks", "field_key": "eyes", "field_type": "string"})
    error = assert_validation_error(
        add(client, entity_id, field_key="eyes", value="blue"),
        [
            "body",
            "field_key",
        ],
    )
    assert error["message"] == "Unknown field definition"
    descriptor = add(client, entity_id, scope=" looks ", field_key=" eyes ", value="blue").data
    assert (descriptor["scope"], descriptor["field_key"], descriptor["entity_id"]) == (
        "looks",
        "eyes",
        entity_id,
    )


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({"value": 1}, [["body", "field_key"]]),
        ({"field_key": "  "}, [["body", "field_key"]]),
        ({"field_key": "k", "scope": ""}, [["body", "scope"]]),
        ({"field_key": 3, "scope": 4}, [["body", "field_key"], ["body", "scope"]]),
    ],
)
def test_bad_descriptor_bodies_are_422(client, entity_id, body, locs):
    assert_validation_error(add(client, entity_id, **body), *locs)


def test_one_live_descriptor_per_entity_scope_and_key_and_recreate_after_delete(server, entity_id):
    client = server.client
    client.post(FIELD_DEFS, {"field_key": "k", "field_type": "int"})
    first = add(client, entity_id, field_key="k", value=1).data
    duplicate = add(client, entity_id, field_key="k", value=2)
    assert duplicate.status == 409
    assert duplicate.error["message"] == "Descriptor already exists"
    assert client.delete(f"/v1/descriptors/{first['descriptor_id']}").data == {"deleted": True}
    assert client.delete(f"/v1/descriptors/{first['descriptor_id']}").status == 404
    second = add(client, entity_id, field_key="k", value=2).data
    assert client.get(f"/v1/entities/{entity_id}/descriptors").data == {"items": [second]}
    assert [e[0] for e in events(server, first["descriptor_id"])] == [
        "descriptor.created",
        "descriptor.deleted",
    ]


def test_list_is_ordered_by_scope_then_key(client, entity_id):
    for scope, key in (("b", "x"), ("a", "z"), ("a", "y")):
        client.post(FIELD_DEFS, {"scope": scope, "field_key": key, "field_type": "json"})
        add(client, entity_id, scope=scope, field_key=key, value=key)
    items = client.get(f"/v1/entities/{entity_id}/descriptors").data["items"]
    assert [(d["scope"], d["field_key"]) for d in items] == [("a", "y"), ("a", "z"), ("b", "x")]


def test_patch_validates_the_new_value(server, entity_id):
    client = server.client
    client.post(FIELD_DEFS, {"field_key": "age", "field_type": "int", "options": {"min": 0}})
    descriptor = add(client, entity_id, field_key="age", value=5).data
    path = f"/v1/descriptors/{descriptor['descriptor_id']}"
    error = assert_validation_error(client.patch(path, {"value": -1}), ["body", "value"])
    assert error["details"][0]["msg"] == "value must be at least 0"
    patched = client.patch(path, {"value": 6}).data
    assert (patched["value"], patched["created_at"]) == (6, descriptor["created_at"])
    assert client.get(f"/v1/entities/{entity_id}/descriptors").data["items"] == [patched]
    unchanged = client.patch(path, {"value": 6}).data
    assert unchanged == patched
    assert [e[0] for e in events(server, descriptor["descriptor_id"])] == [
        "descriptor.created",
        "descriptor.updated",
    ]


def test_a_deleted_definition_blocks_changes_until_it_is_recreated(client, entity_id):
    definition = client.post(FIELD_DEFS, {"field_key": "k", "field_type": "string"}).data
    descriptor = add(client, entity_id, field_key="k", value="a").data
    client.delete(f"{FIELD_DEFS}/{definition['field_def_id']}")
    path = f"/v1/descriptors/{descriptor['descriptor_id']}"
    assert_validation_error(client.patch(path, {"value": "b"}), ["body", "field_key"])
    client.post(FIELD_DEFS, {"field_key": "k", "field_type": "string"})
    assert client.patch(path, {"value": "b"}).data["value"] == "b"


@pytest.mark.parametrize("missing", ["f" * 64, "nope"])
def test_missing_entities_and_descriptors_are_404(client, missing):
    client.post(FIELD_DEFS, {"field_key": "k", "field_type": "json"})
    assert client.get(f"/v1/entities/{missing}/descriptors").status == 404
    assert add(client, missing, field_key="k", value=1).status == 404
    assert client.patch(f"/v1/descriptors/{missing}", {"value": 1}).status == 404
    assert client.delete(f"/v1/descriptors/{missing}").status == 404
