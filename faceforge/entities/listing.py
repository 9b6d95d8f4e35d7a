"""Listing and searching entities (`GET /v1/entities`, API.md §6), fast at a million rows.

Filters, combined with AND:
- `q`: case-insensitive substring of the display name, aliases, tags or descriptor values,
  `%`, `_` and quotes literal. Three characters or more use the FTS5 trigram index (a quoted
  phrase of trigrams is exactly a substring); shorter queries scan the same casefolded text.
- `tag`: one exact tag, case-insensitive (casefolded, so Unicode-aware).
- `field.<key>=<value>`: the field is the string `value`, or the number, `true`, `false` or
  `null` that `value` spells.
Sorts: `created_at`, `updated_at`, `display_name` (case-insensitive), `asc`/`desc`; ties are
broken by the internal row number in the same direction, so the order is total and a keyset
cursor (sort value, row number) resumes exactly where the last page ended at any depth.

Plans. `q` and `tag` select row numbers from tables that only hold live entities. When they
select few rows, the page is built from those rows and sorted ("driven"); when they select
many, the sort index is walked and each row is checked against the selected set, stopping
after one page ("walk"). The count that `total` needs anyway decides which is cheaper. An
unfiltered list walks the index and takes `total` from entity_totals.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from faceforge import json_text, paging, validate
from faceforge.entities import store as entity_store
from faceforge.entities.columns import entity_json_sql

SORT_KEYS = {
    "created_at": "e.created_at",
    "updated_at": "e.updated_at",
    "display_name": "e.display_name COLLATE NOCASE",
}
ORDERS = ("asc", "desc")
FIELD_PREFIX = "field."
# A page's items are built as JSON text by SQLite, as the job log's lines are: a page of 50
# costs no Python work per entity (parsing five JSON columns, then encoding them again was
# most of a first page's time).
ENTITY_JSON = entity_json_sql("e")
PAGE_JSON = (
    f"SELECT e.entity_seq, {ENTITY_JSON} FROM entities AS e"
    " WHERE e.entity_seq IN (SELECT value FROM json_each(?))"
)
# What `field.<key>=<value>` matches: the text itself, or the scalar the text spells.
FIELD_MATCH = (
    "EXISTS (SELECT 1 FROM json_each(e.fields_json) AS f WHERE f.key = ? AND ("
    "(f.type = 'text' AND f.atom = ?) OR (f.type IN ('integer', 'real') AND f.atom = ?)"
    " OR f.type = ?))"
)
JSON_LITERALS = {"true": "true", "false": "false", "null": "null"}  # value -> json_each type


@dataclass(frozen=True)
class EntityQuery:
    sort_by: str
    order: str
    q: str
    tag: str
    fields: tuple[tuple[str, str], ...]
    paging: paging.Paging


def read_query(query: Mapping[str, str]) -> EntityQuery:
    """The list parameters; a cursor brings its own sort, which explicit ones must agree with."""
    page = paging.read_paging(query)
    sort_by = query.get("sort_by", "").strip()
    order = query.get("sort_order", "").strip().lower()
    if sort_by:
        validate.choice(sort_by, ("query", "sort_by"), tuple(SORT_KEYS))
    if order:
        validate.choice(order, ("query", "sort_order"), ORDERS)
    if page.cursor is not None:
        cursor_sort, cursor_order, _, _ = paging.cursor_values(page.cursor, str, str, str, int)
        if cursor_sort not in SORT_KEYS or cursor_order not in ORDERS:
            paging.malformed_cursor()
        if sort_by not in ("", cursor_sort) or order not in ("", cursor_order):
            validate.fail(
                paging.CURSOR_LOC,
                f"this cursor continues sort_by={cursor_sort}&sort_order={cursor_order}",
            )
        sort_by, order = cursor_sort, cursor_order
    fields = tuple(
        (validate.name(key[len(FIELD_PREFIX) :], ("query", key)), value)
        for key, value in query.items()
        if key.startswith(FIELD_PREFIX)
    )
    return EntityQuery(
        sort_by=sort_by or "created_at",
        order=order or "desc",
        q=query.get("q", "").strip(),
        tag=query.get("tag", "").strip(),
        fields=fields,
        paging=page,
    )


def phrase(text: str) -> str:
    """An FTS5 string: inside double quotes only the double quote itself is special."""
    return '"' + text.replace('"', '""') + '"'


def selected_sets(search: EntityQuery) -> list[tuple[str, list]]:
    """Subqueries giving the row numbers that `q` and `tag` select (live entities only)."""
    sets = []
    if search.q:
        needle = search.q.casefold()
        # FTS5's query parser ends a string at a NUL character; instr() does not.
        if len(needle) >= 3 and "\x00" not in needle:
            sets.append(
                ("SELECT rowid FROM entity_search WHERE entity_search MATCH ?", [phrase(needle)])
            )
        else:
            sets.append(
                (
                    "SELECT rowid FROM entity_search"
                    " WHERE instr(entity_text, ?) > 0 OR instr(descriptor_text, ?) > 0",
                    [needle, needle],
                )
            )
    if search.tag:
        sets.append(
            ("SELECT entity_seq FROM entity_tags WHERE tag_key = ?", [search.tag.casefold()])
        )
    return sets


def spelled_number(text: str) -> int | float | None:
    """The number `text` spells in JSON (`30`, `-1.5`, `2e3`), else None. An integer beyond
    64 bits becomes a float, as SQLite's JSON functions read it."""
    try:
        value = json_text.loads(text, parse_constant=lambda constant: None)
    except ValueError:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if -(2**63) <= value < 2**63:
        return value
    try:
        return float(value)
    except OverflowError:
        return None


def field_terms(search: EntityQuery) -> list[tuple[str, list]]:
    return [
        (FIELD_MATCH, [key, value, spelled_number(value), JSON_LITERALS.get(value)])
        for key, value in search.fields
    ]


def intersection(sets: list[tuple[str, list]]) -> tuple[str, list]:
    return " INTERSECT ".join(sql for sql, _ in sets), [p for _, params in sets for p in params]


def walk_is_cheaper(connection, search: EntityQuery, total: int) -> bool:
    """Walking the sort index visits about (rows wanted) x (live / selected) entries; building
    the page from the selection costs about (selected) lookups plus a sort."""
    wanted = search.paging.offset + search.paging.limit + 1
    return wanted * entity_store.live_count(connection) < total * total


def conditions(search: EntityQuery, walk: bool) -> tuple[str, list]:
    """The WHERE clause of a page, for the chosen plan."""
    where, params = [], []
    sets = selected_sets(search)
    if sets:
        selected, params = intersection(sets)
        # Unary + keeps the planner from driving the loop with the set when walking the index.
        where.append(f"{'+' if walk else ''}e.entity_seq IN ({selected})")
    if walk or not sets:
        # Only when walking: this term is what lets the planner use a partial sort index.
        where.insert(0, "e.deleted_at IS NULL")
    for sql, term_params in field_terms(search):
        where.append(sql)
        params += term_params
    return " AND ".join(where), params


def count(connection, search: EntityQuery) -> int:
    """How many live entities match: `total`."""
    sets, terms = selected_sets(search), field_terms(search)
    if not sets and not terms:
        return entity_store.live_count(connection)
    if not terms:
        sql, params = intersection(sets)
        return connection.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    where, params = conditions(search, walk=False)
    return connection.execute(
        f"SELECT count(*) FROM entities AS e WHERE {where}", params
    ).fetchone()[0]


def page_queries(search: EntityQuery, walk: bool) -> list[tuple[str, list]]:
    """The queries that fill a page, in order, each ending in `LIMIT ? OFFSET ?` (the rows
    still wanted, and the offset, 0 on cursor pages), each row being (row number, sort
    value): what a cursor holds. A first or offset page is one query.
    A cursor page is two index seeks, not one row-value range, because SQLite seeks a row
    value on its first column only and one bulk-upsert gives thousands of entities the same
    timestamp: first the rest of the cursor's tie (same sort value, row numbers past it), then
    what sorts past the value."""
    key = SORT_KEYS[search.sort_by]
    direction = search.order.upper()
    order_by = f"ORDER BY {key} {direction}, e.entity_seq {direction}"
    where, params = conditions(search, walk)
    rows = f"SELECT e.entity_seq, e.{search.sort_by} FROM entities AS e"
    if search.paging.cursor is None:
        return [(f"{rows} WHERE {where} {order_by} LIMIT ? OFFSET ?", params)]
    _, _, value, seq = search.paging.cursor
    past = "<" if search.order == "desc" else ">"
    tie = f"{rows} WHERE {where} AND {key} = ? AND e.entity_seq {past} ?"
    beyond = f"{rows} WHERE {where} AND {key} {past} ?"
    return [
        (f"{tie} {order_by} LIMIT ? OFFSET ?", [*params, value, seq]),
        (f"{beyond} {order_by} LIMIT ? OFFSET ?", [*params, value]),
    ]


def page_keys(connection, search: EntityQuery, walk: bool) -> list[tuple]:
    """One row more than the page holds, if there is one (it tells that a next page exists)."""
    wanted = search.paging.limit + 1
    rows: list[tuple] = []
    for sql, params in page_queries(search, walk):
        if len(rows) == wanted:
            break
        rows += connection.execute(sql, [*params, wanted - len(rows), search.paging.offset])
    return rows


def list_entities(db, query: Mapping[str, str]) -> json_text.Encoded:
    search = read_query(query)
    limit = search.paging.limit
    with db.read() as connection:
        total = count(connection, search)
        keys = page_keys(connection, search, walk_is_cheaper(connection, search, total))
        items = page_json(connection, [seq for seq, _ in keys[:limit]])
    next_cursor = None
    if len(keys) > limit:
        seq, value = keys[limit - 1]
        next_cursor = paging.encode_cursor([search.sort_by, search.order, value, seq])
    return paging.encoded_page(items, total, search.paging, next_cursor)


def page_json(connection, seqs: list[int]) -> list[str]:
    """The Entity objects of the page's rows as JSON text, in the page's order. Built once
    the page is chosen: a plan that sorts the selected rows would otherwise have SQLite build
    the object of every selected row (thousands for a common tag) before keeping 50."""
    built = dict(connection.execute(PAGE_JSON, (json_text.dumps(seqs),)))
    return [built[seq] for seq in seqs]
