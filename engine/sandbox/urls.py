"""Where each emulated API lives under the sandbox root URL.

One server hosts all four APIs, each under its own path prefix, so a client
only swaps the host part of the real URLs:

=========  =====================================  ==========================================
provider   real                                    sandbox (``{root}`` = e.g. http://127.0.0.1:8765)
=========  =====================================  ==========================================
spotify    https://api.spotify.com/v1              {root}/spotify/v1
           https://accounts.spotify.com/authorize  {root}/spotify-accounts/authorize
           https://accounts.spotify.com/api/token  {root}/spotify-accounts/api/token
deezer     https://api.deezer.com                  {root}/deezer
           https://connect.deezer.com/oauth/X      {root}/deezer-connect/oauth/X
                                                   (X = auth.php, access_token.php)
tidal      https://openapi.tidal.com/v2            {root}/tidal/v2
           https://login.tidal.com/authorize       {root}/tidal-login/authorize
           https://auth.tidal.com/v1/oauth2/token  {root}/tidal-auth/v1/oauth2/token
youtube    https://youtube.googleapis.com/youtube/v3  {root}/youtube/youtube/v3
           https://accounts.google.com/o/oauth2/v2/auth  {root}/google-accounts/o/oauth2/v2/auth
           https://oauth2.googleapis.com/token     {root}/google-oauth2/token (and /revoke)
=========  =====================================  ==========================================

Sandbox-only control endpoints (not part of any real API) live under
``{root}/_sandbox/``; see ``docs/sandbox.md``.
"""

from __future__ import annotations

DEFAULT_ROOT = "http://sandbox.local"
"""Root used by the in-process transport; any host works with MockTransport."""

PREFIXES: dict[str, dict[str, str]] = {
    "spotify": {
        "api": "/spotify/v1",
        "authorize": "/spotify-accounts/authorize",
        "token": "/spotify-accounts/api/token",
    },
    "deezer": {
        "api": "/deezer",
        "authorize": "/deezer-connect/oauth/auth.php",
        "token": "/deezer-connect/oauth/access_token.php",
    },
    "tidal": {
        "api": "/tidal/v2",
        "authorize": "/tidal-login/authorize",
        "token": "/tidal-auth/v1/oauth2/token",
    },
    "youtube": {
        "api": "/youtube/youtube/v3",
        "authorize": "/google-accounts/o/oauth2/v2/auth",
        "token": "/google-oauth2/token",
        "revoke": "/google-oauth2/revoke",
    },
}
"""Path of each provider's API base and OAuth endpoints, relative to the root."""

CONTROL_PREFIX = "/_sandbox"


def base_urls(root: str = DEFAULT_ROOT) -> dict[str, dict[str, str]]:
    """Per provider, the ``api`` base URL and the ``authorize``/``token`` URLs.

    >>> base_urls("http://127.0.0.1:8765")["spotify"]["api"]
    'http://127.0.0.1:8765/spotify/v1'
    """
    root = root.rstrip("/")
    return {
        name: {key: root + path for key, path in paths.items()} for name, paths in PREFIXES.items()
    }
