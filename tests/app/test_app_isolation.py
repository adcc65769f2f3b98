"""Multi-user mode (OIDC): each person sees and changes only their own data
through every page, even with tampered session state; nobody signed in sees
nothing. People are simulated with the documented test hook ``cf_test_user``
(honoured only when CROSSFADE_ENV=test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_world import APP, seed_reviews
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engine import jobs
from engine.errors import NotFoundError
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision, ProviderAccount

BOB, CAROL = "oidc|bob", "oidc|carol"


@pytest.fixture
def two_people(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Runtime, dict[str, int]]]:
    monkeypatch.setenv("CROSSFADE_OIDC_ENABLED", "true")
    runtime = Runtime(app_env.model_copy(update={"oidc_enabled": True}))
    seed_reviews(runtime, BOB, count=2)
    seed_reviews(runtime, CAROL, count=3)
    ids = {}
    with session_scope(runtime.engine) as session:
        for who in (BOB, CAROL):
            user = repo.ensure_user(session, who)
            ids[who] = user.id
            repo.create_playlist(session, user.id, f"{who} private mix", source="file")
        session.add(ProviderAccount(user_id=ids[CAROL], provider="tidal", status="connected"))
    ids["carol_job"] = jobs.submit(  # type: ignore[assignment]
        runtime, "snapshot_gc", {"dry_run": True}, user_id=ids[CAROL], start=False
    )
    yield runtime, ids
    runtime.close()


def as_person(who: str | None, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if who:
        at.session_state["cf_test_user"] = who
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "metric") for e in at.get(kind)]
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    for box in at.selectbox:
        parts.extend(str(o) for o in box.options)
    return "\n".join(parts)


PAGES = ["library", "transfer", "review", "jobs", "files", "connections", "settings"]


@pytest.mark.parametrize("page", PAGES)
def test_nobody_signed_in_sees_nothing(
    two_people: tuple[Runtime, dict[str, int]], page: str
) -> None:
    at = as_person(None, page)
    assert any("Sign in" in b.label for b in at.button)
    assert "private mix" not in text_of(at)
    assert not at.dataframe


@pytest.mark.parametrize("page", PAGES)
def test_each_page_shows_only_the_signed_in_persons_data(
    two_people: tuple[Runtime, dict[str, int]], page: str
) -> None:
    at = as_person(BOB, page)
    shown = text_of(at)
    assert "oidc|carol" not in shown and "carol private mix" not in shown
    assert "tidal · " not in shown  # Carol's tidal account
    if page == "library":
        assert at.dataframe[0].value["name"].tolist() == ["oidc|bob private mix"]
    if page == "review":
        assert at.metric[0].value == "2"
    if page == "jobs":
        assert not at.dataframe  # Carol's job is not listed
    if page == "connections":
        assert "connected]" not in shown.replace("not connected]", "")


def test_tampered_state_cannot_change_another_persons_data(
    two_people: tuple[Runtime, dict[str, int]],
) -> None:
    runtime, ids = two_people
    carol_job = str(ids["carol_job"])
    with runtime.engine.connect() as conn:
        carol_decision = conn.execute(
            select(MatchDecision.id).where(MatchDecision.user_id == ids[CAROL]).limit(1)
        ).scalar_one()

    jobs.submit(runtime, "snapshot_gc", {"keep_last": 3}, user_id=ids[BOB], start=False)
    jobs_page = as_person(BOB, "jobs")
    assert len(jobs_page.dataframe[0].value) == 1
    assert carol_job[:8] not in " ".join(jobs_page.selectbox(key="cf_jobs_pick").options)
    # What the page calls with a forged id: refused as "not found", nothing changes.
    from engine.app_support.jobs_view import job_progress

    with pytest.raises(NotFoundError):
        job_progress(runtime, ids[BOB], carol_job)
    with pytest.raises(NotFoundError):
        jobs.cancel(runtime, carol_job, user_id=ids[BOB])
    assert jobs.job_row(runtime, carol_job)["state"] == "queued"

    review = as_person(BOB, "review")
    # Bob decides all of his own; Carol's queue is untouched.
    for _ in range(2):
        next(b for b in review.button if b.label == "Save decision").click().run()
    assert review.metric[0].value == "0"
    with session_scope(runtime.engine) as session:
        assert repo.count_pending_reviews(session, ids[CAROL]) == 3
        assert repo.count_pending_reviews(session, ids[BOB]) == 0
    from engine.app_support import review as review_support

    with pytest.raises(NotFoundError):
        review_support.decide(runtime, ids[BOB], carol_decision, None)
    with pytest.raises(NotFoundError):
        review_support.undo(runtime, ids[BOB], carol_decision)
