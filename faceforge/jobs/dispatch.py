"""The trigger dispatcher: a thread that reads the events feed and queues the jobs of the
triggers of enabled plugins (`faceforge/triggers.py`, API.md §12), off the request path.

A batch of events after the triggers' positions is read outside the write lock and matched;
then one transaction queues every job of the batch and moves every position to its end, so
a restart neither loses nor repeats an event. A trigger without a position (added to the
manifest of an enabled plugin) starts at the end of the feed when the dispatcher first sees
it. Events pruned from the feed before a trigger read them are skipped with a warning naming
them.
"""

import logging
import threading
from pathlib import Path

from faceforge import events, ids, plugins, triggers
from faceforge.db import Database, execute_rows
from faceforge.jobs.queue import queue

log = logging.getLogger("faceforge.triggers")

# How often an idle dispatcher looks for new events: the trigger lag is at most about this.
POLL_SECONDS = 0.2
# Events read, and at most as many jobs queued per trigger, in one transaction: large enough
# that a burst of uploads costs few transactions, small enough to hold the write lock briefly.
BATCH_EVENTS = 1000


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
        positions = self.positions(active)
        with self.db.read() as connection:
            event_rows = connection.execute(
                "SELECT * FROM events WHERE event_id > ? ORDER BY event_id LIMIT ?",
                (min(positions.values()), BATCH_EVENTS),
            ).fetchall()
            if not event_rows:
                return False
            batch = [events.event_dict(row) for row in event_rows]
            assets = asset_rows(connection, batch) if any(t.needs_asset for t in active) else {}
        warn_of_gaps(positions, batch)
        new_jobs = [
            (ids.new_id(), trigger.job_type, {"event": event}, None)
            for event in batch
            for trigger in active
            if event["event_id"] > positions[trigger]
            and triggers.matches(trigger, event, assets.get(event["subject_id"]))
        ]
        with self.db.write() as connection:
            if new_jobs:
                queue(connection, new_jobs)
            last_event_id = batch[-1]["event_id"]
            triggers.save_positions(
                connection,
                {trigger: max(position, last_event_id) for trigger, position in positions.items()},
            )
        return len(batch) == BATCH_EVENTS

    def positions(self, active: list[triggers.Trigger]) -> dict[triggers.Trigger, int]:
        """Each trigger's position; one seen for the first time starts at the feed's end,
        stored at once, so that every later event is its to handle."""
        with self.db.read() as connection:
            positions = triggers.stored_positions(connection, active)
        unseen = [trigger for trigger in active if trigger not in positions]
        if unseen:
            started = dict.fromkeys(unseen, events.last_id(self.db))
            with self.db.write() as connection:
                triggers.save_positions(connection, started)
            positions.update(started)
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


def warn_of_gaps(positions: dict[triggers.Trigger, int], batch: list[dict]) -> None:
    """Log the events a trigger never saw because they left the feed before it read them."""
    event_ids = [event["event_id"] for event in batch]
    for trigger, position in positions.items():
        for first, last in missing_ranges(position, event_ids):
            log.warning(
                "trigger %r of plugin %s: events %d to %d left the feed before it read them;"
                " they queued no job",
                trigger.key,
                trigger.plugin_id,
                first,
                last,
            )
