"""Files: import a playlist file of any supported format into Crossfade, and
export a playlist in any format as a download.

Session-state keys: ``cf_files_upload``, ``cf_files_name``, ``cf_files_notice``,
``cf_files_playlist``, ``cf_files_format``.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from engine import formats
from engine.app_support import files, library
from engine.app_support.people import CurrentUser
from engine.runtime import Runtime
from pages import _ui


def import_section(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Import")
    readable = ", ".join(sorted(formats.FORMATS))
    with st.form("cf_files_import", clear_on_submit=True):
        upload = st.file_uploader(f"Playlist file ({readable})", key="cf_files_upload")
        name = st.text_input("Name (optional; defaults to the playlist's own)", key="cf_files_name")
        submitted = st.form_submit_button("Import", type="primary")
    if submitted:
        if upload is None:
            st.warning("Choose a file first.")
            return
        with _ui.guarded():
            outcome = files.import_upload_reported(
                rt, user.id, upload.name, upload.getvalue(), name=name
            )
            st.success(
                f"Imported {len(outcome.playlist_ids)} playlist(s) from {upload.name}; see Library."
            )
            show_warnings(outcome.warnings)


def show_warnings(warnings: list[formats.ReadWarning]) -> None:
    """What the reader repaired or dropped, one line each, naming the line."""
    if not warnings:
        return
    st.warning(f"{len(warnings)} warning(s) while reading the file:")
    st.code("\n".join(str(w) for w in warnings), language=None)


def export_section(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Export")
    table = library.playlists_table(rt, user.id)
    if not table.height:
        st.info("Nothing to export yet.")
        return
    names = dict(zip(table["id"].to_list(), table["name"].to_list(), strict=True))
    cols = st.columns(2)
    playlist = cols[0].selectbox(
        "Playlist", list(names), format_func=lambda v: str(names[v]), key="cf_files_playlist"
    )
    choices = {c.name: c for c in files.format_choices()}
    fmt = cols[1].selectbox(
        "Format",
        list(choices),
        format_func=lambda n: f"{n} ({choices[n].extension}) — {choices[n].description}",
        key="cf_files_format",
    )
    if playlist is None or fmt is None:
        return
    with _ui.guarded():
        filename = files.export_filename(rt, user.id, int(playlist), fmt)
        st.download_button(
            f"Download {filename}",
            data=lambda: files.export_playlist(rt, user.id, int(playlist), fmt)[1],
            file_name=filename,
            type="primary",
            key="cf_files_download",
            on_click="ignore",
        )
        st.caption("The playlist as Crossfade shows it (curator overrides applied).")


def _past_content(rt: Runtime, user_id: int, export_id: int) -> bytes:
    return files.read_export(rt, user_id, export_id)[1]


def past_section(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Exported by jobs")
    choices = {c.name: c for c in files.format_choices()}
    cols = st.columns([2, 1])
    fmt = cols[0].selectbox(
        "Format for all playlists",
        list(choices),
        key="cf_files_all_format",
        label_visibility="collapsed",
    )
    if cols[1].button("Export all playlists", key="cf_files_all") and fmt:
        with _ui.guarded():
            job_id = files.export_all(rt, user.id, fmt)
            st.success(f"Export job {job_id[:8]} started; its files appear here (see Jobs).")
    past = files.past_exports(rt, user.id)
    if not past:
        st.caption("No exported files yet.")
        return
    for item in past:
        row = st.columns([3, 1])
        size = f"{item.size_bytes:,} bytes" if item.size_bytes else "size unknown"
        row[0].markdown(f"`{item.name}` · {item.format} · {size}")
        if item.available:
            row[1].download_button(
                "Download",
                data=partial(_past_content, rt, user.id, item.id),
                file_name=item.name,
                key=f"cf_files_past_{item.id}",
                on_click="ignore",
            )
        else:
            row[1].caption("not on disk")


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Files")
    left, right = st.columns(2, gap="large")
    with left:
        import_section(rt, user)
    export_on = _ui.flag_on(rt, "feature.export")
    with right:
        if export_on:
            export_section(rt, user)
    if export_on:
        st.divider()
        with _ui.guarded():
            past_section(rt, user)


main()
