-- API keys with scopes (API.md §12). Only the SHA-256 of a key's secret is stored; a request
-- finds its key by that hash. `last_used_at` is written at most once a minute per key.
CREATE TABLE api_keys (
    token_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scopes_json TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT
) WITHOUT ROWID;
