"""A small JSON Schema validator for plugin configuration (API.md §7).

It knows exactly the keyword subset the contract names: type, properties, required,
additionalProperties, enum, const, minimum, maximum, minLength, maxLength, pattern, items,
minItems, maxItems, default, description, title. A schema that uses any other keyword is
refused by `schema_problems()` instead of being half-enforced, so a plugin author never
believes a rule is checked when it is not.

Problems with a value are `{"path", "message"}` dicts; `path` is a JSON Pointer into the
value ("" for the value itself, "/servers/0/port" deeper down).

Both walks recurse. That is safe because schemas and values only arrive through
`json_text.loads`, which refuses anything nested deeper than `json_text.MAX_DEPTH` levels.
"""

import json
import math
import re
from typing import Any

SUPPORTED_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "default",
        "description",
        "title",
    }
)
TYPE_NAMES = ("object", "array", "string", "number", "integer", "boolean", "null")
SIZE_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems")


def pointer(path: str, key: str | int) -> str:
    """`pointer("/a", "b/c")` → "/a/b~1c" (RFC 6901 escaping)."""
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def pointer_parts(path: str) -> list[str]:
    """ "/a/b~1c" → ["a", "b/c"]."""
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_of(value: Any) -> str:
    """The JSON type name of a parsed JSON value ("integer" for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def has_type(value: Any, name: str) -> bool:
    actual = type_of(value)
    return actual == name or (name == "number" and actual == "integer")


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: 1 == 1.0, but true is not 1 and order matters in arrays."""
    if is_number(left) and is_number(right):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    return left == right


def schema_problems(schema: Any, path: str = "") -> list[str]:
    """What makes `schema` unusable (unsupported keywords, malformed keyword values); []
    when it is fine. Each problem names the place in the schema as a JSON Pointer."""
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, dict):
        return [f"{path or '/'}: a schema must be an object or a boolean"]
    problems = [
        f"{path or '/'}: unsupported keyword {keyword!r}"
        for keyword in schema
        if keyword not in SUPPORTED_KEYWORDS
    ]
    for keyword, value in schema.items():
        if keyword in SUPPORTED_KEYWORDS:
            problem = keyword_problem(keyword, value)
            if problem:
                problems.append(f"{pointer(path, keyword)}: {problem}")
    for name, subschema in dict_or_empty(schema.get("properties")).items():
        problems += schema_problems(subschema, pointer(pointer(path, "properties"), name))
    for keyword in ("additionalProperties", "items"):
        if isinstance(schema.get(keyword), dict):
            problems += schema_problems(schema[keyword], pointer(path, keyword))
    if not problems and "default" in schema:
        problems += [
            f"{pointer(path, 'default')}{issue['path']}: {issue['message']}"
            for issue in validate(schema["default"], schema)
        ]
    return problems


def dict_or_empty(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def keyword_problem(keyword: str, value: Any) -> str | None:
    """Why this keyword's value is malformed, or None."""
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        if not names or len(set(map(str, names))) != len(names):
            return "must be a type name or a non-empty list of distinct type names"
        if not all(name in TYPE_NAMES for name in names):
            return f"must name types among {', '.join(TYPE_NAMES)}"
    elif keyword == "properties" and not isinstance(value, dict):
        return "must be an object of schemas"
    elif keyword == "required" and (
        not isinstance(value, list)
        or not all(isinstance(name, str) for name in value)
        or len(set(value)) != len(value)
    ):
        return "must be a list of distinct property names"
    elif keyword in ("additionalProperties", "items") and not isinstance(value, dict | bool):
        return "must be a schema (an object or a boolean)"
    elif keyword == "enum" and (not isinstance(value, list) or not value):
        return "must be a non-empty list"
    elif keyword in ("minimum", "maximum") and not (is_number(value) and math.isfinite(value)):
        return "must be a number"
    elif keyword in SIZE_KEYWORDS and (type_of(value) != "integer" or value < 0):
        return "must be a non-negative integer"
    elif keyword == "pattern":
        if not isinstance(value, str):
            return "must be a string"
        try:
            re.compile(value)
        except re.error as error:
            return f"is not a valid regular expression: {error}"
    elif keyword in ("description", "title") and not isinstance(value, str):
        return "must be a string"
    return None


def validate(instance: Any, schema: Any, path: str = "") -> list[dict]:
    """Every way `instance` breaks `schema` (which must have passed `schema_problems`)."""
    if schema is True:
        return []
    if schema is False:
        return [{"path": path, "message": "no value is allowed here"}]
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(has_type(instance, name) for name in names):
            return [{"path": path, "message": f"must be of type {' or '.join(names)}"}]
    problems = [{"path": path, "message": message} for message in scalar_problems(instance, schema)]
    if isinstance(instance, dict):
        problems += object_problems(instance, schema, path)
    if isinstance(instance, list):
        problems += array_problems(instance, schema, path)
    return problems


def scalar_problems(instance: Any, schema: dict) -> list[str]:
    messages = []
    if "const" in schema and not json_equal(instance, schema["const"]):
        messages.append(f"must be {render(schema['const'])}")
    if "enum" in schema and not any(json_equal(instance, item) for item in schema["enum"]):
        messages.append(f"must be one of {', '.join(render(item) for item in schema['enum'])}")
    if is_number(instance):
        if "minimum" in schema and instance < schema["minimum"]:
            messages.append(f"must be at least {render(schema['minimum'])}")
        if "maximum" in schema and instance > schema["maximum"]:
            messages.append(f"must be at most {render(schema['maximum'])}")
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            messages.append(f"must be at least {int(schema['minLength'])} characters long")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            messages.append(f"must be at most {int(schema['maxLength'])} characters long")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            messages.append(f"must match the pattern {schema['pattern']!r}")
    return messages


def object_problems(instance: dict, schema: dict, path: str) -> list[dict]:
    properties = schema.get("properties", {})
    problems = [
        {"path": pointer(path, name), "message": "is required"}
        for name in schema.get("required", [])
        if name not in instance
    ]
    additional = schema.get("additionalProperties", True)
    for name, value in instance.items():
        if name in properties:
            problems += validate(value, properties[name], pointer(path, name))
        elif additional is False:
            problems.append({"path": pointer(path, name), "message": "is not an allowed property"})
        else:
            problems += validate(value, additional, pointer(path, name))
    return problems


def array_problems(instance: list, schema: dict, path: str) -> list[dict]:
    problems = []
    if "minItems" in schema and len(instance) < schema["minItems"]:
        problems.append({"path": path, "message": f"must hold at least {schema['minItems']} items"})
    if "maxItems" in schema and len(instance) > schema["maxItems"]:
        problems.append({"path": path, "message": f"must hold at most {schema['maxItems']} items"})
    if "items" in schema:
        for index, item in enumerate(instance):
            problems += validate(item, schema["items"], pointer(path, index))
    return problems


def with_defaults(instance: Any, schema: Any) -> Any:
    """`instance` with the `default` of every absent property filled in, at every depth of
    nested objects. The instance itself is not changed."""
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return instance
    filled = dict(instance)
    for name, subschema in dict_or_empty(schema.get("properties")).items():
        if name in filled:
            filled[name] = with_defaults(filled[name], subschema)
        elif isinstance(subschema, dict) and "default" in subschema:
            filled[name] = with_defaults(subschema["default"], subschema)
    return filled


def render(value: Any) -> str:
    """A value as JSON text, for messages."""
    return json.dumps(value, ensure_ascii=False)
