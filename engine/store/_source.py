"""Accept either a Session or an Engine where a read needs a connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

DbSource = Session | Engine | Connection
"""Where reads may come from: a session (sees its own uncommitted writes), an
engine (a short-lived connection) or a connection."""


@contextmanager
def connection_of(source: DbSource) -> Iterator[Connection]:
    """A connection for ``source``; only one opened here is closed here."""
    if isinstance(source, Session):
        yield source.connection()
    elif isinstance(source, Connection):
        yield source
    else:
        with source.connect() as connection:
            yield connection
