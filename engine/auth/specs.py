"""What each provider's OAuth looks like, from ``reference/providers/*/auth.json``.

Real endpoint URLs live here; when ``Settings.sandbox_url`` is set they are
swapped for the sandbox's (``engine.sandbox.base_urls``), as the API bases are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from engine.errors import UsageError
from engine.settings import Settings

Flow = Literal["pkce", "deezer"]
ClientAuth = Literal["none", "body"]


@dataclass(frozen=True)
class OAuthSpec:
    provider: str
    flow: Flow
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    client_auth: ClientAuth = "body"
    """``none``: public PKCE client (client_id only); ``body``: client_secret in the form."""
    send_scope: bool = False
    extra_authorize: dict[str, str] = field(default_factory=dict)
    revoke_url: str | None = None
    registration_url: str = ""
    """Where users register their own app (docs/connecting.md)."""

    def with_urls(self, urls: dict[str, str]) -> OAuthSpec:
        return OAuthSpec(
            provider=self.provider,
            flow=self.flow,
            authorize_url=urls["authorize"],
            token_url=urls["token"],
            scopes=self.scopes,
            scope_separator=self.scope_separator,
            client_auth=self.client_auth,
            send_scope=self.send_scope,
            extra_authorize=dict(self.extra_authorize),
            revoke_url=urls.get("revoke"),
            registration_url=self.registration_url,
        )


SPECS: dict[str, OAuthSpec] = {
    # Spotify: authorization code + PKCE; a PKCE refresh needs only client_id and
    # returns a new, single-use refresh token (auth.json "refresh_body_pkce").
    "spotify": OAuthSpec(
        provider="spotify",
        flow="pkce",
        authorize_url="https://accounts.spotify.com/authorize",
        token_url="https://accounts.spotify.com/api/token",
        scopes=(
            "user-read-private",
            "playlist-read-private",
            "playlist-read-collaborative",
            "playlist-modify-private",
            "playlist-modify-public",
            "user-library-read",
            "user-library-modify",
        ),
        client_auth="none",
        registration_url="https://developer.spotify.com/dashboard",
    ),
    # TIDAL: PKCE; the token and refresh bodies repeat the scopes (auth.json).
    "tidal": OAuthSpec(
        provider="tidal",
        flow="pkce",
        authorize_url="https://login.tidal.com/authorize",
        token_url="https://auth.tidal.com/v1/oauth2/token",
        scopes=(
            "user.read",
            "collection.read",
            "collection.write",
            "playlists.read",
            "playlists.write",
            "search.read",
        ),
        client_auth="body",
        send_scope=True,
        registration_url="https://developer.tidal.com/dashboard",
    ),
    # Google (YouTube): PKCE plus client_secret (web/installed clients need it);
    # access_type=offline and prompt=consent so a refresh token is issued.
    "youtube": OAuthSpec(
        provider="youtube",
        flow="pkce",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        scopes=("https://www.googleapis.com/auth/youtube",),
        client_auth="body",
        extra_authorize={"access_type": "offline", "prompt": "consent"},
        revoke_url="https://oauth2.googleapis.com/revoke",
        registration_url="https://console.cloud.google.com/apis/credentials",
    ),
    # Deezer: its own flow (app_id, secret, comma-separated perms), token as form
    # text; offline_access makes it non-expiring (expires=0); no refresh token.
    "deezer": OAuthSpec(
        provider="deezer",
        flow="deezer",
        authorize_url="https://connect.deezer.com/oauth/auth.php",
        token_url="https://connect.deezer.com/oauth/access_token.php",
        scopes=("basic_access", "email", "offline_access", "manage_library", "delete_library"),
        scope_separator=",",
        registration_url="https://developers.deezer.com/myapps",
    ),
}


def oauth_spec(provider: str, settings: Settings) -> OAuthSpec:
    """The provider's OAuth spec, pointed at the sandbox when one is configured."""
    spec = SPECS.get(provider)
    if spec is None:
        raise UsageError(f"unknown provider {provider!r}; choose one of {', '.join(sorted(SPECS))}")
    if settings.sandbox_url:
        from engine.sandbox import base_urls

        return spec.with_urls(base_urls(settings.sandbox_url)[provider])
    return spec
