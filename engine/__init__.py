"""Crossfade: move, sync, back up and analyse music libraries."""
