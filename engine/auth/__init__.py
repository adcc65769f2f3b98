"""Connecting provider accounts: OAuth flows, tokens encrypted at rest, refresh
and key rotation. See docs/connecting.md."""
