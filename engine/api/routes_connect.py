"""Connecting provider accounts over the API: start an OAuth attempt, and the
callback the provider redirects the browser to (``engine.auth`` does the work).

The callback carries no API token: the one-time ``state`` names the user who
started the attempt, and it is accepted once, before it expires.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from engine import flags
from engine.api.deps import Caller, get_caller, get_runtime, get_session
from engine.api.problems import problem_responses
from engine.auth.oauth import finish_connect, start_connect
from engine.auth.states import hash_state
from engine.errors import ConflictError, OAuthStateError, UsageError
from engine.runtime import Runtime
from engine.store.models import OAuthState

router = APIRouter(tags=["accounts"])

ProviderName = Literal["spotify", "deezer", "tidal", "youtube"]
CallbackText = Annotated[str | None, Query(max_length=2048, pattern=r"^[^\x00]*$")]


class ConnectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    redirect_uri: str | None = Field(
        None,
        max_length=1000,
        pattern=r"^https?://[\x21-\x7e]+$",
        description="Where the provider sends the browser back: this API's "
        "/oauth/{provider}/callback. Defaults to the one saved with the app credentials.",
    )


class ConnectStarted(BaseModel):
    authorize_url: str = Field(description="Open this in the user's browser.")


class Connected(BaseModel):
    account_id: int
    provider: str
    status: str


@router.post(
    "/accounts/{provider}/connect",
    response_model=ConnectStarted,
    status_code=201,
    responses=problem_responses(400, 401, 409, 422, 503),
)
def connect(
    provider: ProviderName,
    body: ConnectRequest,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> ConnectStarted:
    """Start connecting a provider account (needs the user's app credentials:
    ``crossfade apps set``)."""
    flags.require_provider(runtime, runtime.settings, provider)
    try:
        url = start_connect(runtime, caller.user_id, provider, body.redirect_uri)
    except UsageError as exc:  # no app credentials or redirect URI saved yet
        raise ConflictError(str(exc), kind="needs-app-credentials") from exc
    return ConnectStarted(authorize_url=url)


@router.get(
    "/oauth/{provider}/callback",
    response_model=Connected,
    responses=problem_responses(400, 401, 422, 502, 503),
)
def oauth_callback(
    provider: ProviderName,
    request: Request,
    state: CallbackText = None,
    code: CallbackText = None,
    error: CallbackText = None,
    error_description: CallbackText = None,
    runtime: Runtime = Depends(get_runtime),
    session: Session = Depends(get_session),
) -> Connected:
    """Where the provider redirects the browser: trades the code for tokens
    (stored encrypted) and answers with the new account."""
    flags.require_provider(runtime, runtime.settings, provider)
    attempt = session.get(OAuthState, hash_state(state)) if state else None
    if attempt is None or attempt.provider != provider:
        raise OAuthStateError(
            f"{provider}: the callback's state does not match any connect attempt; start again"
        )
    params = {"state": state or "", "code": code or "", "error": error or ""}
    if error_description:
        params["error_description"] = error_description
    account_id = finish_connect(
        runtime,
        attempt.user_id,
        provider,
        {k: v for k, v in params.items() if v},
        http_factory=request.app.state.http_factory,
    )
    return Connected(account_id=account_id, provider=provider, status="connected")
