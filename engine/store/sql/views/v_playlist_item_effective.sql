-- The items of each playlist as the product shows them.
--
-- The current snapshot of a playlist is its latest COMPLETE snapshot (by
-- taken_at, then id). Snapshots still in progress or failed are ignored, so
-- while a newer capture runs or after it fails, the previous complete one is
-- shown. Curators' overrides (item_overrides) are then applied: "hide" drops
-- the item, "replace" shows the replacement track at the same position.
--
-- Written in the SQL common to SQLite and PostgreSQL; applied by migration 0101.
CREATE VIEW v_playlist_item_effective AS
SELECT
    p.user_id AS user_id,
    s.playlist_id AS playlist_id,
    s.id AS snapshot_id,
    si.position AS position,
    CASE
        WHEN o.action = 'replace' AND o.replacement_track_id IS NOT NULL
            THEN o.replacement_track_id
        ELSE si.track_id
    END AS track_id,
    si.track_id AS original_track_id,
    o.action AS override_action,
    si.provider_item_id AS provider_item_id,
    si.added_at AS added_at
FROM snapshots AS s
JOIN playlists AS p ON p.id = s.playlist_id
JOIN snapshot_items AS si ON si.snapshot_id = s.id
LEFT JOIN item_overrides AS o
    ON o.playlist_id = s.playlist_id AND o.track_id = si.track_id
WHERE s.status = 'complete'
  AND NOT EXISTS (
      SELECT 1
      FROM snapshots AS newer
      WHERE newer.playlist_id = s.playlist_id
        AND newer.status = 'complete'
        AND (newer.taken_at > s.taken_at
             OR (newer.taken_at = s.taken_at AND newer.id > s.id))
  )
  AND (o.action IS NULL OR o.action <> 'hide');
