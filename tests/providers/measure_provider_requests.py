"""Requests per provider for "look up 1,000 ISRCs, add them to a new playlist",
against the in-process sandbox, with and without injected faults.

    .venv/bin/python tests/providers/measure_provider_requests.py [--tracks 1000] [--faults 0.1]

Prints requests sent (at the transport, retries included) beside the floor
(forced lookups + ceil(n / add batch) + 1 create), whether every track arrived
exactly once and in order, and how many requests a second lookup needed.
The project benchmark is scripts/bench_providers.py; this is the clients' own check.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from provider_conformance import RecordingTransport

from engine.http.factory import HttpFactory
from engine.http.types import StaticToken
from engine.providers import build_provider, provider_http_config
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings

KINDS = ("500", "503", "timeout", "429", "drop")


def measure(name: str, tracks: int, fault_rate: float) -> dict[str, Any]:
    records = [
        {
            "title": f"Track {i}",
            "artists": [f"Artist {i % 50}"],
            "album": f"Album {i % 80}",
            "isrc": f"USAB1{i:07d}",
            "duration_ms": 200_000,
        }
        for i in range(tracks)
    ]
    config = SandboxConfig(deezer_quota=None, youtube_daily_units=None)
    sandbox = Sandbox.from_records(records, config=config)
    recorder = RecordingTransport(sandbox.handle)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), sandbox_url=DEFAULT_ROOT, env="test")
        with HttpFactory(settings, transport=recorder, sleep=lambda s: None) as factory:
            token = StaticToken(sandbox.issue_token(name).access_token)
            http = factory.session(provider_http_config(name, settings), user_key="u", token=token)
            options = {"daily_quota": None} if name == "youtube" else {}
            client = build_provider(name, http, **options)
            if fault_rate:
                sandbox.faults.set(fault_rate, KINDS, providers=[name])
            isrcs = [r["isrc"] for r in records]
            start = len(recorder.sent)
            found = client.lookup_isrcs(isrcs)
            if found.height:
                ids = found.unique(subset=["isrc"], keep="first", maintain_order=True)
                wanted = [str(i) for i in ids["provider_id"].to_list()]
            else:  # no ISRC lookup (YouTube): add the catalogue's own ids
                wanted = [sandbox.catalog.by_isrc(name, i)[0].id_for(name) for i in isrcs]
            playlist = client.create_playlist("measure")
            client.add_items(playlist.id, wanted)
            sent = len(recorder.sent) - start
            arrived = sandbox.playlist_track_ids(name, playlist.id)
            before_second = len(recorder.sent)
            client.lookup_isrcs(isrcs)
            caps = client.capabilities
            lookups = math.ceil(tracks / caps.isrc_batch_max) if caps.isrc_batch_max else 0
            return {
                "provider": name,
                "faults": fault_rate,
                "requests": sent,
                "floor": lookups + math.ceil(len(wanted) / caps.add_batch_max) + 1,
                "exactly_once_in_order": arrived == wanted,
                "second_lookup_requests": len(recorder.sent) - before_second,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--faults", type=float, default=0.1)
    args = parser.parse_args()
    for rate in (0.0, args.faults):
        for name in ("spotify", "deezer", "tidal", "youtube"):
            print(measure(name, args.tracks, rate))


if __name__ == "__main__":
    main()
