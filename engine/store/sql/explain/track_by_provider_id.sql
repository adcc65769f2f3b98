-- A track by a provider's id for it (upsert_tracks dedupe, sync).
-- budget_ms: 10
SELECT track_id FROM track_provider_ids
WHERE provider = 'spotify' AND provider_track_id = :provider_track_id
