"""Reading the values of an entity from a request body (create, PATCH, bulk-upsert items).

Each key is optional here; `read()` returns only the keys the body gives, cleaned:
display name, aliases and tags trimmed and non-blank, duplicate aliases and tags collapsed
(ignoring case: `tag=` matches case-insensitively, so "Blonde" and "blonde" are one tag),
field and plugin keys trimmed. `null` means "not given" (as in 0.1.x, whose clients send
nulls for what they do not change), except `primary_thumbnail_asset_id`, where it clears.
All problems of a body are reported together.
"""

from typing import Any

from faceforge import ids, validate
from faceforge.entities.columns import REQUIRED_KEYS


def read_fields(value: Any, loc: tuple) -> dict:
    return trimmed_keys(validate.json_object(value, loc), loc)


def read_external_ids(value: Any, loc: tuple) -> dict[str, str]:
    """`{"source": "id"}`: both trimmed and non-blank, the id a string."""
    pairs = trimmed_keys(validate.json_object(value, loc), loc)
    return {source: validate.name(item, (*loc, source)) for source, item in pairs.items()}


def read_plugin_data(value: Any, loc: tuple) -> dict[str, dict | None]:
    """`{"<plugin id>": {...}}`; a null value removes that plugin's data (PATCH and merge)."""
    entries = trimmed_keys(validate.json_object(value, loc), loc)
    for plugin_id, data in entries.items():
        if data is not None:
            validate.json_object(data, (*loc, plugin_id))
    return entries


def read_thumbnail(value: Any, loc: tuple) -> str | None:
    if value is not None and not ids.is_id(value):
        validate.fail(loc, "must be an asset id (64 lowercase hex characters) or null")
    return value


READERS = {
    "display_name": validate.name,
    "aliases": lambda value, loc: validate.name_list(value, loc, fold_case=True),
    "tags": lambda value, loc: validate.name_list(value, loc, fold_case=True),
    "fields": read_fields,
    "external_ids": read_external_ids,
    "plugin_data": read_plugin_data,
    "primary_thumbnail_asset_id": read_thumbnail,
}


def trimmed_keys(mapping: dict, loc: tuple) -> dict:
    """The same object with its keys trimmed; blank keys and keys that collide are refused."""
    cleaned = {}
    for key, value in mapping.items():
        trimmed = validate.name(key, (*loc, key))
        if trimmed in cleaned:
            validate.fail((*loc, key), f"duplicates the key {trimmed!r} once trimmed")
        cleaned[trimmed] = value
    return cleaned


def read_values(body: dict, loc: tuple = ("body",), *, creating: bool) -> dict:
    """The entity keys `body` gives, cleaned; ValidationError lists every problem found."""
    return validate.read_object(
        body,
        READERS,
        loc,
        required=REQUIRED_KEYS if creating else (),
        null_allowed=frozenset({"primary_thumbnail_asset_id"}),
    )


def union_ignoring_case(first: list[str], second: list[str]) -> list[str]:
    """Both lists, in order, without a name that only differs in case from an earlier one."""
    names: dict[str, str] = {}
    for item in (*first, *second):
        names.setdefault(item.casefold(), item)
    return list(names.values())


def combine(state: dict, values: dict, *, merge: bool = False) -> dict:
    """The entity after applying `values`. Each given key replaces the stored one, or with
    `merge` (bulk-upsert's merge mode) aliases and tags are unioned and fields and external ids
    merged key by key. `plugin_data` always merges per plugin id, `{"<id>": null}` removing
    one plugin's entry: every plugin owns its own entry and no write wipes another's."""
    combined = dict(state)
    for key, value in values.items():
        if key == "plugin_data":
            merged = {**state[key], **value}
            combined[key] = {plugin: data for plugin, data in merged.items() if data is not None}
        elif merge and key in ("aliases", "tags"):
            combined[key] = union_ignoring_case(state[key], value)
        elif merge and key in ("fields", "external_ids"):
            combined[key] = {**state[key], **value}
        else:
            combined[key] = value
    return combined
