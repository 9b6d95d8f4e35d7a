"""Small readers for request values. Each returns a clean value or raises ValidationError
naming the field (`loc`) and the problem, in the shape of API.md §1.

`loc` is the place of the value, e.g. ("body", "display_name") or ("query", "limit").
"""

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from faceforge import clock, ids, json_text
from faceforge.errors import ValidationError, problem

MISSING = object()
# SQLite's integer range: a larger value could not even be compared with a column.
SQL_INTEGER_MIN, SQL_INTEGER_MAX = -(2**63), 2**63 - 1


def fail(loc: tuple, msg: str, type_: str = "value_error") -> NoReturn:
    """422 for one problem with one field."""
    raise ValidationError.many([problem(loc, msg, type_)])


def not_json_constant(constant: str):
    """Python's json accepts NaN and Infinity; JSON (and SQLite's JSON functions) do not."""
    fail(("body",), f"{constant} is not valid JSON", "json_invalid")


def parse_json_object(raw: bytes, loc: tuple = ("body",)) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    if not raw.strip():
        fail(loc, "a JSON object is required", "missing")
    try:
        text = raw.decode("utf-8")
        document = json_text.loads(text, parse_constant=not_json_constant)
    except UnicodeDecodeError:
        fail(loc, "body must be UTF-8", "json_invalid")
    except (json_text.TooDeep, json_text.NotUnicode) as error:
        fail(loc, str(error), "json_invalid")
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


def existing_folder(raw_path: str, loc: tuple) -> Path:
    """The folder `raw_path` names, absolute, with `~`, `..` and symlinks resolved; 422 unless
    it is an existing directory. Relative paths are refused: they would be relative to
    wherever the server happens to run (the CLI resolves them for you)."""
    if not Path(raw_path).expanduser().is_absolute():
        fail(loc, f"{raw_path} is not an absolute path")
    try:
        path = Path(raw_path).expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        fail(loc, f"{raw_path} does not exist")
    if not path.is_dir():
        fail(loc, f"{path} is not a directory")
    return path


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


def timestamp(value: Any, loc: tuple) -> str:
    """A time as the API writes them (`2026-01-31T12:00:00.000Z`, see clock.py)."""
    try:
        clock.parse_time(value)
    except (TypeError, ValueError):
        fail(loc, "must be a time like 2026-01-31T12:00:00.000Z")
    return value


def identifier(value: Any, loc: tuple) -> str:
    """An id (64 lowercase hex characters, see ids.py)."""
    if not ids.is_id(value):
        fail(loc, "must be an id (64 lowercase hex characters)")
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


def name_list(value: Any, loc: tuple, *, fold_case: bool = False) -> list[str]:
    """A list of names, each trimmed and non-blank; duplicates collapsed (ignoring case when
    `fold_case`), the first spelling and the order kept."""
    if not isinstance(value, list):
        fail(loc, "must be a list of strings", "type_error")
    names: dict[str, str] = {}
    for index, item in enumerate(value):
        trimmed = name(item, (*loc, index))
        names.setdefault(trimmed.casefold() if fold_case else trimmed, trimmed)
    return list(names.values())


def read_object(
    body: Mapping[str, Any],
    readers: Mapping[str, Any],
    loc: tuple = ("body",),
    *,
    required: tuple[str, ...] = (),
    null_allowed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The keys of `body` that `readers` name, each passed through its reader
    `reader(value, loc)`. Absent keys are left out, and so are null ones unless the key is in
    `null_allowed` (then its reader gets the null); a key in `required` must be there and not
    null. Every problem of the body is collected into one ValidationError."""
    values: dict[str, Any] = {}
    problems: list[dict] = []
    for key, reader in readers.items():
        value = body.get(key)
        if value is None and key in required:
            problems.append(problem((*loc, key), "field required", "missing"))
            continue
        if key not in body or (value is None and key not in null_allowed):
            continue
        try:
            values[key] = reader(value, (*loc, key))
        except ValidationError as error:
            problems.extend(error.details)
    if problems:
        raise ValidationError.many(problems)
    return values
