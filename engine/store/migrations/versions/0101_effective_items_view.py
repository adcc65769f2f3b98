"""the view v_playlist_item_effective, read from sql/views/

Revision ID: 0101
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from engine.store.sqlfiles import read_sql

revision = "0101"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(read_sql("views/v_playlist_item_effective.sql"))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_playlist_item_effective")
