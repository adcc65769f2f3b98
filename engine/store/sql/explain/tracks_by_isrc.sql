-- Tracks by ISRC (upsert_tracks dedupe, matching).
-- budget_ms: 10
SELECT id, isrc, title FROM tracks WHERE isrc = :isrc ORDER BY id
