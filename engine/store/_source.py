"""Accept either a Session or an Engine where a read needs a connection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

T = TypeVar("T")

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


def chunks(values: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``values`` in slices of ``size`` (keeps IN lists within SQLite's limits)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
