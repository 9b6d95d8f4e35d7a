"""A manifest's `triggers` (API.md §12): checked, read, and matched against events.

A trigger is `{"event", "job_type", "where"?}`. `event` is an event type (`asset.created`)
or, ending with a dot, a prefix (`asset.` matches every asset event): the rule of the feed's
`type=` filter. `where` narrows it to events about an asset whose MIME type starts with
`mime_prefix` and whose `kind` is `kind`; an event about anything else never matches a
trigger with a `where`. A trigger is known by its event and job type (its `key`), so
editing its `where` keeps its place in the feed.

Each trigger's place in the feed, the last event it handled, is a row of `trigger_positions`
(written only here): set to the `plugin.enabled` event when its plugin is enabled, so that
neither the history nor what happened while it was disabled queues anything, and moved by
the dispatcher (`jobs/dispatch.py`, which runs the triggers) in the transaction that queues
the jobs of the events it read.
"""

import re
from dataclasses import dataclass
from typing import Any

from faceforge import clock
from faceforge.db import execute_rows

EVENT_PATTERN = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*\.?")
TRIGGER_KEYS = ("event", "job_type", "where")
WHERE_KEYS = ("mime_prefix", "kind")


@dataclass(frozen=True)
class Trigger:
    plugin_id: str
    event: str
    job_type: str
    where: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.event} {self.job_type}"

    @property
    def needs_asset(self) -> bool:
        return bool(self.where)


def trigger_problem(trigger: Any, job_types: list[str]) -> str | None:
    """Why one entry of `triggers` cannot be used, or None."""
    if not isinstance(trigger, dict):
        return "must be an object"
    unknown = sorted(set(trigger) - set(TRIGGER_KEYS))
    if unknown:
        return f"unknown key {unknown[0]!r} (a trigger has event, job_type, where)"
    event = trigger.get("event")
    if not isinstance(event, str) or EVENT_PATTERN.fullmatch(event) is None:
        return "event must be an event type such as 'asset.created', or a prefix such as 'asset.'"
    if trigger.get("job_type") not in job_types:
        return f"job_type {trigger.get('job_type')!r} is not among the manifest's job_types"
    return where_problem(trigger.get("where", {}))


def where_problem(where: Any) -> str | None:
    if not isinstance(where, dict):
        return "where must be an object"
    for name, value in where.items():
        if name not in WHERE_KEYS:
            return f"where has unknown key {name!r} (known: {', '.join(WHERE_KEYS)})"
        if not isinstance(value, str) or not value:
            return f"where.{name} must be a non-empty string"
    return None


def triggers_problem(document: dict) -> str | None:
    """Why a manifest's `triggers` cannot be used, naming the first bad entry; or None."""
    triggers = document.get("triggers", [])
    if not isinstance(triggers, list):
        return "triggers must be a list of objects"
    seen = set()
    for index, trigger in enumerate(triggers):
        problem = trigger_problem(trigger, document.get("job_types", []))
        if problem is None and (trigger["event"], trigger["job_type"]) in seen:
            problem = "another trigger has the same event and job_type"
        if problem:
            return f"triggers[{index}]: {problem}"
        seen.add((trigger["event"], trigger["job_type"]))
    return None


def read_triggers(plugin_id: str, document: dict) -> list[Trigger]:
    """The triggers of a manifest already checked by `triggers_problem`."""
    return [
        Trigger(
            plugin_id,
            trigger["event"],
            trigger["job_type"],
            tuple(sorted(trigger.get("where", {}).items())),
        )
        for trigger in document.get("triggers", [])
    ]


def type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith("."):
        return event_type.startswith(pattern)
    return event_type == pattern


def asset_matches(where: tuple[tuple[str, str], ...], asset_row) -> bool:
    """Whether an asset (a row with kind and mime_type, or None) passes the `where` filters."""
    if asset_row is None:
        return False
    facts = {"mime_prefix": asset_row["mime_type"] or "", "kind": asset_row["kind"]}
    return all(
        facts[name].startswith(value) if name == "mime_prefix" else facts[name] == value
        for name, value in where
    )


def is_own_job_event(trigger: Trigger, event: dict) -> bool:
    """An event about a job of the trigger's own plugin: never matched, so a trigger on
    `job.` cannot feed itself (each job it queues writes a `job.created`)."""
    job_type = (event["data"] or {}).get("job_type") if event["subject_type"] == "job" else None
    return isinstance(job_type, str) and job_type.startswith(f"{trigger.plugin_id}.")


def matches(trigger: Trigger, event: dict, asset_row) -> bool:
    """Whether `event` (an Event object) queues this trigger's job; `asset_row` is the row of
    the asset the event is about, if it is about one."""
    if not type_matches(trigger.event, event["type"]) or is_own_job_event(trigger, event):
        return False
    return not trigger.where or asset_matches(trigger.where, asset_row)


def stored_positions(connection, active: list[Trigger]) -> dict[Trigger, int]:
    """The position of each of `active` that has one."""
    plugin_ids = sorted({trigger.plugin_id for trigger in active})
    rows = execute_rows(
        connection,
        "SELECT plugin_id, trigger_key, last_event_id FROM trigger_positions"
        " WHERE plugin_id IN (VALUES {rows})",
        "(?)",
        ((plugin_id,) for plugin_id in plugin_ids),
    )
    stored = {(row["plugin_id"], row["trigger_key"]): row["last_event_id"] for row in rows}
    return {
        trigger: stored[trigger.plugin_id, trigger.key]
        for trigger in active
        if (trigger.plugin_id, trigger.key) in stored
    }


def save_positions(connection, positions: dict[Trigger, int]) -> None:
    now = clock.now()
    execute_rows(
        connection,
        "INSERT INTO trigger_positions (plugin_id, trigger_key, last_event_id, updated_at)"
        " VALUES {rows} ON CONFLICT (plugin_id, trigger_key) DO UPDATE SET"
        " last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
        "(?, ?, ?, ?)",
        (
            (trigger.plugin_id, trigger.key, position, now)
            for trigger, position in positions.items()
        ),
    )
