"""Review page: one item at a time with part scores; accept, pick another
candidate, not available, skip, undo, bulk accept; flag off."""

from __future__ import annotations

from app_world import APP, choice_radio, seed_reviews
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from engine import flags
from engine.runtime import Runtime
from engine.store.models import MatchDecision

NOT_AVAILABLE = "__not_available__"


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def save(at: AppTest, value: str | None = None) -> None:
    if value is not None:
        choice_radio(at).set_value(value)
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def curator_rows(runtime: Runtime) -> list[tuple[int, str | None, str]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(
                MatchDecision.source_track_id,
                MatchDecision.target_track_id,
                MatchDecision.status,
            )
            .where(MatchDecision.decided_by == "curator", MatchDecision.undone_at.is_(None))
            .order_by(MatchDecision.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def uid_of(runtime: Runtime) -> int:
    from engine.store import repo
    from engine.store.db import session_scope

    with session_scope(runtime.engine) as session:
        return repo.local_user(session).id


def test_review_accept_pick_other_not_available_and_undo(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=3)
    uid = uid_of(app_runtime)
    at = open_page("pages/review.py")
    assert at.metric[0].value == "3"
    assert any("Harbour Lights" in m.value for m in at.markdown)
    choice = choice_radio(at)
    # The remaster (same length) outranks the live version, and parts are shown.
    assert "Remastered" in choice.options[0] and "Live" in choice.options[1]
    shown = at.dataframe[0].value
    parts = {f"{p} match" for p in ("title", "artists", "album", "duration", "version")}
    assert parts | {"title", "score"} <= set(shown.columns)
    assert shown["version match"].iloc[1] == 0.0  # the live version's tag disagrees
    assert shown["score"].iloc[0] > shown["score"].iloc[1]
    assert shown["explicit"].isna().all()  # nobody said: empty cells
    save(at)  # accept the best
    assert at.metric[0].value == "2"
    save(at, f"dz{uid}a1")  # pick the other candidate for the next
    save(at, NOT_AVAILABLE)
    assert at.metric[0].value == "0"
    assert any("Nothing left to review" in s.value for s in at.success)
    rows = curator_rows(app_runtime)
    assert [(r[1], r[2]) for r in rows] == [
        (f"dz{uid}b0", "matched"),
        (f"dz{uid}a1", "matched"),
        (None, "not_available"),
    ]
    # Undo the newest decision: its review is back in the queue.
    assert "not available" in at.selectbox(key="cf_review_undo_pick").options[0]
    next(b for b in at.button if b.label == "Undo").click().run()
    assert at.metric[0].value == "1"
    assert len(curator_rows(app_runtime)) == 2


def test_review_shows_the_explicit_flags(app_runtime: Runtime) -> None:
    # source explicit; the live candidate clean, the remaster explicit
    seed_reviews(app_runtime, count=1, explicit=(True, False, True))
    at = open_page("pages/review.py")
    shown = at.dataframe[0].value
    assert "Remastered" in shown["title"].iloc[0] and "Live" in shown["title"].iloc[1]
    assert shown["explicit"].tolist() == ["explicit", "clean"]
    assert shown["explicit match"].tolist() == [1.0, 0.0]
    captions = [c.value for c in at.caption]
    assert any("Explicit: yes" in c for c in captions), captions  # the source's card


def test_review_skip_and_bulk_accept(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=4)
    at = open_page("pages/review.py")
    first = at.markdown
    at.button(key="cf_review_next").click().run()
    assert at.metric[1].value == "2"
    assert [m.value for m in at.markdown] != [m.value for m in first]
    at.slider(key="cf_review_bulk_score").set_value(0.8)
    at.slider(key="cf_review_bulk_margin").set_value(0.05)
    next(b for b in at.button if b.label == "Show what would be accepted").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "4" and curator_rows(app_runtime) == []  # shown, not done
    listed = [row for t in at.table for row in t.value["will accept"]]
    assert len(listed) == 4 and all("Remastered" in row for row in listed)
    at.button(key="cf_review_bulk_go").click().run()  # asks once
    assert not at.exception, at.exception
    accepted = int(next(s.value for s in at.success if "Accepted" in s.value).split()[1])
    assert accepted == 4  # every remaster scores >= 0.8 and leads the live version
    assert at.metric[0].value == "0"
    assert len(curator_rows(app_runtime)) == 4
    at.button(key="cf_review_bulk_undo").click().run()  # undone as one step
    assert not at.exception, at.exception
    assert at.metric[0].value == "4" and curator_rows(app_runtime) == []


def test_review_flag_off_shows_notice(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=1)
    flags.set_flag(app_runtime, "feature.review", False)
    at = open_page("pages/review.py")
    assert any("feature.review" in w.value for w in at.warning)
    assert not at.radio


def test_manual_search_without_account_is_a_clear_error(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=1)
    at = open_page("pages/review.py")
    next(b for b in at.button if b.label.startswith("Search deezer")).click().run()
    assert any("no deezer account connected" in e.value for e in at.error)


def test_quick_keys_take_not_available_back_and_undo_last(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=3)
    uid = uid_of(app_runtime)
    at = open_page("pages/review.py")
    assert at.button(key="cf_review_take_1").proto.shortcut == "1"
    assert at.button(key="cf_review_undo_last").disabled
    at.button(key="cf_review_take_2").click().run()  # key 2: the second candidate
    assert at.metric[0].value == "2"
    at.button(key="cf_review_none").click().run()  # key N
    assert at.metric[0].value == "1"
    at.button(key="cf_review_undo_last").click().run()  # key U
    assert not at.exception, at.exception
    assert at.metric[0].value == "2"
    assert [(r[1], r[2]) for r in curator_rows(app_runtime)] == [(f"dz{uid}a0", "matched")]
    at.button(key="cf_review_next").click().run()  # key S
    assert at.metric[1].value == "2"
    at.button(key="cf_review_back").click().run()  # key B
    assert at.metric[1].value == "1"


def test_filter_by_target_provider(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=2, provider="deezer")
    seed_reviews(app_runtime, count=3, provider="tidal")
    at = open_page("pages/review.py")
    assert at.metric[0].value == "5"
    at.button_group[0].set_value("tidal").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "3"
    assert any("Target: **tidal**" in c.value for c in at.caption)
    at.slider(key="cf_review_bulk_score").set_value(0.8)
    next(b for b in at.button if b.label == "Show what would be accepted").click().run()
    at.button(key="cf_review_bulk_go").click().run()
    assert any("Accepted 3 match" in m.value for m in at.success)  # only tidal's
    assert at.metric[0].value == "2"  # tidal is done, so the filter falls back to all
    assert not at.button_group  # one provider left: no filter to offer
