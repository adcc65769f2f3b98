"""CLI commands: to be filled by the owning feature (see module list in engine.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
