"""Connecting provider accounts: OAuth flows, tokens encrypted at rest, refresh
and key rotation. See docs/connecting.md.

    url = start_connect(runtime, user_id, "spotify", redirect_uri)
    account_id = finish_connect(runtime, user_id, "spotify", callback_query_params)
    provider = account_session(runtime, account_id, http_factory)  # decrypts only here
"""

from engine.auth.crypto import KeyRing, generate_key, load_key_ring
from engine.auth.keys import RotationReport, rotate_keys
from engine.auth.oauth import (
    AccountInfo,
    account_session,
    disconnect,
    finish_connect,
    list_account_info,
    start_connect,
)
from engine.auth.redact import install_log_redaction, redact
from engine.auth.tokens import AccountTokenSource, save_app_credentials

__all__ = [
    "AccountInfo",
    "AccountTokenSource",
    "KeyRing",
    "RotationReport",
    "account_session",
    "disconnect",
    "finish_connect",
    "generate_key",
    "install_log_redaction",
    "list_account_info",
    "load_key_ring",
    "redact",
    "rotate_keys",
    "save_app_credentials",
    "start_connect",
]
