"""Checking a value against a field definition (API.md §4), with the 0.1.x messages.

A definition constrains entity `fields` (scope `entity`) and descriptor values (any other
scope). Types and their 0.1.x aliases: string, int (integer), number (float), bool (boolean),
enum (option, options), json (any). `options` may hold `options` (the enum's allowed strings),
`min`/`max` (numbers) and `min_length`/`max_length` (strings).
"""

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from faceforge.errors import problem

FIELD_TYPES = {
    "string": "string",
    "int": "int",
    "integer": "int",
    "number": "number",
    "float": "number",
    "bool": "bool",
    "boolean": "bool",
    "enum": "enum",
    "option": "enum",
    "options": "enum",
    "json": "json",
    "any": "json",
}


@dataclass(frozen=True)
class FieldRule:
    """What a definition asks of a value."""

    field_key: str
    kind: str  # a canonical type: a value of FIELD_TYPES
    required: bool
    options: dict
    regex: str | None


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def value_errors(rule: FieldRule, value: Any) -> list[str]:
    """Every problem with `value` under `rule`, as sentences; empty when it is acceptable."""
    if value is None:
        return ["value is required"] if rule.required else []
    check = TYPE_CHECKS[rule.kind]
    return check(rule, value)


def check_string(rule: FieldRule, value: Any) -> list[str]:
    if not isinstance(value, str):
        return ["value must be a string"]
    if rule.required and value == "":
        return ["value must not be empty"]
    errors = length_errors(rule.options, value)
    if rule.regex is not None and compiled(rule.regex).fullmatch(value) is None:
        errors.append("value does not match regex")
    return errors


def check_int(rule: FieldRule, value: Any) -> list[str]:
    if not isinstance(value, int) or isinstance(value, bool):
        return ["value must be an integer"]
    return range_errors(rule.options, value)


def check_number(rule: FieldRule, value: Any) -> list[str]:
    if not is_finite_number(value):
        return ["value must be a number"]
    return range_errors(rule.options, value)


def check_bool(rule: FieldRule, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else ["value must be a boolean"]


def check_enum(rule: FieldRule, value: Any) -> list[str]:
    if not isinstance(value, str):
        return ["value must be a string"]
    if value not in rule.options.get("options", ()):
        return ["value must be one of the allowed options"]
    return []


def check_json(rule: FieldRule, value: Any) -> list[str]:
    return []


TYPE_CHECKS = {
    "string": check_string,
    "int": check_int,
    "number": check_number,
    "bool": check_bool,
    "enum": check_enum,
    "json": check_json,
}


def range_errors(options: dict, value: int | float) -> list[str]:
    errors = []
    if "min" in options and value < options["min"]:
        errors.append(f"value must be at least {options['min']}")
    if "max" in options and value > options["max"]:
        errors.append(f"value must be at most {options['max']}")
    return errors


def length_errors(options: dict, value: str) -> list[str]:
    errors = []
    if "min_length" in options and len(value) < options["min_length"]:
        errors.append(f"value must be at least {options['min_length']} characters long")
    if "max_length" in options and len(value) > options["max_length"]:
        errors.append(f"value must be at most {options['max_length']} characters long")
    return errors


def definition_errors(kind: str, options: dict, regex: str | None) -> list[tuple[tuple, str]]:
    """Problems with a definition itself, as (place, message): checked when it is created or
    changed, so a bad regex or an enum without options never reaches a value."""
    errors: list[tuple[tuple, str]] = []
    if regex is not None:
        if kind != "string":
            errors.append((("regex",), "regex applies to string fields only"))
        else:
            try:
                compiled(regex)
            except re.error as error:
                errors.append((("regex",), f"regex does not compile: {error}"))
    choices = options.get("options")
    if kind == "enum" and not (
        isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices)
    ):
        errors.append((("options", "options"), "enum fields need a non-empty list of strings"))
    errors += bound_errors(options, "min", "max", is_finite_number, "must be a number")
    errors += bound_errors(options, "min_length", "max_length", is_count, "must be an integer >= 0")
    return errors


def bound_errors(options: dict, low: str, high: str, accepts, message: str) -> list:
    errors = [
        (("options", key), message)
        for key in (low, high)
        if key in options and not accepts(options[key])
    ]
    if not errors and low in options and high in options and options[low] > options[high]:
        errors.append((("options", low), f"must not be greater than {high}"))
    return errors


def is_finite_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def fields_problems(rules: dict[str, FieldRule], fields: dict, loc: tuple) -> list[dict]:
    """Problems of an entity's `fields` under the rules of scope `entity`: a key with a
    definition must pass it, a required key must be there; keys without one are free."""
    return [
        problem((*loc, key), message)
        for key, rule in rules.items()
        if key in fields or rule.required
        for message in value_errors(rule, fields.get(key))
    ]
