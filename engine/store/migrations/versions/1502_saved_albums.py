"""saved_albums: the albums saved in an account's library, as the last pull saw them

Revision ID: 1502
Revises: 1501
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1502"
down_revision = "1501"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_albums",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("account_id", BIG_ID, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_album_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("artists", JSON_TYPE, nullable=False),
        sa.Column("upc", sa.String(length=32), nullable=True),
        sa.Column("release_date", sa.String(length=10), nullable=True),
        sa.Column("track_count", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["provider_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "provider_album_id"),
    )
    op.create_index("ix_saved_albums_user_id", "saved_albums", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_albums_user_id", table_name="saved_albums")
    op.drop_table("saved_albums")
