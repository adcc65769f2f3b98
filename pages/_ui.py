"""What every page shares: the cached Runtime, the current user, and the ONE
place where Crossfade errors are rendered in Streamlit.

Session-state keys used across pages (all prefixed ``cf_``):

- ``cf_test_user``: only when ``CROSSFADE_ENV=test``, an OIDC subject that
  replaces ``st.user`` (tests simulate several signed-in people with it);
- page keys are documented in each page's docstring.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from engine import flags
from engine.app_support.people import CurrentUser, Identity, resolve_user
from engine.errors import CrossfadeError
from engine.runtime import Runtime
from engine.settings import Settings, load_settings

TEST_USER_KEY = "cf_test_user"


def _close(runtime: Runtime) -> None:
    runtime.close()


@st.cache_resource(show_spinner=False, on_release=_close)
def _runtime(key: str, _settings: Settings) -> Runtime:
    return Runtime(_settings)


def settings() -> Settings:
    """Settings read from the environment (validated; ConfigError when bad)."""
    return load_settings()


def runtime() -> Runtime:
    """The process's Runtime for the current settings (one engine, one HTTP stack)."""
    current = settings()
    return _runtime(current.model_dump_json(), current)


def _identity(current: Settings) -> Identity | None:
    if current.env == "test" and st.session_state.get(TEST_USER_KEY):
        return Identity(str(st.session_state[TEST_USER_KEY]))
    if not current.oidc_enabled:
        return None
    user = st.user
    try:
        signed_in = bool(user.is_logged_in)
    except (AttributeError, KeyError):  # no [auth] section in secrets.toml
        signed_in = False
    if not signed_in:
        return None
    subject = str(user.get("sub") or user.get("email") or "")
    name = user.get("name")
    email = user.get("email")
    return Identity(subject, str(name) if name else None, str(email) if email else None)


def current_user(rt: Runtime) -> CurrentUser:
    """The signed-in person's user row; with OIDC and nobody signed in, a sign-in
    button and the page stops."""
    current = rt.settings
    identity = _identity(current)
    if current.oidc_enabled and identity is None:
        st.title("Crossfade")
        st.info("Sign in to see your libraries.")
        if st.button("Sign in", type="primary"):
            st.login()
        st.stop()
    return resolve_user(rt, identity)


def show_error(exc: CrossfadeError) -> None:
    """Render a Crossfade error: its message (and its kind, small), never a
    traceback nor an HTTP status."""
    st.error(f"**{exc.message}**  \n`{exc.kind}`", icon=":material/error:")


@contextmanager
def guarded() -> Iterator[None]:
    """Run a page action; a CrossfadeError is shown instead of crashing the page."""
    try:
        yield
    except CrossfadeError as exc:
        show_error(exc)


_left_pages_directory_mode = False


def _leave_pages_directory_mode() -> None:
    """Streamlit treats a folder named ``pages/`` as its old multipage layout
    (every file a page, app.py skipped) until app.py's ``st.navigation`` has run
    once in the process; a browser opening ``/review`` first would get that
    layout. Switch to the navigation table and rerun the same page through it."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this internal: nothing to undo
        return

    global _left_pages_directory_mode
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        if not _left_pages_directory_mode:  # once per process (AppTest resets the flag)
            _left_pages_directory_mode = True
            st.rerun()


def page_context() -> tuple[Runtime, CurrentUser] | None:
    """Runtime and user for a page, or None after showing why there are none."""
    _leave_pages_directory_mode()
    try:
        rt = runtime()
        return rt, current_user(rt)
    except CrossfadeError as exc:
        show_error(exc)
        return None


def flag_on(rt: Runtime, name: str) -> bool:
    """False (after a clear notice) when the feature flag ``name`` is off."""
    if flags.is_enabled(rt, rt.settings, name):
        return True
    st.warning(
        f"`{name}` is switched off by an administrator, so this is unavailable for now. "
        "Settings -> Feature flags shows every flag.",
        icon=":material/block:",
    )
    return False


def duration(ms: int | None) -> str:
    """``3:25`` for 205000 ms; an em dash when unknown."""
    if ms is None:
        return "—"
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def sidebar_user(user: CurrentUser, oidc: bool) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{user.display_name or user.external_id}**")
        if oidc and st.button("Sign out", key="cf_sign_out"):
            st.logout()


def _result_links(rt: Runtime, user_id: int, job_id: str, result: dict[str, object]) -> None:
    """The target playlists as links on the provider, the report as a download."""
    from engine.app_support.jobs_view import report_file

    links = [str(link) for link in result.get("target_links") or [] if link]  # type: ignore[attr-defined]
    if links:
        st.markdown(
            "Target playlist: " + " · ".join(f"[open on the provider]({link})" for link in links)
        )
    report = report_file(rt, user_id, job_id)
    if report is not None:
        st.download_button(
            "Download the report (CSV)",
            data=report.read_bytes(),
            file_name=report.name,
            mime="text/csv",
            key=f"cf_report_{job_id}",
            on_click="ignore",
        )


def job_progress(rt: Runtime, user_id: int, job_id: str) -> bool:
    """Show one job's live progress; True once it has finished."""
    from engine.app_support.jobs_view import job_progress as read

    progress = read(rt, user_id, job_id)
    state = progress["state"]
    total = progress.get("total")
    label = f"{progress['kind']} · {progress.get('display_state') or state}"
    if progress.get("phase") and progress.get("phase") != progress.get("display_state"):
        label += f" · {progress['phase']}"
    if total:
        label += f" · {progress.get('done') or 0}/{total}"
    if progress.get("eta_s"):
        label += f" · about {int(progress['eta_s'])} s left"
    st.progress(progress["fraction"] or 0.0, text=label)
    if progress.get("message"):
        st.caption(progress["message"])
    if progress.get("display_state") == "waiting for review":
        st.info(
            f"{progress.get('summary') or 'waiting for review'}: the playlist is completed "
            "as you decide on the Review page.",
            icon=":material/rate_review:",
        )
        st.page_link("pages/review.py", label="Open Review", icon=":material/rate_review:")
    elif progress.get("resume_after"):
        st.info(f"Waiting: resumes after {progress['resume_after']}")
    if state == "failed":
        st.error(f"Failed: {progress.get('error') or 'unknown error'}")
    elif progress.get("last_error"):
        st.warning(f"Last error (retried): {progress['last_error']}")
    if state == "succeeded":
        summary = (progress.get("result") or {}).get("summary")
        st.success(f"Done: {summary}." if summary else "Done.")
    _result_links(rt, user_id, job_id, progress.get("result") or {})
    with st.expander("Details"):
        st.json({"parameters": progress.get("params"), "result": progress.get("result")})
    return bool(progress["finished"])
