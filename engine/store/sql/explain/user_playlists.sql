-- A user's playlists, one page (API /playlists, the app's library page).
-- budget_ms: 20
SELECT * FROM playlists WHERE user_id = :user_id ORDER BY id LIMIT 50 OFFSET 0
