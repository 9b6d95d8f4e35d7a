-- Where each plugin trigger is in the events feed (API.md §12): the last event it handled.
-- Advanced in the transaction that queues the jobs of the events it read, so a restart
-- neither loses nor repeats one. A trigger is known by its event and job type.
CREATE TABLE trigger_positions (
    plugin_id TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    last_event_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (plugin_id, trigger_key)
);
