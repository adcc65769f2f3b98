"""CLI commands: ``crossfade sandbox serve|urls`` (the provider emulator)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from engine.errors import UsageError

sandbox_app = typer.Typer(
    help="Run the local emulator of the four provider APIs.", no_args_is_help=True
)


@sandbox_app.command("serve")
def serve(
    catalog: Path = typer.Option(..., "--catalog", help="Catalogue file (PIF, CSV...)."),
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1 (0 = any free port)."),
    faults: str = typer.Option("", "--faults", help="e.g. 'rate=0.1,kinds=429+500+timeout'."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fault injection."),
    token_ttl: int = typer.Option(3600, "--token-ttl", help="Access token lifetime, seconds."),
    youtube_units: int = typer.Option(
        10_000, "--youtube-units", help="YouTube daily quota units (0 = unlimited)."
    ),
    deezer_quota: bool = typer.Option(
        True, "--deezer-quota/--no-deezer-quota", help="Enforce Deezer's 50 requests / 5 s."
    ),
    timeout_sleep: float = typer.Option(
        30.0, "--timeout-sleep", help="Seconds an injected timeout sleeps."
    ),
    spotify_rate: str = typer.Option(
        "", "--spotify-rate", help="Spotify rolling limit 'requests/seconds', e.g. 180/30."
    ),
    max_size: list[str] = typer.Option(
        [], "--max-playlist-size", help="PROVIDER=N, e.g. youtube=5000 (repeatable)."
    ),
) -> None:
    """Serve all four emulated APIs and their OAuth endpoints until Ctrl-C."""
    from engine.sandbox import Sandbox, base_urls
    from engine.sandbox.server import SandboxServer
    from engine.sandbox.state import SandboxConfig

    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {port}")
    config = SandboxConfig(
        spotify_rate=_rate(spotify_rate),
        access_token_ttl_s=token_ttl,
        youtube_daily_units=youtube_units or None,
        deezer_quota=(50, 5.0) if deezer_quota else None,
        timeout_sleep_s=timeout_sleep,
    )
    for item in max_size:
        provider, _, number = item.partition("=")
        if provider not in config.max_playlist_size or not number.isdigit():
            raise UsageError(f"--max-playlist-size wants PROVIDER=N, got {item!r}")
        config.max_playlist_size[provider] = int(number)
    sandbox = Sandbox.from_catalog(catalog, config=config, seed=seed)
    if faults:
        sandbox.faults.apply_spec(faults)
    server = SandboxServer(sandbox, port=port).start()
    typer.echo(f"sandbox: {len(sandbox.catalog)} tracks, serving on {server.url}")
    typer.echo(json.dumps(base_urls(server.url), indent=2))
    typer.echo("set CROSSFADE_SANDBOX_URL=" + server.url + " ; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("sandbox: stopped")
    finally:
        server.stop()


@sandbox_app.command("urls")
def urls(root: str = typer.Option("http://127.0.0.1:8765", "--root", help="Sandbox root.")) -> None:
    """Print the API, authorize and token URLs of each emulated provider."""
    from engine.sandbox import base_urls

    typer.echo(json.dumps(base_urls(root), indent=2))


def _rate(spec: str) -> tuple[int, float] | None:
    if not spec:
        return None
    count, _, seconds = spec.partition("/")
    try:
        return int(count), float(seconds)
    except ValueError as exc:
        raise UsageError(f"--spotify-rate wants REQUESTS/SECONDS, got {spec!r}") from exc


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sandbox_app, name="sandbox")
