-- Match decisions for one source track (curator rule lookup, history).
-- budget_ms: 10
SELECT *
FROM match_decisions
WHERE user_id = :user_id AND source_track_id = :source_track_id AND target_provider = 'deezer'
ORDER BY decided_at DESC, id DESC
