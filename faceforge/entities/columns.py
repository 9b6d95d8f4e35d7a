"""The columns of the `entities` table, one row each: the one place that lists them.

Everything that goes over all of them follows from `ENTITY_COLUMNS`: the SQL of
entities/store.py, the state a row becomes and the values a state is stored as, the keys of
the API's Entity object (in its documented order), the keys a request body may change, and a
new entity's defaults. Adding a column is a row here plus a migration in schema/ (and, when a
body may set it, its reader in entities/values.py).

`deleted_at` is not here: a state is always a live entity, and soft_delete writes it alone.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faceforge.json_text import dumps, parse


@dataclass(frozen=True)
class Column:
    """One column, and what the code does with it."""

    key: str  # the key of a state and of the Entity object
    json: bool = False  # stored as JSON text, held as the list or object it encodes
    changeable: bool = False  # a request body sets it (create, PATCH, bulk-upsert items)
    required: bool = False  # a body that creates an entity must give it
    default: Any = None  # a new entity's value when the body leaves it out
    stamped: bool = False  # not changeable, but set anew by every write of the entity
    public: bool = True  # part of the Entity object (API.md §4)
    indexed: bool = False  # an index of `entities` holds it (see store.rewritten_keys)

    @property
    def name(self) -> str:
        """The column of the `entities` table: FaceForge 0.1.x names JSON columns `<key>_json`."""
        return f"{self.key}_json" if self.json else self.key

    @property
    def rewritten(self) -> bool:
        """An UPDATE of the entity writes it."""
        return self.changeable or self.stamped


ENTITY_COLUMNS = (
    Column("entity_seq", public=False),  # the internal row number (see store.py)
    Column("entity_id"),
    Column("display_name", changeable=True, required=True, indexed=True),
    Column("aliases", json=True, changeable=True, default=[]),
    Column("tags", json=True, changeable=True, default=[]),
    Column("fields", json=True, changeable=True, default={}),
    Column("external_ids", json=True, changeable=True, default={}),
    Column("primary_thumbnail_asset_id", changeable=True, indexed=True),
    Column("plugin_data", json=True, changeable=True, default={}),
    Column("created_at"),
    Column("updated_at", stamped=True, indexed=True),
)
API_KEYS = tuple(column.key for column in ENTITY_COLUMNS if column.public)
CHANGEABLE_KEYS = tuple(column.key for column in ENTITY_COLUMNS if column.changeable)
REQUIRED_KEYS = tuple(column.key for column in ENTITY_COLUMNS if column.required)
DEFAULTS = {
    column.key: column.default
    for column in ENTITY_COLUMNS
    if column.changeable and not column.required
}
REWRITTEN_COLUMNS = tuple(column for column in ENTITY_COLUMNS if column.rewritten)


def state_reader(columns: tuple[Column, ...]) -> Callable[[Any], dict]:
    """A function from a row of `columns`, in their order, to a state: JSON text parsed."""
    keys = tuple(column.key for column in columns)
    json_keys = tuple(column.key for column in columns if column.json)

    def from_row(row) -> dict:
        state = dict(zip(keys, row, strict=True))
        for key in json_keys:
            state[key] = parse(state[key])
        return state

    return from_row


def entity_json_sql(table: str) -> str:
    """SQL building the Entity object (API.md §4, keys in order) of a row of `table` as JSON
    text. JSON columns go in as stored: json_text wrote them, and adopting a 0.1.x home
    writes them through SQLite's JSON functions, so they are JSON already."""
    members = (
        f"'{dumps(column.key)}:' || "
        + (f"{table}.{column.name}" if column.json else f"json_quote({table}.{column.name})")
        for column in ENTITY_COLUMNS
        if column.public
    )
    return "'{' || " + " || ',' || ".join(members) + " || '}'"


def stored_values(columns: tuple[Column, ...]) -> Callable[[dict], tuple]:
    """A function from a state to the values of `columns` as stored, in their order: JSON
    columns encoded."""
    plan = tuple((column.key, column.json) for column in columns)

    def values(state: dict) -> tuple:
        return tuple(dumps(state[key]) if json else state[key] for key, json in plan)

    return values
