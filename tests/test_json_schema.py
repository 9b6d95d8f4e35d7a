"""The config-schema validator: the keyword subset of API.md §7, exact problem lists."""

import pytest

from faceforge.json_schema import schema_problems, validate, with_defaults

SERVER_SCHEMA = {
    "type": "object",
    "title": "Server",
    "description": "Where the recognizer runs",
    "properties": {
        "url": {"type": "string", "pattern": "^https?://", "minLength": 8, "maxLength": 200},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 8080},
        "mode": {"enum": ["fast", "accurate"], "default": "fast"},
        "version": {"const": 2},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "threshold": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "nested": {
            "type": "object",
            "properties": {"depth": {"type": "integer", "default": 3}},
            "additionalProperties": False,
        },
    },
    "required": ["url"],
    "additionalProperties": {"type": "boolean"},
}


def test_a_valid_config_has_no_problems():
    config = {
        "url": "https://recognizer.local",
        "port": 9000,
        "mode": "accurate",
        "version": 2.0,
        "tags": ["a"],
        "threshold": None,
        "nested": {"depth": 1},
        "extra_flag": True,
    }
    assert schema_problems(SERVER_SCHEMA) == []
    assert validate(config, SERVER_SCHEMA) == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, [{"path": "/url", "message": "is required"}]),
        ({"url": 5}, [{"path": "/url", "message": "must be of type string"}]),
        (
            {"url": "ftp://x.example"},
            [{"path": "/url", "message": "must match the pattern '^https?://'"}],
        ),
        ({"url": "http://"}, [{"path": "/url", "message": "must be at least 8 characters long"}]),
        (
            {"url": "http://a" + "a" * 200},
            [{"path": "/url", "message": "must be at most 200 characters long"}],
        ),
        ({"url": "http://host", "port": 0}, [{"path": "/port", "message": "must be at least 1"}]),
        (
            {"url": "http://host", "port": 70000},
            [{"path": "/port", "message": "must be at most 65535"}],
        ),
        (
            {"url": "http://host", "port": 1.5},
            [{"path": "/port", "message": "must be of type integer"}],
        ),
        (
            {"url": "http://host", "port": True},
            [{"path": "/port", "message": "must be of type integer"}],
        ),
        (
            {"url": "http://host", "mode": "slow"},
            [{"path": "/mode", "message": 'must be one of "fast", "accurate"'}],
        ),
        ({"url": "http://host", "version": True}, [{"path": "/version", "message": "must be 2"}]),
        (
            {"url": "http://host", "tags": []},
            [{"path": "/tags", "message": "must hold at least 1 items"}],
        ),
        (
            {"url": "http://host", "tags": ["a", "b", "c", "d"]},
            [{"path": "/tags", "message": "must hold at most 3 items"}],
        ),
        (
            {"url": "http://host", "tags": ["a", 2]},
            [{"path": "/tags/1", "message": "must be of type string"}],
        ),
        (
            {"url": "http://host", "threshold": "x"},
            [{"path": "/threshold", "message": "must be of type number or null"}],
        ),
        (
            {"url": "http://host", "nested": {"depth": 1, "x": 1}},
            [{"path": "/nested/x", "message": "is not an allowed property"}],
        ),
        (
            {"url": "http://host", "a/b": "yes"},
            [{"path": "/a~1b", "message": "must be of type boolean"}],
        ),
    ],
)
def test_each_broken_rule_is_reported_at_its_path(config, expected):
    assert validate(config, SERVER_SCHEMA) == expected


def test_every_problem_is_reported_not_only_the_first():
    problems = validate({"port": "x", "mode": "slow"}, SERVER_SCHEMA)
    assert [p["path"] for p in problems] == ["/url", "/port", "/mode"]


def test_wrong_type_of_the_whole_value():
    assert validate([], SERVER_SCHEMA) == [{"path": "", "message": "must be of type object"}]


def test_integers_and_equal_floats_are_the_same_json_value():
    assert validate(3.0, {"type": "integer", "enum": [3]}) == []
    assert validate(1, {"enum": [True]}) == [{"path": "", "message": "must be one of true"}]
    assert validate({"a": [1, 2]}, {"const": {"a": [1.0, 2]}}) == []
    assert validate([2, 1], {"const": [1, 2]}) != []


def test_boolean_schemas():
    assert validate({"x": 1}, {"properties": {"x": True}}) == []
    assert validate({"x": 1}, {"properties": {"x": False}}) == [
        {"path": "/x", "message": "no value is allowed here"}
    ]


def test_pattern_searches_anywhere_in_the_string_as_json_schema_does():
    assert validate("xx-abc-yy", {"pattern": "abc"}) == []


def test_defaults_are_filled_in_at_every_depth_without_changing_the_input():
    config = {"url": "http://host", "nested": {}}
    filled = with_defaults(config, SERVER_SCHEMA)
    assert filled == {
        "url": "http://host",
        "port": 8080,
        "mode": "fast",
        "nested": {"depth": 3},
    }
    assert config == {"url": "http://host", "nested": {}}


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "oneOf": []}, "/: unsupported keyword 'oneOf'"),
        ({"properties": {"a": {"format": "email"}}}, "/properties/a: unsupported keyword 'format'"),
        ({"items": {"$ref": "#/x"}}, "/items: unsupported keyword '$ref'"),
        (
            {"type": "text"},
            "/type: must name types among object, array, string, number, integer, boolean, null",
        ),
        ({"type": []}, "/type: must be a type name or a non-empty list of distinct type names"),
        ({"required": "a"}, "/required: must be a list of distinct property names"),
        ({"properties": []}, "/properties: must be an object of schemas"),
        (
            {"additionalProperties": 1},
            "/additionalProperties: must be a schema (an object or a boolean)",
        ),
        ({"enum": []}, "/enum: must be a non-empty list"),
        ({"minimum": "1"}, "/minimum: must be a number"),
        ({"minLength": -1}, "/minLength: must be a non-negative integer"),
        ({"maxItems": 1.5}, "/maxItems: must be a non-negative integer"),
        (
            {"pattern": "("},
            "/pattern: is not a valid regular expression:"
            " missing ), unterminated subpattern at position 0",
        ),
        ({"title": 3}, "/title: must be a string"),
        ({"type": "integer", "default": "x"}, "/default: must be of type integer"),
        ([], "/: a schema must be an object or a boolean"),
    ],
)
def test_schemas_with_unsupported_or_malformed_keywords_are_refused(schema, problem):
    assert schema_problems(schema) == [problem]
