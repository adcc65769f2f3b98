from __future__ import annotations

import sqlalchemy as sa


def test_schema_has_no_plaintext_token_column(db_engine: sa.Engine) -> None:
    inspector = sa.inspect(db_engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            name = column["name"].lower()
            if "token" in name or "secret" in name:
                assert name.endswith(("_enc", "_hash", "_key_id")), (table, name)
