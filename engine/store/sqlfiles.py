"""The SQL files that ship with the package (views and EXPLAIN checks).

The canonical copies live in ``engine/store/sql/``; the repository's top-level
``sql/`` is a symlink to that directory, so there is one copy only.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import NotFoundError

SQL_DIR = Path(__file__).parent / "sql"


def read_sql(relative: str) -> str:
    """The text of ``sql/<relative>``, e.g. ``read_sql("views/v_playlist_item_effective.sql")``."""
    path = SQL_DIR / relative
    if not path.is_file():
        raise NotFoundError(f"{path}: no such SQL file")
    return path.read_text(encoding="utf-8")


def sql_files(folder: str) -> list[Path]:
    """The ``.sql`` files of one folder under ``sql/``, sorted by name."""
    return sorted((SQL_DIR / folder).glob("*.sql"))
