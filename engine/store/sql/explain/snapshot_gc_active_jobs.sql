-- Unfinished jobs whose parameters may protect snapshots from GC (job snapshot_gc).
-- budget_ms: 20
SELECT id, params, checkpoint
FROM jobs
WHERE state IN ('queued', 'running', 'waiting') AND id <> :job_id
