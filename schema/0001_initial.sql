-- FaceForge Core schema, version 1.
-- Column names follow FaceForge Core 0.1.x so an existing home can be adopted later.
-- Uniqueness applies to live rows only (partial unique indexes WHERE deleted_at IS NULL), so
-- anything soft-deleted can be created again. The runner wraps this file in one transaction.

CREATE TABLE entities (
    -- Internal row number: the tie-breaker of keyset paging (every index below ends with it)
    -- and the rowid of the entity's entity_search row. Never shown to clients.
    entity_seq INTEGER PRIMARY KEY,
    entity_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    aliases_json TEXT NOT NULL DEFAULT '[]',
    tags_json TEXT NOT NULL DEFAULT '[]',
    fields_json TEXT NOT NULL DEFAULT '{}',
    external_ids_json TEXT NOT NULL DEFAULT '{}',
    plugin_data_json TEXT NOT NULL DEFAULT '{}',
    primary_thumbnail_asset_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
-- Keyset paging for each sort order over live rows: (sort column, entity_seq).
CREATE INDEX entities_live_by_created ON entities (created_at) WHERE deleted_at IS NULL;
CREATE INDEX entities_live_by_updated ON entities (updated_at) WHERE deleted_at IS NULL;
CREATE INDEX entities_live_by_name ON entities (display_name COLLATE NOCASE)
    WHERE deleted_at IS NULL;

-- The number of live entities, so an unfiltered page can report `total` without counting.
CREATE TABLE entity_totals (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    live_count INTEGER NOT NULL CHECK (live_count >= 0)
);
INSERT INTO entity_totals (singleton, live_count) VALUES (1, 0);

-- One row per (source, id) pair of a live entity; bulk-upsert matches through it, and a pair
-- belongs to one live entity at a time.
CREATE TABLE entity_external_ids (
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_seq INTEGER NOT NULL REFERENCES entities (entity_seq),
    PRIMARY KEY (source, external_id)
) WITHOUT ROWID;

-- One row per tag of a live entity, for exact case-insensitive `tag=` filtering.
-- tag_key is the tag casefolded (Unicode-aware, unlike COLLATE NOCASE).
CREATE TABLE entity_tags (
    tag_key TEXT NOT NULL,
    entity_seq INTEGER NOT NULL REFERENCES entities (entity_seq),
    PRIMARY KEY (tag_key, entity_seq)
) WITHOUT ROWID;

-- Substring search (`q=`) over names, aliases and tags (entity_text) and descriptor values
-- (descriptor_text) of live entities; rowid = entities.entity_seq. The text is casefolded
-- before it is stored, and so is every query: the tokenizer then compares exactly
-- (case_sensitive 1), and a plain instr() over the same text serves queries shorter than a
-- trigram. Kept in sync by faceforge/entity_store.py in the same transactions.
CREATE VIRTUAL TABLE entity_search USING fts5 (
    entity_text, descriptor_text, tokenize = 'trigram case_sensitive 1'
);

CREATE TABLE assets (
    asset_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'file',
    filename TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    byte_size INTEGER NOT NULL CHECK (byte_size >= 0),
    mime_type TEXT,
    meta_json TEXT NOT NULL DEFAULT '{"metadata": []}',
    storage_provider TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    derived_from_asset_id TEXT REFERENCES assets (asset_id),
    user_metadata_json TEXT NOT NULL DEFAULT '{}',
    metadata_status TEXT NOT NULL DEFAULT 'pending'
        CHECK (metadata_status IN ('pending', 'done', 'failed', 'skipped')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX assets_live_by_created ON assets (created_at, asset_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_live_by_kind ON assets (kind, created_at, asset_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_live_by_mime ON assets (mime_type) WHERE deleted_at IS NULL;
CREATE INDEX assets_by_derived_from ON assets (derived_from_asset_id)
    WHERE derived_from_asset_id IS NOT NULL;
CREATE INDEX assets_deleted ON assets (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE entity_assets (
    entity_id TEXT NOT NULL REFERENCES entities (entity_id),
    asset_id TEXT NOT NULL REFERENCES assets (asset_id),
    role TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX entity_assets_live ON entity_assets (entity_id, asset_id)
    WHERE deleted_at IS NULL;
CREATE INDEX entity_assets_by_entity ON entity_assets (entity_id, created_at, asset_id)
    WHERE deleted_at IS NULL;
CREATE INDEX entity_assets_by_asset ON entity_assets (asset_id) WHERE deleted_at IS NULL;

CREATE TABLE field_definitions (
    field_def_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    field_key TEXT NOT NULL,
    field_type TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    options_json TEXT,
    regex TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX field_definitions_live ON field_definitions (scope, field_key)
    WHERE deleted_at IS NULL;

CREATE TABLE descriptors (
    descriptor_id TEXT PRIMARY KEY,
    entity_id TEXT NOT NULL REFERENCES entities (entity_id),
    scope TEXT NOT NULL,
    field_key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX descriptors_live ON descriptors (entity_id, scope, field_key)
    WHERE deleted_at IS NULL;

CREATE TABLE relationships (
    relationship_id TEXT PRIMARY KEY,
    src_entity_id TEXT NOT NULL REFERENCES entities (entity_id),
    dst_entity_id TEXT NOT NULL REFERENCES entities (entity_id),
    relationship_type TEXT NOT NULL,
    fields_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
-- One live relationship per (src, dst, type); the unique index also serves lookups by src.
CREATE UNIQUE INDEX relationships_live
    ON relationships (src_entity_id, dst_entity_id, relationship_type) WHERE deleted_at IS NULL;
CREATE INDEX relationships_live_by_dst ON relationships (dst_entity_id) WHERE deleted_at IS NULL;
CREATE INDEX relationships_live_by_type ON relationships (relationship_type)
    WHERE deleted_at IS NULL;

-- The durable job queue. Built-in types run on the worker pool; plugin types wait `queued`
-- for an out-of-process runner that claims them with a lease (lease_token, lease_expires_at,
-- lease_seconds); `attempts` counts how often a job was started.
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    job_type TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    progress_percent REAL NOT NULL DEFAULT 0,
    progress_step TEXT,
    input_json TEXT NOT NULL DEFAULT '{}',
    result_json TEXT,
    error_json TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token TEXT,
    lease_seconds INTEGER,
    lease_expires_at TEXT,
    retry_of_job_id TEXT REFERENCES jobs (job_id),
    cancel_requested_at TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    canceled_at TEXT,
    updated_at TEXT NOT NULL
);
-- Listing, newest first, optionally by status or type; the queue takes the oldest queued job
-- of the types it serves; lapsed leases are found by expiry.
CREATE INDEX jobs_by_created ON jobs (created_at, job_id);
CREATE INDEX jobs_by_status ON jobs (status, created_at, job_id);
CREATE INDEX jobs_by_type ON jobs (job_type, created_at, job_id);
CREATE INDEX jobs_queue ON jobs (job_type, created_at) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE lease_token IS NOT NULL;

CREATE TABLE job_logs (
    job_log_id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (job_id),
    ts TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message TEXT NOT NULL,
    data_json TEXT
);
CREATE INDEX job_logs_by_job ON job_logs (job_id, job_log_id);

-- Enable state and config of plugins; manifests themselves live in plugins/<dir>/plugin.json.
-- A row appears the first time a plugin is enabled, disabled or configured.
CREATE TABLE plugin_registry (
    plugin_id TEXT PRIMARY KEY,
    name TEXT,
    version TEXT,
    enabled INTEGER NOT NULL DEFAULT 0,
    config_json TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Append-only change feed; written in the same transaction as the change it describes.
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT,
    data_json TEXT
);
CREATE INDEX events_by_type ON events (type, event_id);

-- One-time login links of the web UI (POST /v1/ui/login-link). Only the SHA-256 of each
-- link's secret is kept, so this table never holds a usable link; a row is deleted when its
-- link is used, and expired rows are swept whenever a new link is made.
CREATE TABLE ui_login_links (
    link_hash TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
