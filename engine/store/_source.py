"""Where the store's statements run: a Session, Engine or Connection for a read, and
the dialect's own INSERT form for upserts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite
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


def conflict_insert(dialect: str, table: Any) -> Any:
    """``INSERT`` into ``table`` in the dialect's own form, which takes
    ``on_conflict_do_update``/``on_conflict_do_nothing`` (Postgres, else SQLite)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)
