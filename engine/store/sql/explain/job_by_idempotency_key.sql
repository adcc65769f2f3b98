-- A job by its idempotency key (every job submission).
-- budget_ms: 10
SELECT id, state FROM jobs WHERE idempotency_key = :idempotency_key
