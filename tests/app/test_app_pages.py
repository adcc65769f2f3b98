"""Library, Files (export), Settings and Jobs pages on the seeded store."""

from __future__ import annotations

import time

import pytest
from app_world import APP
from streamlit.testing.v1 import AppTest

from engine import flags, formats, jobs
from engine.app_support import preferences
from engine.runtime import Runtime
from engine.store.db import session_scope
from engine.store.seed import seed


def page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(f"pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def app_runtime_user(runtime: Runtime) -> int:
    from engine.store import repo

    with session_scope(runtime.engine) as session:
        return repo.local_user(session).id


def seeded(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return seed(session).user_id


def test_library_tables_filters_and_charts(app_runtime: Runtime) -> None:
    seeded(app_runtime)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()  # Library is the default page
    assert not at.exception, at.exception
    assert at.title[0].value == "Library"
    table = at.dataframe[0].value
    assert sorted(table["name"]) == ["Focus", "Kitchen Radio", "Road Trip"]  # not Alice's mix
    assert len(at.get("vega_lite_chart")) == 4
    at.text_input(key="cf_lib_search").set_value("road").run()
    assert at.dataframe[0].value["name"].tolist() == ["Road Trip"]
    at.text_input(key="cf_lib_search").set_value("").run()
    at.selectbox(key="cf_lib_source").set_value("file").run()
    assert at.dataframe[0].value["name"].tolist() == ["Kitchen Radio"]
    tracks = at.dataframe[1].value
    assert len(tracks) == 3  # one hidden, one replaced by override
    assert "replace" in tracks["override"].tolist()
    snapshots = at.dataframe[2].value
    assert snapshots["status"].tolist() == ["complete"]


def test_files_export_every_format_reads_back(app_runtime: Runtime) -> None:
    seeded(app_runtime)
    at = page("files")
    at.selectbox(key="cf_files_playlist").set_value(1).run()
    for name in ("pif", "csv", "m3u", "xspf", "jspf"):
        at.selectbox(key="cf_files_format").set_value(name).run()
        assert not at.exception, at.exception
        button = at.get("download_button")[0]
        assert button.proto.label.startswith("Download Road Trip")
    # The content offered is what the engine writes, and it reads back.
    from engine.app_support.files import export_playlist

    uid = app_runtime_user(app_runtime)
    filename, content = export_playlist(app_runtime, uid, 1, "pif")
    path = app_runtime.settings.data_dir / filename
    path.write_bytes(content)
    assert formats.read(path)["title"].to_list()[:2] == ["Night Drive", "Harbour Lights"]


def test_files_import_bad_file_names_the_problem(app_runtime: Runtime) -> None:
    at = page("files")
    at.file_uploader(key="cf_files_upload").upload("broken.pif.json", b'{"tracks": [')
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    assert any("broken.pif.json" in e.value for e in at.error)


def test_files_import_shows_reader_warnings(app_runtime: Runtime) -> None:
    at = page("files")
    upload = b"#EXTM3U\n#EXTINF:x,A - B\na.mp3\n#EXTINF:1,Gone\n"
    at.file_uploader(key="cf_files_upload").upload("odd.m3u8", upload)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    assert any("2 warning(s)" in w.value for w in at.warning)
    shown = "\n".join(c.value for c in at.code)
    assert "odd.m3u8:2: malformed #EXTINF" in shown
    assert "odd.m3u8:4: #EXTINF without a location after it; dropped" in shown


def test_settings_matching_retention_and_flags(app_runtime: Runtime) -> None:
    uid = seeded(app_runtime)
    at = page("settings")
    at.slider(key="cf_set_auto_threshold").set_value(0.9)
    at.slider(key="cf_set_review_threshold").set_value(0.5)
    next(b for b in at.button if b.label == "Save matching settings").click().run()
    assert not at.exception, at.exception
    config = preferences.match_config(app_runtime, uid)
    assert (config.auto_threshold, config.review_threshold) == (0.9, 0.5)
    # An invalid pair is refused with the reason, and nothing changes.
    at.slider(key="cf_set_auto_threshold").set_value(0.6)
    at.slider(key="cf_set_review_threshold").set_value(0.8)
    next(b for b in at.button if b.label == "Save matching settings").click().run()
    assert any("review_threshold <= auto_threshold" in e.value for e in at.error)
    assert preferences.match_config(app_runtime, uid).auto_threshold == 0.9

    at.number_input(key="cf_set_keep_last").set_value(5)
    next(b for b in at.button if b.label == "Save retention").click().run()
    assert preferences.retention(app_runtime, uid).keep_last == 5
    next(b for b in at.button if b.label == "Preview pruning (dry run)").click().run()
    assert not at.exception, at.exception
    (job,) = jobs.list_jobs(app_runtime, user_id=uid)
    assert job["kind"] == "snapshot_gc" and job["params"]["keep_last"] == 5

    at.toggle(key="cf_flag_feature.sync").set_value(False).run()
    assert not flags.is_enabled(app_runtime, app_runtime.settings, "feature.sync")


def test_jobs_page_cancel_and_retry(app_runtime: Runtime) -> None:
    uid = seeded(app_runtime)
    job_id = jobs.submit(app_runtime, "snapshot_gc", {"dry_run": True}, user_id=uid, start=False)
    at = page("jobs")
    assert at.dataframe[0].value["state"].tolist() == ["queued"]
    assert at.button(key="cf_jobs_retry").disabled  # a queued job cannot be retried
    at.button(key="cf_jobs_cancel").click().run()
    assert jobs.job_row(app_runtime, job_id)["state"] == "cancelled"
    assert at.button(key="cf_jobs_cancel").disabled  # a finished job cannot be cancelled
    assert not any("status" in e.value for e in at.error)
    at.button(key="cf_jobs_retry").click().run()
    deadline = time.monotonic() + 30
    while jobs.job_row(app_runtime, job_id)["state"] != "succeeded":  # ran in the background
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_files_export_all_job_then_download(app_runtime: Runtime) -> None:
    from engine.app_support import files
    from engine.errors import NotFoundError

    uid = seeded(app_runtime)
    at = page("files")
    at.selectbox(key="cf_files_all_format").set_value("csv")
    at.button(key="cf_files_all").click().run()
    assert not at.exception, at.exception
    (job,) = jobs.list_jobs(app_runtime, user_id=uid, kind="export")
    deadline = time.monotonic() + 30
    while jobs.job_row(app_runtime, job["id"])["state"] != "succeeded":
        assert time.monotonic() < deadline, jobs.job_row(app_runtime, job["id"])
        time.sleep(0.1)
    at.run()
    past = files.past_exports(app_runtime, uid)
    assert sorted(p.name for p in past) == ["Focus.csv", "Kitchen Radio.csv", "Road Trip.csv"]
    assert len(at.get("download_button")) == 1 + 3  # the single export + three files
    name, content = files.read_export(app_runtime, uid, past[0].id)
    assert name.endswith(".csv") and b"title" in content.lower()
    with pytest.raises(NotFoundError):
        files.read_export(app_runtime, uid + 1, past[0].id)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("library", "No playlists yet"),
        ("transfer", "No playlists in Crossfade yet"),
        ("review", "Nothing left to review"),
        ("jobs", "No jobs yet"),
        ("files", "Nothing to export yet"),
        ("connections", "Add your app's credentials"),
        ("settings", "Feature flags"),
    ],
)
def test_every_page_on_an_empty_store(app_runtime: Runtime, name: str, hint: str) -> None:
    at = page(name)
    shown = [
        str(e.value)
        for kind in ("info", "success", "caption", "subheader", "warning")
        for e in at.get(kind)
    ]
    assert any(hint in text for text in shown), shown
