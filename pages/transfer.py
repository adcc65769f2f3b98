"""Transfer: pick a source (a stored playlist, a snapshot, a provider playlist
or liked tracks, or an uploaded file) and a target account; a dry run shows
what would match, by tier, before anything is written; then start the job and
follow its progress live.

Session-state keys: ``cf_tr_kind`` (source kind), ``cf_tr_playlist``,
``cf_tr_snapshot``, ``cf_tr_account`` / ``cf_tr_remote`` / ``cf_tr_remote_list``
(provider source), ``cf_tr_upload`` / ``cf_tr_saved`` (uploaded file and where
it was kept), ``cf_tr_target``, ``cf_tr_name``, ``cf_tr_policy``,
``cf_tr_dry`` (last dry run), ``cf_tr_tier``, ``cf_tr_job`` (job followed),
``cf_tr_nonce`` / ``cf_tr_nonce_used`` (the form's nonce, part of the job's
idempotency key, and whether a job was started with it).
"""

from __future__ import annotations

import secrets
from typing import Any

import polars as pl
import streamlit as st

from engine.app_support import library, preferences, transfer
from engine.app_support.people import CurrentUser
from engine.jobs.estimate import estimate_for_account
from engine.runtime import Runtime
from pages import _ui

KINDS = {
    "playlist": "A playlist in Crossfade",
    "snapshot": "A snapshot (a playlist as it was)",
    "provider": "A provider playlist or liked tracks",
    "file": "A playlist file",
}
POLICIES = {
    "wait": "Ask me (uncertain matches wait in Review)",
    "skip": "Leave uncertain matches out",
    "best": "Take the best candidate",
}


def _stored_source(rt: Runtime, user: CurrentUser, with_snapshot: bool) -> dict[str, Any] | None:
    table = library.playlists_table(rt, user.id)
    if not table.height:
        st.info("No playlists in Crossfade yet.")
        return None
    names = dict(zip(table["id"].to_list(), table["name"].to_list(), strict=True))
    playlist = st.selectbox(
        "Playlist", list(names), format_func=lambda v: str(names[v]), key="cf_tr_playlist"
    )
    if playlist is None:
        return None
    if not with_snapshot:
        return {"playlist_id": int(playlist)}
    snapshots = library.snapshots_table(rt, user.id, int(playlist)).filter(
        pl.col("status") == "complete"
    )
    if not snapshots.height:
        st.info("This playlist has no complete snapshot.")
        return None
    labels = {
        r["id"]: f"{r['taken_at']:%Y-%m-%d %H:%M} · {r['items']} tracks"
        for r in snapshots.iter_rows(named=True)
    }
    snapshot = st.selectbox(
        "Snapshot", list(labels), format_func=lambda v: str(labels[v]), key="cf_tr_snapshot"
    )
    return None if snapshot is None else {"snapshot_id": int(snapshot)}


def _provider_source(rt: Runtime, user: CurrentUser) -> dict[str, Any] | None:
    accounts = transfer.connected_accounts(rt, user.id)
    if not accounts:
        st.info("Connect a provider first (Connections).")
        return None
    by_id = {a.id: a.provider for a in accounts}
    account = st.selectbox(
        "From account", list(by_id), format_func=lambda v: str(by_id[v]), key="cf_tr_account"
    )
    if account is None:
        return None
    if st.button("Load its playlists", key="cf_tr_load"):
        with _ui.guarded():
            found = transfer.provider_playlists(rt, user.id, int(account))
            st.session_state["cf_tr_remote_list"] = {
                "account": account,
                "items": [(p.id, f"{p.name} ({p.track_count or '?'} tracks)") for p in found],
            }
    loaded = st.session_state.get("cf_tr_remote_list")
    options: dict[str, str] = {"liked": "Liked tracks"}
    if loaded and loaded["account"] == account:
        options.update(dict(loaded["items"]))
    remote = st.selectbox(
        "Playlist", list(options), format_func=lambda v: str(options[v]), key="cf_tr_remote"
    )
    return {"account_id": int(account), "provider_playlist_id": remote or "liked"}


def _file_source(rt: Runtime, user: CurrentUser) -> dict[str, Any] | None:
    upload = st.file_uploader(
        "Playlist file (PIF, CSV, M3U, XSPF, JSPF, Spotify export…)", key="cf_tr_upload"
    )
    if upload is None:
        return None
    saved = st.session_state.get("cf_tr_saved")
    if not saved or saved["file_id"] != upload.file_id:
        with _ui.guarded():
            stored = transfer.save_upload(rt, user.id, upload.name, upload.getvalue())
            saved = {"file_id": upload.file_id, "upload_id": stored.id, "name": upload.name}
            st.session_state["cf_tr_saved"] = saved
    if not saved or saved["file_id"] != upload.file_id:
        return None
    with _ui.guarded():
        _upload_preview(transfer.preview_upload(rt, user.id, saved["upload_id"], upload.name))
    return {"upload_id": saved["upload_id"], "name": saved["name"].rsplit(".", 1)[0]}


def _upload_preview(preview: transfer.UploadPreview) -> None:
    """Format, variant, counts and warnings of the uploaded file, before any dry run."""
    variant = f" ({preview.variant})" if preview.variant else ""
    playlists = f" in {preview.playlists} playlists" if preview.playlists > 1 else ""
    st.caption(
        f"Read as **{preview.format}**{variant}: {preview.tracks:,} track(s){playlists}, "
        f"{len(preview.warnings)} warning(s)."
    )
    if preview.warnings:
        with st.expander(f"{len(preview.warnings)} warning(s) while reading", expanded=True):
            for warning in preview.warnings[:50]:
                st.markdown(f"- {warning}")
            if len(preview.warnings) > 50:
                st.caption(f"…and {len(preview.warnings) - 50} more.")


def _source(rt: Runtime, user: CurrentUser) -> dict[str, Any] | None:
    kind = st.radio(
        "Source",
        list(KINDS),
        format_func=lambda v: str(KINDS[v]),
        key="cf_tr_kind",
        horizontal=True,
    )
    if kind == "playlist":
        return _stored_source(rt, user, with_snapshot=False)
    if kind == "snapshot":
        return _stored_source(rt, user, with_snapshot=True)
    if kind == "provider":
        return _provider_source(rt, user)
    return _file_source(rt, user)


def _dry_run_result() -> None:
    dry = st.session_state.get("cf_tr_dry")
    if not dry:
        return
    if "quota" in dry:  # a daily-quota target: what the job needs, said up front
        st.markdown("##### Dry run: quota")
        st.info(dry["quota"])
        return
    rows: pl.DataFrame = dry["rows"]
    st.markdown(f"##### Dry run: {dry['previewed']} of {dry['total']} track(s) → {dry['target']}")
    counts = dry["counts"]
    cols = st.columns(3)
    cols[0].metric("Would match", counts["auto"])
    cols[1].metric("Need review", counts["review"])
    cols[2].metric("Not found", counts["none"])
    if dry["previewed"] < dry["total"]:
        st.caption(f"The preview covers the first {dry['previewed']} tracks; the job handles all.")
    tier = st.segmented_control(
        "Show", ["all", "auto", "review", "none"], default="all", key="cf_tr_tier"
    )
    shown = rows if tier in (None, "all") else rows.filter(pl.col("tier") == tier)
    bar = st.column_config.ProgressColumn
    config: dict[str, object] = {
        "score": bar("score", min_value=0.0, max_value=1.0),
        "target_title": st.column_config.TextColumn("→ title"),
        "target_artists": st.column_config.TextColumn("→ artists"),
        "target_album": st.column_config.TextColumn("→ album"),
        "target_length": st.column_config.TextColumn("→ length"),
    }
    for column in shown.columns:
        if column.endswith(" match"):
            config[column] = bar(column, min_value=0.0, max_value=1.0, format="%.2f")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def _form_nonce(*, clicked: bool) -> str:
    """The Transfer form's nonce: created when the form is first rendered and
    renewed when it is rendered again, without a Start click, after a job was
    started with it. Repeated Start clicks (a double click) keep one nonce, so
    they follow one job; a later deliberate Start gets a new job."""
    state = st.session_state
    if "cf_tr_nonce" not in state or (state.get("cf_tr_nonce_used") and not clicked):
        state["cf_tr_nonce"] = secrets.token_urlsafe(12)
        state["cf_tr_nonce_used"] = False
    return str(state["cf_tr_nonce"])


@st.fragment(run_every=1)
def follow(rt: Runtime, user: CurrentUser, job_id: str) -> None:
    """Polls the job's progress channel every second."""
    with _ui.guarded():
        if _ui.job_progress(rt, user.id, job_id):
            st.page_link(
                "pages/review.py",
                label="Review the uncertain matches",
                icon=":material/check_circle:",
            )


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Transfer")
    if not _ui.flag_on(rt, "feature.migrate"):
        return
    with _ui.guarded():
        source = _source(rt, user)
    targets = transfer.connected_accounts(rt, user.id)
    if not targets:
        st.warning("No connected target account: connect a provider on the Connections page.")
        return
    by_id = {a.id: f"{a.provider} · {a.display_name or a.external_user_id or ''}" for a in targets}
    target = st.selectbox(
        "Target", list(by_id), format_func=lambda v: str(by_id[v]), key="cf_tr_target"
    )
    if target is None:
        return
    st.text_input("Name of the new playlist (optional)", key="cf_tr_name")
    policy = st.radio(
        "Uncertain matches",
        list(POLICIES),
        format_func=lambda v: str(POLICIES[v]),
        key="cf_tr_policy",
        horizontal=True,
    )
    buttons = st.columns(4)
    dry = buttons[0].button("Dry run", disabled=source is None, key="cf_tr_dry_run")
    go = buttons[1].button(
        "Start transfer", type="primary", disabled=source is None, key="cf_tr_start"
    )
    if dry and source is not None:
        with _ui.guarded(), st.spinner("Matching against the target…"):
            frame = transfer.source_frame(rt, user.id, source)
            quota = estimate_for_account(rt, user.id, int(target), frame)
            if quota is not None:  # searching to preview would spend the quota itself
                st.session_state["cf_tr_dry"] = {"quota": quota.message()}
            else:
                config = preferences.match_config(rt, user.id)
                result = transfer.dry_run(rt, user.id, source, int(target), config=config)
                st.session_state["cf_tr_dry"] = {
                    "rows": result.rows,
                    "counts": result.counts(),
                    "previewed": result.previewed,
                    "total": result.source_tracks,
                    "target": result.target_provider,
                }
    nonce = _form_nonce(clicked=bool(go))
    if go and source is not None:
        with _ui.guarded():
            st.session_state["cf_tr_job"] = transfer.start_transfer(
                rt,
                user.id,
                source,
                int(target),
                name=st.session_state.get("cf_tr_name"),
                review_policy=str(policy),
                nonce=nonce,
            )
            st.session_state["cf_tr_nonce_used"] = True
    st.caption(
        "A second click on Start follows the job it started; once the page shows that "
        "job, starting the same transfer again runs it anew."
    )
    job_id = st.session_state.get("cf_tr_job")
    if job_id:
        st.markdown("##### Transfer job")
        follow(rt, user, job_id)
    _dry_run_result()


main()
