-- Effective items of one playlist, one page (API /playlists/{id}/items, the app, exports).
-- budget_ms: 50
SELECT v.position, v.track_id, v.snapshot_id, v.override_action,
       t.title, t.artists, t.album, t.duration_ms, t.isrc, t.explicit, t.release_date
FROM (
    SELECT position, track_id, snapshot_id, override_action
    FROM v_playlist_item_effective
    WHERE playlist_id = :playlist_id
    ORDER BY position
    LIMIT 100 OFFSET 0
) AS v
JOIN tracks AS t ON t.id = v.track_id
ORDER BY v.position
