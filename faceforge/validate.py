"""Small readers for request values. Each returns a clean value or raises ValidationError
naming the field (`loc`) and the problem, in the shape of API.md §1.

`loc` is the place of the value, e.g. ("body", "display_name") or ("query", "limit").
"""

import json
import math
from collections.abc import Mapping
from typing import Any

from faceforge.errors import ValidationError

MISSING = object()
# SQLite's integer range: a larger value could not even be compared with a column.
SQL_INTEGER_MIN, SQL_INTEGER_MAX = -(2**63), 2**63 - 1


def fail(loc: tuple, msg: str, type_: str = "value_error"):
    raise ValidationError.field(loc, msg, type_)


def parse_json_object(raw: bytes, loc: tuple = ("body",)) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    if not raw.strip():
        fail(loc, "a JSON object is required", "missing")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail(loc, "body must be UTF-8", "json_invalid")
    except json.JSONDecodeError as error:
        fail(
            loc,
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}",
            "json_invalid",
        )
    if not isinstance(document, dict):
        fail(loc, "must be a JSON object", "type_error")
    return document


def name(value: Any, loc: tuple) -> str:
    """A name or key: a string, trimmed, non-empty after trimming."""
    if not isinstance(value, str):
        fail(loc, "must be a string", "type_error")
    trimmed = value.strip()
    if not trimmed:
        fail(loc, "must not be blank", "value_error")
    return trimmed


def required(body: Mapping[str, Any], key: str, loc: tuple = ("body",)) -> Any:
    value = body.get(key, MISSING)
    if value is MISSING or value is None:
        fail((*loc, key), "field required", "missing")
    return value


def integer(value: Any, loc: tuple, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer from JSON (int) or from a query string (digits), within SQLite's range."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            fail(loc, "must be an integer", "type_error")
    if isinstance(value, bool) or not isinstance(value, int):
        fail(loc, "must be an integer", "type_error")
    minimum = SQL_INTEGER_MIN if minimum is None else minimum
    maximum = SQL_INTEGER_MAX if maximum is None else maximum
    if value < minimum:
        fail(loc, f"must be at least {minimum}", "value_error")
    if value > maximum:
        fail(loc, f"must be at most {maximum}", "value_error")
    return value


def number(
    value: Any, loc: tuple, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A finite JSON number (int or float), within the bounds when given."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(loc, "must be a number", "type_error")
    if minimum is not None and value < minimum:
        fail(loc, f"must be at least {minimum}", "value_error")
    if maximum is not None and value > maximum:
        fail(loc, f"must be at most {maximum}", "value_error")
    return value


def optional_text(value: Any, loc: tuple) -> str | None:
    """A string or null (absent counts as null)."""
    if value is not None and not isinstance(value, str):
        fail(loc, "must be a string or null", "type_error")
    return value


def boolean(value: Any, loc: tuple) -> bool:
    """A boolean from JSON, or from a query string (true/false/1/0)."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    if not isinstance(value, bool):
        fail(loc, "must be true or false", "type_error")
    return value


def choice(value: Any, loc: tuple, choices: tuple[str, ...], *, fold_case: bool = False) -> str:
    if isinstance(value, str) and fold_case:
        value = value.strip().lower()
    if value not in choices:
        fail(loc, f"must be one of: {', '.join(choices)}", "enum")
    return value


def json_object(value: Any, loc: tuple) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(loc, "must be an object", "type_error")
    return value


def name_list(value: Any, loc: tuple) -> list[str]:
    """A list of names, each trimmed and non-blank; duplicates collapsed, order kept."""
    if not isinstance(value, list):
        fail(loc, "must be a list of strings", "type_error")
    names: dict[str, None] = {}
    for index, item in enumerate(value):
        names.setdefault(name(item, (*loc, index)), None)
    return list(names)
