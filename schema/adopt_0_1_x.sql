-- Adopting a FaceForge Core 0.1.x database (its migrations 0001_init … 0004_jobs_inputs_…):
-- the rows of its tables, renamed old_*, copied into schema version 1, which the adopter
-- (faceforge/adopt.py) has created just before this script, in the same transaction. It is
-- not a migration of the ladder (the name has no number); the adopter runs it once, then
-- builds the derived rows (tags, search, totals) and sets user_version = 1.
--
-- What 0.1.x allowed and version 1 refuses is mended here, as docs/adopting.md describes:
-- names are trimmed (a blank entity name becomes "(no name)", a blank relationship type
-- "related"); links, descriptors and relationships of a deleted entity end with it (0.1.x
-- did not cascade); of duplicate live relationships the oldest stays; jobs that 0.1.x left
-- queued or running fail as interrupted; deleted jobs and registry rows are left out; rows
-- pointing at an entity, asset or job that does not exist are left out.

INSERT INTO entities (
    entity_seq, entity_id, display_name, aliases_json, tags_json, fields_json,
    created_at, updated_at, deleted_at
)
SELECT
    row_number() OVER (ORDER BY created_at, rowid),
    entity_id,
    coalesce(nullif(trim(display_name, ' ' || char(9, 10, 13)), ''), '(no name)'),
    (SELECT json_group_array(trim(value, ' ' || char(9, 10, 13)))
        FROM json_each(CASE WHEN json_valid(aliases_json) THEN aliases_json END)
        WHERE typeof(key) = 'integer' AND type = 'text'
            AND trim(value, ' ' || char(9, 10, 13)) <> ''),
    (SELECT json_group_array(trim(value, ' ' || char(9, 10, 13)))
        FROM json_each(CASE WHEN json_valid(tags_json) THEN tags_json END)
        WHERE typeof(key) = 'integer' AND type = 'text'
            AND trim(value, ' ' || char(9, 10, 13)) <> ''),
    -- json_type() fails on malformed text, so every JSON column is checked with json_valid().
    CASE
        WHEN json_type(CASE WHEN json_valid(fields_json) THEN fields_json END) = 'object'
            THEN json(fields_json)
        ELSE '{}'
    END,
    created_at,
    updated_at,
    deleted_at
FROM old_entities;

INSERT INTO assets (
    asset_id, kind, filename, content_hash, byte_size, mime_type, meta_json, storage_provider,
    storage_key, metadata_status, created_at, updated_at, deleted_at
)
SELECT
    asset_id,
    kind,
    CASE WHEN trim(coalesce(filename, '')) = '' THEN asset_id ELSE filename END,
    content_hash,
    byte_size,
    mime_type,
    CASE
        WHEN json_type(CASE WHEN json_valid(meta_json) THEN meta_json END) IS NOT 'object'
            THEN '{"metadata":[]}'
        WHEN json_type(meta_json, '$.metadata') = 'array' THEN json(meta_json)
        ELSE json_set(meta_json, '$.metadata', json('[]'))
    END,
    storage_provider,
    -- Rows older than 0.1.x's 0002_assets_storage have no key: theirs was the one below.
    CASE
        WHEN storage_key = '' AND storage_provider = 'fs'
            THEN 'files/' || substr(content_hash, 1, 2) || '/' || content_hash
        ELSE storage_key
    END,
    -- 0.1.x ran ExifTool while uploading: its entries are there, or it never will.
    CASE
        WHEN EXISTS (
            SELECT 1
            FROM json_each(CASE WHEN json_valid(meta_json) THEN meta_json END, '$.metadata')
            WHERE CASE WHEN type = 'object' THEN json_extract(value, '$.Source') END = 'ExifTool'
        ) THEN 'done'
        ELSE 'skipped'
    END,
    created_at,
    updated_at,
    deleted_at
FROM old_assets;

INSERT INTO entity_assets (entity_id, asset_id, role, created_at, deleted_at)
SELECT
    link.entity_id,
    link.asset_id,
    nullif(trim(link.role), ''),
    link.created_at,
    coalesce(link.deleted_at, entity.deleted_at, asset.deleted_at)
FROM old_entity_assets AS link
JOIN old_entities AS entity ON entity.entity_id = link.entity_id
JOIN assets AS asset ON asset.asset_id = link.asset_id;

INSERT INTO field_definitions (
    field_def_id, scope, field_key, field_type, required, options_json, regex,
    created_at, updated_at, deleted_at
)
SELECT
    field_def_id, scope, field_key, field_type, required,
    CASE WHEN json_valid(options_json) THEN json(options_json) END,
    regex, created_at, updated_at, deleted_at
FROM old_field_definitions;

INSERT INTO descriptors (
    descriptor_id, entity_id, scope, field_key, value_json, created_at, updated_at, deleted_at
)
SELECT
    descriptor.descriptor_id,
    descriptor.entity_id,
    descriptor.scope,
    descriptor.field_key,
    CASE WHEN json_valid(descriptor.value_json) THEN json(descriptor.value_json) ELSE 'null' END,
    descriptor.created_at,
    descriptor.updated_at,
    coalesce(descriptor.deleted_at, entity.deleted_at)
FROM old_descriptors AS descriptor
JOIN old_entities AS entity ON entity.entity_id = descriptor.entity_id;

WITH adopted AS (
    SELECT
        relationship.relationship_id,
        relationship.src_entity_id,
        relationship.dst_entity_id,
        coalesce(
            nullif(trim(relationship.relationship_type, ' ' || char(9, 10, 13)), ''), 'related'
        ) AS relationship_type,
        CASE
            WHEN json_type(
                CASE WHEN json_valid(relationship.fields_json) THEN relationship.fields_json END
            ) = 'object' THEN json(relationship.fields_json)
            ELSE '{}'
        END AS fields_json,
        relationship.created_at,
        coalesce(relationship.deleted_at, src.deleted_at, dst.deleted_at) AS deleted_at,
        relationship.rowid AS old_rowid
    FROM old_relationships AS relationship
    JOIN old_entities AS src ON src.entity_id = relationship.src_entity_id
    JOIN old_entities AS dst ON dst.entity_id = relationship.dst_entity_id
)
INSERT INTO relationships (
    relationship_id, src_entity_id, dst_entity_id, relationship_type, fields_json,
    created_at, deleted_at
)
SELECT
    relationship_id, src_entity_id, dst_entity_id, relationship_type, fields_json, created_at,
    CASE
        WHEN deleted_at IS NULL AND row_number() OVER (
            PARTITION BY src_entity_id, dst_entity_id, relationship_type, deleted_at IS NULL
            ORDER BY created_at, old_rowid
        ) > 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        ELSE deleted_at
    END
FROM adopted;

INSERT INTO jobs (
    job_id, job_type, status, progress_percent, progress_step, input_json, result_json,
    error_json, attempts, cancel_requested_at, created_at, started_at, finished_at,
    canceled_at, updated_at
)
SELECT
    job_id,
    job_type,
    CASE WHEN status IN ('succeeded', 'failed', 'canceled') THEN status ELSE 'failed' END,
    coalesce(progress_percent, 0),
    progress_step,
    CASE WHEN json_valid(input_json) THEN json(input_json) ELSE '{}' END,
    CASE WHEN json_valid(result_json) THEN json(result_json) END,
    CASE
        WHEN status IN ('succeeded', 'failed', 'canceled') THEN
            CASE WHEN json_valid(error_json) THEN json(error_json) END
        ELSE json_object(
            'code', 'interrupted',
            'message', 'FaceForge 0.1.x stopped before the job finished (found ' || status
                || ' when the home was adopted)'
        )
    END,
    started_at IS NOT NULL,
    cancel_requested_at,
    created_at,
    started_at,
    CASE
        WHEN status IN ('succeeded', 'failed', 'canceled') THEN finished_at
        ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    END,
    canceled_at,
    CASE
        WHEN status IN ('succeeded', 'failed', 'canceled')
            THEN coalesce(finished_at, canceled_at, started_at, created_at)
        ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    END
FROM old_jobs
WHERE deleted_at IS NULL;

INSERT INTO job_logs (job_log_id, job_id, ts, level, message, data_json)
SELECT
    line.job_log_id,
    line.job_id,
    line.ts,
    CASE
        WHEN lower(line.level) IN ('debug', 'info', 'warning', 'error') THEN lower(line.level)
        WHEN lower(line.level) = 'warn' THEN 'warning'
        WHEN lower(line.level) IN ('critical', 'fatal') THEN 'error'
        ELSE 'info'
    END,
    line.message,
    CASE WHEN json_valid(line.data_json) THEN json(line.data_json) END
FROM old_job_logs AS line
JOIN jobs ON jobs.job_id = line.job_id;

INSERT INTO plugin_registry (plugin_id, version, enabled, config_json, created_at, updated_at)
SELECT
    plugin_id,
    version,
    enabled <> 0,
    CASE
        WHEN json_type(CASE WHEN json_valid(config_json) THEN config_json END) = 'object'
            THEN json(config_json)
        ELSE '{}'
    END,
    discovered_at,
    updated_at
FROM old_plugin_registry
WHERE deleted_at IS NULL;

DROP TABLE old_job_logs;
DROP TABLE old_jobs;
DROP TABLE old_entity_assets;
DROP TABLE old_descriptors;
DROP TABLE old_relationships;
DROP TABLE old_assets;
DROP TABLE old_field_definitions;
DROP TABLE old_plugin_registry;
DROP TABLE old_entities;
DROP TABLE schema_migrations;
