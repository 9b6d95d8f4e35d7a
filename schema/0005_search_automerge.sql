-- The search index (entity_search) merges its segments 16 at a time instead of FTS5's default
-- 4 (`automerge`). A bulk-upsert of 10,000 entities writes about 600,000 trigrams, and with
-- merges of 4 each was rewritten again and again as the levels filled: at 300,000 entities
-- this halves the index's share of a call (227 -> 131 ms median per 10,000, docs/entities.md).
-- A query reads more segments in exchange (0.27 -> 0.38 ms for a trigram), far below the rest
-- of a `q=` request. The setting is kept in the index itself; nothing is rebuilt.
INSERT INTO entity_search (entity_search, rank) VALUES ('automerge', 16);
