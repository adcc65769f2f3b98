"""``crossfade db migrate`` / ``db seed`` on the embedded default, and the seed's shape."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.cli import main
from engine.store import repo
from engine.store.db import session_scope
from engine.store.seed import SECOND_USER, seed


def test_seed_covers_every_case(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        report = seed(session)
        assert report.created
        assert seed(session).created is False
        user_id = report.user_id
        playlists = {p.name: p.id for p in repo.list_playlists(session, user_id)}
        assert set(playlists) == {"Road Trip", "Focus", "Kitchen Radio"}
        statuses = {
            s.status for pid in playlists.values() for s in repo.list_snapshots(session, pid)
        }
        assert statuses == {"complete", "in_progress", "failed"}
        assert repo.count_pending_reviews(session, user_id) == 2
        assert len(repo.list_accounts(session, user_id)) == 2
        alice = repo.user_by_external_id(session, SECOND_USER)
        assert alice is not None and repo.count_pending_reviews(session, alice.id) == 1
    road = repo.effective_items(db_engine, playlists["Road Trip"])
    assert road["title"].to_list()[:2] == ["Night Drive", "Harbour Lights"]
    assert road.height == 6  # the newer in-progress capture is not shown
    assert repo.effective_items(db_engine, playlists["Focus"]).height == 3
    kitchen = repo.effective_items(db_engine, playlists["Kitchen Radio"])
    assert kitchen["title"].to_list() == ["Rainmaker", "Kitchen Radio", "Weightless (Live)"]


def test_cli_migrate_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI reads settings from the environment at its edge; point it at tmp_path.
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db", "migrate"]) == 0
    assert "schema up to date" in capsys.readouterr().out
    assert main(["db", "seed"]) == 0
    assert "3 playlists" in capsys.readouterr().out
    assert main(["db", "seed"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert (tmp_path / "data" / "crossfade.db").is_file()
