"""The trigger dispatcher: a thread that reads the events feed and queues the jobs of the
triggers of enabled plugins (`faceforge/triggers.py`, API.md §12), off the request path.

Each trigger's place in the feed is a row of `trigger_positions` (this module writes it): the
last event it handled. A batch of events is read outside the write lock, matched, and then
one transaction queues every job of the batch and moves every position to its end, so a
restart neither loses nor repeats an event.

Where a trigger starts: never before its plugin was last enabled (the `plugin.enabled`
event), so events while a plugin is disabled queue nothing and a newly enabled plugin does
not go through the history. A trigger with no row yet (new in its manifest) starts where its
plugin's other triggers are, so editing a trigger neither repeats nor skips. Events pruned
from the feed before a trigger read them are skipped with a warning naming them.
"""

import logging
import threading
from pathlib import Path

from faceforge import clock, events, ids, plugins
from faceforge.db import Database, execute_rows
from faceforge.jobs.queue import queue
from faceforge.triggers import Trigger, matches

log = logging.getLogger("faceforge.triggers")

# How often an idle dispatcher looks for new events: the trigger lag is at most about this.
POLL_SECONDS = 0.2
# Events read, and at most as many jobs queued per trigger, in one transaction: large enough
# that a burst of uploads costs few transactions, small enough to hold the write lock briefly.
BATCH_EVENTS = 1000

SAVE_POSITIONS = (
    "INSERT INTO trigger_positions (plugin_id, trigger_key, last_event_id, updated_at)"
    " VALUES {rows} ON CONFLICT (plugin_id, trigger_key) DO UPDATE SET"
    " last_event_id = excluded.last_event_id, updated_at = excluded.updated_at"
)


class TriggerDispatcher(threading.Thread):
    """The thread; `stop()` lets a batch under way finish (its jobs and positions commit
    together), then returns."""

    def __init__(self, db: Database, plugins_dir: Path):
        super().__init__(name="faceforge-triggers", daemon=True)
        self.db = db
        self.plugins_dir = plugins_dir
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def run(self) -> None:
        handled_up_to = None  # the feed's end when the dispatcher last caught up
        while not self.stopping.is_set():
            more_waiting = False
            try:
                feed_end = events.last_id(self.db)
                if feed_end != handled_up_to:
                    more_waiting = self.dispatch_batch()
                    handled_up_to = None if more_waiting else feed_end
            except Exception:
                log.exception("the trigger dispatcher failed; it tries again")
            if not more_waiting:
                self.stopping.wait(POLL_SECONDS)

    def dispatch_batch(self) -> bool:
        """Handle the next batch of events for every active trigger; True when the batch was
        full (more may be waiting)."""
        active = plugins.enabled_triggers(self.db, self.plugins_dir)
        if not active:
            return False
        with self.db.read() as connection:
            positions = start_positions(connection, active)
            event_rows = connection.execute(
                "SELECT * FROM events WHERE event_id > ? ORDER BY event_id LIMIT ?",
                (min(positions.values()), BATCH_EVENTS),
            ).fetchall()
            if not event_rows:
                return False
            batch = [events.event_dict(row) for row in event_rows]
            assets = asset_rows(connection, batch) if any(t.needs_asset for t in active) else {}
        warn_of_gaps(active, positions, batch)
        new_jobs = [
            (ids.new_id(), trigger.job_type, {"event": event}, None)
            for event in batch
            for trigger in active
            if event["event_id"] > positions[trigger]
            and matches(trigger, event, assets.get(event["subject_id"]))
        ]
        with self.db.write() as connection:
            if new_jobs:
                queue(connection, new_jobs)
            save_positions(connection, positions, batch[-1]["event_id"])
        return len(batch) == BATCH_EVENTS


def start_positions(connection, active: list[Trigger]) -> dict[Trigger, int]:
    """The last event each trigger has handled, by the rules in the module's docstring; a
    plugin whose `plugin.enabled` event was pruned, with no position either, starts at the
    end of the feed."""
    plugin_ids = sorted({trigger.plugin_id for trigger in active})
    placeholders = ", ".join("?" * len(plugin_ids))
    stored = connection.execute(
        "SELECT plugin_id, trigger_key, last_event_id FROM trigger_positions"
        f" WHERE plugin_id IN ({placeholders})",
        plugin_ids,
    ).fetchall()
    enabled_at = dict(
        connection.execute(
            "SELECT subject_id, max(event_id) FROM events WHERE type = 'plugin.enabled'"
            f" AND subject_id IN ({placeholders}) GROUP BY subject_id",
            plugin_ids,
        ).fetchall()
    )
    feed_end = connection.execute("SELECT coalesce(max(event_id), 0) FROM events").fetchone()[0]
    own = {(row["plugin_id"], row["trigger_key"]): row["last_event_id"] for row in stored}
    furthest = {}
    for row in stored:
        furthest[row["plugin_id"]] = max(furthest.get(row["plugin_id"], 0), row["last_event_id"])
    positions = {}
    for trigger in active:
        handled = own.get((trigger.plugin_id, trigger.key), furthest.get(trigger.plugin_id))
        enabled = enabled_at.get(trigger.plugin_id)
        if handled is None and enabled is None:
            positions[trigger] = feed_end
        else:
            positions[trigger] = max(handled or 0, enabled or 0)
    return positions


def asset_rows(connection, batch: list[dict]) -> dict:
    """The kind and MIME type of each asset the events of `batch` are about, by asset id."""
    asset_ids = sorted({e["subject_id"] for e in batch if e["subject_type"] == "asset"})
    if not asset_ids:
        return {}
    rows = execute_rows(
        connection,
        "SELECT asset_id, kind, mime_type FROM assets WHERE asset_id IN (VALUES {rows})",
        "(?)",
        ((asset_id,) for asset_id in asset_ids),
    )
    return {row["asset_id"]: row for row in rows}


def missing_ranges(position: int, event_ids: list[int]) -> list[tuple[int, int]]:
    """The runs of ids after `position` that `event_ids` (ascending) lacks: the feed's ids
    have no holes (AUTOINCREMENT, one writer), so a hole is an event that was removed."""
    ranges, previous = [], position
    for event_id in event_ids:
        if event_id > previous + 1:
            ranges.append((previous + 1, event_id - 1))
        previous = max(previous, event_id)
    return ranges


def warn_of_gaps(active: list[Trigger], positions: dict[Trigger, int], batch: list[dict]) -> None:
    """Log the events a trigger never saw because they left the feed before it read them."""
    event_ids = [event["event_id"] for event in batch]
    for trigger in active:
        for first, last in missing_ranges(positions[trigger], event_ids):
            log.warning(
                "trigger %r of plugin %s: events %d to %d left the feed before it read them;"
                " they queued no job",
                trigger.key,
                trigger.plugin_id,
                first,
                last,
            )


def save_positions(connection, positions: dict[Trigger, int], last_event_id: int) -> None:
    """Every trigger handled the batch up to `last_event_id` (or is further already)."""
    now = clock.now()
    execute_rows(
        connection,
        SAVE_POSITIONS,
        "(?, ?, ?, ?)",
        (
            (trigger.plugin_id, trigger.key, max(position, last_event_id), now)
            for trigger, position in positions.items()
        ),
    )
