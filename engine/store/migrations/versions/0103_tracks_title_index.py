"""index tracks by title, for re-imports of file tracks without ids

Revision ID: 0103
Revises: 0102
"""

from __future__ import annotations

from alembic import op

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # upsert_tracks matches id-less file tracks by exact title; without this every
    # batch of titles scans the whole table. Hash on Postgres: btree rows are capped
    # at ~2.7 kB and a title can be longer.
    op.create_index("ix_tracks_title", "tracks", ["title"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_tracks_title", table_name="tracks")
