-- How many items a playlist shows (paging totals, playlist lists).
-- budget_ms: 50
SELECT count(*) FROM v_playlist_item_effective WHERE playlist_id = :playlist_id
