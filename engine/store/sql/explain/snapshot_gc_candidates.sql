-- Snapshot-GC candidates: every snapshot of a user's playlists (job snapshot_gc).
-- budget_ms: 50
SELECT s.id, s.playlist_id, s.status, s.taken_at, s.pinned, s.job_id
FROM snapshots AS s
JOIN playlists AS p ON p.id = s.playlist_id
WHERE p.user_id = :user_id
