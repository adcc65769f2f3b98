"""Every query in sql/explain/ declares a budget and runs on both databases."""

from __future__ import annotations

import re

import sqlalchemy as sa

from engine.store.db import session_scope
from engine.store.seed import seed
from engine.store.sqlfiles import sql_files

PARAMS = {
    "user_id": 1,
    "playlist_id": 1,
    "source_track_id": 1,
    "isrc": "QZSEE2600001",
    "provider_track_id": "5eedTrk01",
    "idempotency_key": "none",
    "job_id": "none",
}


def test_explain_queries_run_on_both_databases(db_engine: sa.Engine) -> None:
    files = sql_files("explain")
    assert len(files) >= 6
    with session_scope(db_engine) as session:
        seed(session)
    with db_engine.connect() as conn:
        for path in files:
            text = path.read_text(encoding="utf-8")
            assert re.search(r"--\s*budget_ms:\s*\d", text), path
            names = set(re.findall(r"(?<!:):([a-z_]+)", text))
            assert names <= set(PARAMS), (path, names - set(PARAMS))
            rows = conn.execute(sa.text(text), {k: PARAMS[k] for k in names}).all()
            if path.stem == "effective_items_page":
                assert [row.position for row in rows] == [0, 1, 2, 3, 4, 5]
