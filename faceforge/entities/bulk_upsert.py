"""`POST /v1/entities/bulk-upsert` (API.md §6): up to 10,000 entities in one transaction.

An item matches a live entity by `entity_id` or by any `(source, id)` pair of its
`external_ids`; otherwise it creates one (and then needs a `display_name`). `mode` says how a
match takes the item's values: `merge` (default) unions aliases and tags and merges fields and
external ids key by key, `replace` overwrites each key the item gives. Keys an item does not
give are left alone in both modes.

Items apply in order, each one seeing what the earlier ones did: two rows about the same
person (same external id) in one payload end up as one entity. The work is done in memory
first and written at the end with a few batched statements, so an invalid item costs
nothing: by default (`"on_error": "fail"`) any invalid item makes the whole call a 422 that
lists every problem by item index, and nothing is written; with `"on_error": "skip"` the
valid items are written and the invalid ones are listed under `errors`.

Idempotent: an item that changes nothing reports `unchanged`, and an entity that ends up as
it was is not written, gets no new `updated_at` and no event. Re-sending a payload whose
items carry external ids therefore writes nothing at all.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from faceforge import clock, events, ids, validate
from faceforge.assets.rows import missing_assets
from faceforge.entities import store as entity_store
from faceforge.entities.columns import DEFAULTS, REQUIRED_KEYS
from faceforge.entities.field_defs import ENTITY_SCOPE, rules_for_scope
from faceforge.entities.records import changed_keys, reference_problems
from faceforge.entities.values import combine, read_values
from faceforge.errors import ValidationError, problem

MAX_ITEMS = 10_000
MODES = ("merge", "replace")
ON_ERROR = ("fail", "skip")


@dataclass
class Item:
    """One item of the payload whose own values are valid (read before the database is
    consulted)."""

    index: int
    loc: tuple
    entity_id: str | None
    values: dict


@dataclass(frozen=True)
class Rules:
    """What the database says about values, read once per call."""

    merge: bool
    now: str
    field_rules: dict
    missing_assets: set[str]


@dataclass
class Batch:
    """The payload applied in memory: the entities as they will be written."""

    next_seq: int
    originals: dict[int, dict]  # entity_seq -> state before the call (existing entities)
    states: dict[int, dict] = field(default_factory=dict)  # entity_seq -> state after
    owners: dict[tuple[str, str], int | None] = field(default_factory=dict)  # pair -> seq
    by_id: dict[str, int] = field(default_factory=dict)  # entity_id -> entity_seq
    created: list[int] = field(default_factory=list)  # new seqs, in order
    new_ids: Iterator[str] = field(default_factory=ids.new_ids)


def read_request(body: dict) -> tuple[list, bool, bool]:
    """`(items, merge, skip_invalid)`; the shape of the call itself must be right."""
    items = validate.required(body, "items")
    if not isinstance(items, list):
        validate.fail(("body", "items"), "must be a list of objects", "type_error")
    if len(items) > MAX_ITEMS:
        validate.fail(("body", "items"), f"at most {MAX_ITEMS} items per call", "value_error")
    mode = validate.choice(body.get("mode") or "merge", ("body", "mode"), MODES, fold_case=True)
    on_error = body.get("on_error") or "fail"
    on_error = validate.choice(on_error, ("body", "on_error"), ON_ERROR, fold_case=True)
    return items, mode == "merge", on_error == "skip"


def read_items(raw_items: list) -> tuple[list[Item], dict[int, list[dict]]]:
    """The items whose own values are valid, and the problems of the others by index."""
    items, problems = [], {}
    for index, raw in enumerate(raw_items):
        loc = ("body", "items", index)
        try:
            if not isinstance(raw, dict):
                validate.fail(loc, "must be an object", "type_error")
            entity_id = raw.get("entity_id")
            if entity_id is not None and not ids.is_id(entity_id):
                validate.fail((*loc, "entity_id"), "must be an entity id (64 hex characters)")
            items.append(Item(index, loc, entity_id, read_values(raw, loc, creating=False)))
        except ValidationError as error:
            problems[index] = error.details
    return items, problems


def load_batch(connection, items: list[Item]) -> Batch:
    """Every existing entity the items can match, and the owners of every pair they name."""
    pairs = {pair for item in items for pair in item.values.get("external_ids", {}).items()}
    owners = entity_store.owners_of(connection, pairs)
    by_id = entity_store.load_live_by(
        connection, "entity_id", {item.entity_id for item in items if item.entity_id}
    )
    originals = entity_store.load_live_by(connection, "entity_seq", set(owners.values()))
    originals.update({state["entity_seq"]: state for state in by_id.values()})
    return Batch(
        next_seq=entity_store.next_seq(connection),
        originals=originals,
        states=dict(originals),
        owners=dict(owners),
        by_id={entity_id: state["entity_seq"] for entity_id, state in by_id.items()},
    )


def match(batch: Batch, item: Item) -> tuple[int | None, list[dict]]:
    """The entity an item updates (None: it creates one), or the problems that prevent it."""
    matched: set[int] = set()
    if item.entity_id is not None:
        if item.entity_id not in batch.by_id:
            return None, [problem((*item.loc, "entity_id"), "no such entity", "not_found")]
        matched.add(batch.by_id[item.entity_id])
    for pair in item.values.get("external_ids", {}).items():
        owner = batch.owners.get(pair)
        if owner is not None:
            matched.add(owner)
    if len(matched) > 1:
        return None, [
            problem(
                (*item.loc, "external_ids"),
                "entity_id and external_ids match more than one entity",
                "conflict",
            )
        ]
    return (matched.pop() if matched else None), []


def apply_item(batch: Batch, item: Item, rules: Rules) -> tuple[dict | None, list[dict]]:
    """The entity's state after the item, given what the batch holds so far, or problems."""
    seq, problems = match(batch, item)
    if problems:
        return None, problems
    creating = seq is None
    if creating:
        missing = [key for key in REQUIRED_KEYS if key not in item.values]
        if missing:
            return None, [problem((*item.loc, key), "field required", "missing") for key in missing]
        base = {
            **DEFAULTS,
            "entity_seq": batch.next_seq,
            "entity_id": next(batch.new_ids),
            "created_at": rules.now,
            "updated_at": rules.now,
        }
        new = combine(base, item.values)
    else:
        new = combine(batch.states[seq], item.values, merge=rules.merge)
    taken = [
        pair
        for pair in entity_store.external_pairs(new)
        if batch.owners.get(pair) not in (None, new["entity_seq"])
    ]
    if taken:
        return None, [problem((*item.loc, "external_ids"), taken_message(taken), "conflict")]
    problems = reference_problems(
        rules.field_rules, rules.missing_assets, new, item.values, item.loc, creating=creating
    )
    return (None, problems) if problems else (new, [])


def taken_message(pairs: list[tuple[str, str]]) -> str:
    named = ", ".join(f"{source}:{external_id}" for source, external_id in pairs)
    return f"already belongs to another entity: {named}"


def record(batch: Batch, new: dict) -> str:
    """Make `new` the batch's state of its entity; returns the item's status."""
    seq = new["entity_seq"]
    old = batch.states.get(seq)
    for pair in entity_store.external_pairs(old) if old else ():
        batch.owners[pair] = None
    for pair in entity_store.external_pairs(new):
        batch.owners[pair] = seq
    batch.states[seq] = new
    if old is None:
        batch.created.append(seq)
        batch.by_id[new["entity_id"]] = seq
        batch.next_seq += 1
        return "created"
    return "updated" if changed_keys(old, new) else "unchanged"


def write(connection, batch: Batch, now: str) -> None:
    """Insert the new entities and update the changed ones, with one event each."""
    created = [batch.states[seq] for seq in batch.created]
    changes = []
    for seq, original in batch.originals.items():
        changed = changed_keys(original, batch.states[seq])
        if changed:
            changes.append((original, {**batch.states[seq], "updated_at": now}, changed))
    entity_store.insert(connection, created)
    entity_store.update(connection, [(old, new) for old, new, _ in changes])
    events.append_many(
        connection,
        [
            *(
                (
                    "entity.created",
                    "entity",
                    state["entity_id"],
                    {"display_name": state["display_name"]},
                )
                for state in created
            ),
            *(
                ("entity.updated", "entity", new["entity_id"], {"changed": changed})
                for _, new, changed in changes
            ),
        ],
    )


def flatten(problems: dict[int, list[dict]]) -> list[dict]:
    return [detail for index in sorted(problems) for detail in problems[index]]


def bulk_upsert(db, body: dict) -> dict:
    raw_items, merge, skip_invalid = read_request(body)
    items, problems = read_items(raw_items)
    results = []
    with db.write() as connection:
        rules = Rules(
            merge=merge,
            now=clock.now(),
            field_rules=rules_for_scope(connection, ENTITY_SCOPE),
            missing_assets=missing_assets(
                connection, (item.values.get("primary_thumbnail_asset_id") for item in items)
            ),
        )
        batch = load_batch(connection, items)
        for item in items:
            new, item_problems = apply_item(batch, item, rules)
            if item_problems:
                problems[item.index] = item_problems
                continue
            status = record(batch, new)
            results.append({"entity_id": new["entity_id"], "status": status, "index": item.index})
        if problems and not skip_invalid:
            raise ValidationError.many(
                flatten(problems),
                f"{len(problems)} of {len(raw_items)} items are invalid; nothing was written",
            )
        write(connection, batch, rules.now)
    return {"items": results, "errors": flatten(problems)}
