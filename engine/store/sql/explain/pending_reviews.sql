-- A user's pending reviews, oldest first (review page, API /reviews).
-- budget_ms: 20
SELECT *
FROM match_decisions
WHERE user_id = :user_id AND status = 'pending' AND undone_at IS NULL
ORDER BY id
LIMIT 50 OFFSET 0
