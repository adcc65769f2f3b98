"""The one owner-checked lookup: a row by primary key, "not found" for another user's.

Every store or job reader that hands out something a user owns goes through
:func:`get_owned`, so the rule (another user's row looks exactly like a missing
one) is written once.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from engine.errors import NotFoundError


class _Owned(Protocol):
    @property
    def user_id(self) -> int | None: ...


OwnedT = TypeVar("OwnedT", bound=_Owned)


def get_owned(
    session: Session, model: type[OwnedT], row_id: Any, *, user_id: int | None, missing: str
) -> OwnedT:
    """The ``model`` row ``row_id``; NotFoundError(``missing``) when there is none
    or, given ``user_id``, when it belongs to another user."""
    row = session.get(model, row_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFoundError(missing)
    return row
