"""indexes for unfinished jobs and a user's newest jobs (found by make explain)

Revision ID: 0102
Revises: 0101
"""

from __future__ import annotations

from alembic import op

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # snapshot GC and the worker look up unfinished jobs among many finished ones
    op.create_index("ix_jobs_state", "jobs", ["state"])
    # API /jobs and the app's jobs page: a user's newest jobs
    op.create_index("ix_jobs_user_created", "jobs", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_user_created", table_name="jobs")
    op.drop_index("ix_jobs_state", table_name="jobs")
