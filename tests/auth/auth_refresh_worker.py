"""A worker process for test_auth_refresh_processes.py: loads an account's
token, waits for the go file, refreshes as on a 401 and prints a JSON line
with the SHA-256 of its token (never the token) and how many refresh calls it
made. Settings come from the environment like any Crossfade process."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from engine.auth.tokens import AccountTokenSource
from engine.http.factory import HttpFactory
from engine.runtime import Runtime
from engine.settings import load_settings


def main(account_id: int, go_file: Path) -> None:
    runtime = Runtime(load_settings())
    try:
        with HttpFactory(runtime.settings) as http:
            source = AccountTokenSource(runtime, account_id, http)
            source.access_token()  # both workers hold the same, now rejected, token
            print("ready", flush=True)
            deadline = time.monotonic() + 30
            while not go_file.exists():
                if time.monotonic() > deadline:
                    raise SystemExit("no go signal")
                time.sleep(0.005)
            token = source.refresh()
            digest = hashlib.sha256(token.encode()).hexdigest()
            print(json.dumps({"sha": digest, "refreshes": source.refreshes}), flush=True)
    finally:
        runtime.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
