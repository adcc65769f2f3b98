-- A user's newest jobs (API /jobs, the app's jobs page).
-- budget_ms: 20
SELECT * FROM jobs WHERE user_id = :user_id ORDER BY created_at DESC, id LIMIT 50
