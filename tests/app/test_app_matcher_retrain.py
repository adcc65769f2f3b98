"""Learning from curators end to end: stored review decisions -> retrained model
-> the user's matching, from the app support layer, the CLI and the Settings page."""

from __future__ import annotations

from pathlib import Path

from app_world import APP, seed_reviews
from streamlit.testing.v1 import AppTest

from engine.app_support import matcher_model, preferences, review
from engine.cli import main
from engine.matching.retrain import check_name
from engine.runtime import Runtime
from engine.store import repo
from engine.store.curated import curator_decisions
from engine.store.db import session_scope

SAMPLE = Path(__file__).parents[1] / "fixtures" / "matching" / "itunes_amazon_structured_sample.csv"


def decided(runtime: Runtime, count: int) -> int:
    """``count`` reviews resolved by the curator (the remaster candidate, or "not
    available" for every fourth); returns the user id."""
    ids = seed_reviews(runtime, count=count)
    with session_scope(runtime.engine) as session:
        uid = repo.local_user(session).id
    for n, decision_id in enumerate(ids):
        choice = None if n % 4 == 3 else f"dz{uid}b{n}"
        review.decide(runtime, uid, decision_id, choice)
    return uid


def test_curator_decisions_become_labelled_pairs(app_runtime: Runtime) -> None:
    uid = decided(app_runtime, 8)
    with session_scope(app_runtime.engine) as session:
        decisions = curator_decisions(session, uid)
    assert len(decisions) == 8
    assert {d.chosen for d in decisions[:3]} == {f"dz{uid}b{n}" for n in range(3)}
    assert decisions[3].chosen is None
    assert all(len(d.candidates) == 2 and d.source["title"] for d in decisions)


def test_retrain_records_the_outcome_and_switches_the_model(app_runtime: Runtime) -> None:
    uid = decided(app_runtime, 24)
    outcome = matcher_model.retrain_matcher(app_runtime, uid, [SAMPLE])
    info = matcher_model.model_info(app_runtime, uid)
    assert info["accepted"] == outcome.accepted and info["reason"] == outcome.reason
    assert check_name(SAMPLE) in info["after"]
    config = preferences.match_config(app_runtime, uid)
    if outcome.accepted:
        assert info["decisions"] == 24
        assert Path(config.model_path) == matcher_model.model_file(app_runtime, uid)
        assert Path(config.model_path).is_file()
    else:
        assert config.model_path == ""
    matcher_model.use_shipped_model(app_runtime, uid)
    assert preferences.match_config(app_runtime, uid).model_path == ""


def test_cli_retrain_and_status(app_runtime: Runtime, capsys: object) -> None:
    decided(app_runtime, 12)
    code = main(["matcher", "retrain", "--valid", str(SAMPLE)])
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "12 curator decisions" in out
    assert ("accepted" in out and code == 0) or ("refused" in out and code == 1)
    assert main(["matcher", "status"]) == 0
    assert "last retraining" in capsys.readouterr().out  # type: ignore[attr-defined]
    assert main(["matcher", "retrain", "--valid", "/nonexistent.csv"]) != 0


def test_settings_page_retrain_button(app_runtime: Runtime) -> None:
    decided(app_runtime, 12)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/settings.py")
    at.run()
    assert any("shipped model" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Retrain from my decisions").click().run()
    assert not at.exception, at.exception
    notices = [s.value for s in at.success]
    assert any("12 decisions" in n for n in notices), notices
