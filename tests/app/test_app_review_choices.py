"""Review saves only what the curator meant: the form belongs to the item on
screen (the best candidate preselected, nothing carried over from the previous
item), a decision stores a shown candidate, a search result or a pasted link
checked on the provider, and nothing else."""

from __future__ import annotations

import pytest
from app_world import choice_radio, found_radio, keyed, seed_reviews
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from test_app_connect_transfer import connect, no_errors, page
from test_app_review import curator_rows, open_page, uid_of

from engine.app_support import review
from engine.errors import UsageError
from engine.runtime import Runtime
from engine.sandbox import Sandbox
from engine.store.models import MatchDecision


def save(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert not at.exception, at.exception


def test_after_a_decision_the_next_item_preselects_its_best(app_runtime: Runtime) -> None:
    # The steps: open Review, press 1, then Ctrl+Enter.
    seed_reviews(app_runtime, count=3)
    uid = uid_of(app_runtime)
    at = open_page("pages/review.py")
    at.button(key="cf_review_take_1").click().run()  # key 1
    assert not at.exception, at.exception
    radio = choice_radio(at)
    assert radio.value == f"dz{uid}b1"  # the next item's best (the remaster)
    assert "Remastered" in radio.options[0]
    save(at)  # Ctrl+Enter
    assert not at.error, [e.value for e in at.error]
    assert [r[1] for r in curator_rows(app_runtime)] == [f"dz{uid}b0", f"dz{uid}b1"]
    recent = review.recent_decisions(app_runtime, uid)  # names the chosen track
    assert recent["decision"][0] == (f"Mira Vale - Night Drive - Remastered (dz{uid}b1)")


def test_a_choice_does_not_carry_over_to_the_next_item(app_runtime: Runtime) -> None:
    ids = seed_reviews(app_runtime, count=3)
    uid = uid_of(app_runtime)
    at = open_page("pages/review.py")
    assert choice_radio(at).key == f"cf_review_choice_{ids[0]}"  # the form is the item's own
    at.button(key="cf_review_next").click().run()  # skip to the next item
    assert choice_radio(at).key == f"cf_review_choice_{ids[1]}"
    assert choice_radio(at).value == f"dz{uid}b1"  # its own best
    at.button(key="cf_review_back").click().run()
    assert choice_radio(at).value == f"dz{uid}b0"
    choice_radio(at).set_value(f"dz{uid}a0")  # pick the live version and save it
    save(at)
    assert choice_radio(at).key == f"cf_review_choice_{ids[1]}"
    assert choice_radio(at).value == f"dz{uid}b1"  # not the choice made for the item before
    save(at)
    assert [r[1] for r in curator_rows(app_runtime)] == [f"dz{uid}a0", f"dz{uid}b1"]


def test_notice_names_the_track_in_a_fixed_box(app_runtime: Runtime) -> None:
    seed_reviews(app_runtime, count=2)
    at = open_page("pages/review.py")
    save(at)
    notices = [s.value for s in at.success]
    assert any(
        n.startswith("Saved: The Tidewater Band - Harbour Lights → The Tidewater Band - "
                     "Harbour Lights - Remastered")
        for n in notices
    ), notices  # fmt: skip
    assert not any("decision" in n and any(ch.isdigit() for ch in n) for n in notices)
    at.button(key="cf_review_undo_last").click().run()
    assert any("Undone: The Tidewater Band - Harbour Lights" in s.value for s in at.success)
    assert not any("Pixels" in m.value for m in at.markdown)  # no stray "magic" text
    box = at.get("flex_container")
    assert box, "the notice lives in a container of fixed height"


def test_decide_refuses_what_was_not_shown(app_runtime: Runtime) -> None:
    (decision,) = seed_reviews(app_runtime, count=1)
    uid = uid_of(app_runtime)
    label = "Real Friends — Rudderless (2:46) · score 0.78"  # the previous item's label
    with pytest.raises(UsageError, match="not one of this review's candidates"):
        review.decide(app_runtime, uid, decision, label)
    with pytest.raises(UsageError, match="not one of this review's candidates"):
        review.decide(app_runtime, uid, decision, "https://open.spotify.com/track/zzzz")
    assert curator_rows(app_runtime) == []
    with app_runtime.engine.connect() as conn:
        assert conn.execute(select(MatchDecision.status)).scalars().all() == ["pending"]


def paste(at: AppTest, text: str) -> None:
    keyed(at.text_input, "cf_review_manual_id_").set_value(text)
    next(b for b in at.button if b.label == "Use this track").click().run()
    assert not at.exception, at.exception


def test_pasted_links_are_parsed_checked_or_refused(sandbox: Sandbox, app_runtime: Runtime) -> None:
    connect("deezer")
    seed_reviews(app_runtime, count=3)
    real = sandbox.catalog.listing("deezer")[0]
    deezer_id = real.id_for("deezer")
    at = page("review")
    paste(at, "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC")
    assert any("that is a spotify track link" in e.value for e in at.error)
    paste(at, "https://www.deezer.com/fr/track/999999999999")
    assert any("deezer has no track 999999999999" in e.value for e in at.error)
    paste(at, "not a link at all")
    assert any("not a deezer track id" in e.value for e in at.error)
    assert at.metric[0].value == "3" and curator_rows(app_runtime) == []
    paste(at, f"https://www.deezer.com/fr/track/{deezer_id}?utm_source=share")
    no_errors(at)
    assert at.metric[0].value == "2"
    assert any(real.title in s.value for s in at.success)  # the notice names what was saved
    [(_, saved, status)] = curator_rows(app_runtime)
    assert (saved, status) == (deezer_id, "matched")
    with app_runtime.engine.connect() as conn:
        evidence = conn.execute(
            select(MatchDecision.candidates).where(MatchDecision.target_track_id == deezer_id)
        ).scalar_one()
    assert evidence[-1]["title"] == real.title  # the checked track joins the evidence

    # Search results: scored against the source, nothing preselected.
    keyed(at.text_input, "cf_review_query_").set_value(real.title)
    next(b for b in at.button if b.label == "Search deezer").click().run()
    no_errors(at)
    results = found_radio(at)
    assert results.value is None
    table = at.dataframe[-1].value
    assert {"album", "length", "score", "title match"} <= set(table.columns)
    next(b for b in at.button if b.label == "Use this track").click().run()
    assert any("choose a search result or paste a track link" in e.value for e in at.error)
    assert at.metric[0].value == "2"
