-- Thumbnails and media facts (API.md §10). Rows that are already there have no thumbnails
-- yet: their pictures and videos wait as `unavailable` for the rebuild job
-- (POST /v1/admin/thumbnails/rebuild); everything else is `skipped`.
ALTER TABLE assets ADD COLUMN thumbnail_status TEXT NOT NULL DEFAULT 'skipped'
    CHECK (thumbnail_status IN ('pending', 'done', 'failed', 'skipped', 'unavailable'));
ALTER TABLE assets ADD COLUMN media_json TEXT;
UPDATE assets SET thumbnail_status = 'unavailable'
    WHERE mime_type LIKE 'image/%' OR mime_type LIKE 'video/%';
