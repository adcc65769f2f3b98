"""The one exception tree of Crossfade.

Every error a user can see derives from :class:`CrossfadeError` and carries a
``kind`` (a short stable slug) and an HTTP-like ``status``. Each surface renders
them in exactly one place: the CLI in ``engine.cli.main``, the HTTP API in its
exception handler, the Streamlit app in ``pages/_ui.py``.

    CrossfadeError
    ├── ConfigError                 settings missing or insecure          (500)
    ├── UsageError                  a caller asked for something invalid  (400)
    ├── DataError                   input file or frame is malformed      (422)
    │   ├── FormatError             a playlist file cannot be read; names file and line/pointer
    │   └── InvalidParamsError      job parameters that do not fit the kind's model; lists fields
    ├── NotFoundError               an id that does not exist             (404)
    ├── ConflictError               idempotency or state conflict         (409)
    ├── FeatureDisabledError        a feature flag is off                 (503)
    ├── AuthError                   OAuth, tokens and keys                (401)
    │   ├── OAuthStateError         state missing, replayed or expired
    │   ├── TokenDecryptError       wrong/missing key or tampered ciphertext
    │   └── NeedsReconnectError     refresh token revoked; user must reconnect
    ├── ProviderError               a provider API call failed            (502)
    │   ├── RateLimitedError        429 after all retries
    │   ├── QuotaExceededError      daily quota spent: do not retry today
    │   ├── PlaylistFullError       target playlist at its maximum size
    │   ├── CircuitOpenError        breaker open: failing fast
    │   └── ProviderUnavailableError  5xx / timeouts after all retries
    └── JobError                    a batch job failed                    (500)
        ├── JobCancelledError
        └── LeaseLostError          another runner took the job over (our lease lapsed)
"""

from __future__ import annotations


class CrossfadeError(Exception):
    """Base of every error Crossfade raises on purpose."""

    kind: str = "error"
    status: int = 500

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return self.message


class ConfigError(CrossfadeError):
    kind = "config"
    status = 500


class UsageError(CrossfadeError):
    kind = "usage"
    status = 400


class DataError(CrossfadeError):
    kind = "data"
    status = 422


class FormatError(DataError):
    """A playlist file that cannot be read or written.

    The message always names the file and, where known, the line or JSON pointer.
    """

    kind = "format"

    def __init__(
        self,
        path: object,
        problem: str,
        *,
        line: int | None = None,
        pointer: str | None = None,
        expected: str | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f":{line}"
        if pointer is not None:
            where += f" at {pointer or '/'}"
        message = f"{where}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.pointer = pointer
        self.problem = problem
        self.expected = expected


class InvalidParamsError(DataError):
    """Job parameters refused before queueing; ``errors`` has one entry per
    bad field (``loc``, ``msg``, ``type``), as the API's problem document shows."""

    kind = "validation"

    def __init__(self, message: str, errors: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.errors = errors


class NotFoundError(CrossfadeError):
    kind = "not-found"
    status = 404


class ConflictError(CrossfadeError):
    kind = "conflict"
    status = 409


class FeatureDisabledError(CrossfadeError):
    kind = "feature-disabled"
    status = 503


class AuthError(CrossfadeError):
    kind = "auth"
    status = 401


class OAuthStateError(AuthError):
    kind = "oauth-state"


class TokenDecryptError(AuthError):
    kind = "token-decrypt"


class NeedsReconnectError(AuthError):
    kind = "needs-reconnect"


class ProviderError(CrossfadeError):
    kind = "provider"
    status = 502
    retry_after: float | None = None
    """Seconds the provider asked us to wait (Retry-After), when it said so."""

    def __init__(self, message: str, *, provider: str | None = None, kind: str | None = None):
        super().__init__(message if provider is None else f"{provider}: {message}", kind=kind)
        self.provider = provider


class RateLimitedError(ProviderError):
    kind = "rate-limited"
    status = 429


class QuotaExceededError(ProviderError):
    kind = "quota-exceeded"
    status = 429


class PlaylistFullError(ProviderError):
    kind = "playlist-full"
    status = 409


class CircuitOpenError(ProviderError):
    kind = "circuit-open"
    status = 503


class ProviderUnavailableError(ProviderError):
    kind = "provider-unavailable"
    status = 503


class JobError(CrossfadeError):
    kind = "job"
    status = 500


class JobCancelledError(JobError):
    kind = "job-cancelled"
    status = 409


class LeaseLostError(JobError):
    """This runner's lease on a job lapsed and another runner may hold it now:
    stop at once, writing nothing more (the holder carries on)."""

    kind = "lease-lost"
    status = 409
