"""The Sync groups page on the seeded store: create a group from stored
playlists, run it dry, pause, schedule, delete; the empty store's hint."""

from __future__ import annotations

from app_world import APP
from streamlit.testing.v1 import AppTest

from engine import flags
from engine.jobs import list_jobs
from engine.runtime import Runtime
from engine.store.db import session_scope
from engine.store.seed import seed


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/sync_groups.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_empty_store_shows_the_hint(app_runtime: Runtime) -> None:
    at = open_page()
    assert any("No sync group yet" in str(e.value) for e in at.info)


def test_create_run_pause_schedule_delete(app_runtime: Runtime) -> None:
    with session_scope(app_runtime.engine) as session:
        user = seed(session).user_id
    at = open_page()
    options = at.multiselect(key="cf_groups_members").options
    playlists = [o for o in options if "liked" not in o]
    assert len(playlists) >= 2, options
    at.text_input(key="cf_groups_name").set_value("everywhere")
    at.multiselect(key="cf_groups_members").set_value(playlists[:2])
    at.button(key="cf_groups_create").click().run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["name"].to_list() == ["everywhere"]
    assert at.button(key="cf_groups_apply").disabled  # shown before it writes

    for provider in ("spotify", "deezer", "tidal", "youtube"):
        # the seeded accounts hold no real tokens: the run must stop before any request
        flags.set_flag(app_runtime, f"provider.{provider}", False)
    at.button(key="cf_groups_dry").click().run()
    assert any("Run submitted" in str(s.value) for s in at.success)
    assert [j["kind"] for j in list_jobs(app_runtime, user_id=user)] == ["sync_group"]

    at.button(key="cf_groups_toggle").click().run()
    assert at.dataframe[0].value["status"].to_list() == ["paused"]
    at.text_input(key="cf_groups_every").set_value("6h")
    at.button(key="cf_groups_schedule").click().run()
    assert at.dataframe[0].value["schedule"].to_list() == ["every:21600"]
    at.text_input(key="cf_groups_every").set_value("1m")
    at.button(key="cf_groups_schedule").click().run()
    assert any("shortest" in str(e.value) for e in at.error)
    at.button(key="cf_groups_delete").click().run()
    assert any("No sync group yet" in str(e.value) for e in at.info)
