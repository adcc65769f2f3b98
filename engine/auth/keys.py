"""Key rotation: re-wrap every stored ciphertext under the newest key.

Put the new key first in ``CROSSFADE_TOKEN_KEYS`` (keep the old ones after
it), run ``crossfade keys rotate``, then drop the old keys. Rotation works in
batches, each committed on its own, and only touches values not yet under the
primary key, so an interrupted run resumes where it stopped and a re-run is a
no-op. Each update is conditional on the ciphertext being unchanged, so a
token refreshed meanwhile (already under the primary key) is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select, update

from engine.auth.crypto import Binding, KeyRing, key_id_of, load_key_ring
from engine.auth.states import verifier_binding
from engine.runtime import Runtime
from engine.store.models import OAuthState, ProviderAccount, ProviderApp

DEFAULT_BATCH = 200


@dataclass
class RotationReport:
    """Counts per ``table.column``: values re-wrapped and values already current."""

    primary_key_id: str
    rewrapped: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)
    skipped_changed: int = 0
    """Rows changed by someone else during rotation (already under the new key)."""

    @property
    def total_rewrapped(self) -> int:
        return sum(self.rewrapped.values())


@dataclass(frozen=True)
class _Target:
    table: Table
    key_column: str
    columns: tuple[str, ...]
    binding: Callable[[Any, str], Binding]
    key_id_column: str | None = None


def _account_binding(row: Any, column: str) -> Binding:
    return Binding("provider_accounts", row.id, row.provider, column)


def _app_binding(row: Any, column: str) -> Binding:
    return Binding("provider_apps", row.id, row.provider, column)


def _state_binding(row: Any, column: str) -> Binding:
    return verifier_binding(row.state_hash, row.provider)


TARGETS = (
    _Target(
        ProviderAccount.__table__,  # type: ignore[arg-type]
        "id",
        ("access_token_enc", "refresh_token_enc"),
        _account_binding,
        key_id_column="token_key_id",
    ),
    _Target(ProviderApp.__table__, "id", ("client_secret_enc",), _app_binding),  # type: ignore[arg-type]
    _Target(OAuthState.__table__, "state_hash", ("code_verifier_enc",), _state_binding),  # type: ignore[arg-type]
)


def rotate_keys(
    runtime: Runtime,
    *,
    batch_size: int = DEFAULT_BATCH,
    ring: KeyRing | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Re-wrap every ciphertext not under the primary key; idempotent and resumable.

    A value that fails to decrypt stops the run with TokenDecryptError naming
    its row and key id; batches already committed stay rotated.
    """
    ring = ring or load_key_ring(runtime.settings)
    report = RotationReport(ring.primary.id)
    for target in TARGETS:
        _rotate_table(runtime, ring, target, batch_size, report, on_batch)
    return report


def _rotate_table(
    runtime: Runtime,
    ring: KeyRing,
    target: _Target,
    batch_size: int,
    report: RotationReport,
    on_batch: Callable[[str, int], None] | None,
) -> None:
    table = target.table
    key_col = table.c[target.key_column]
    last: Any = None
    while True:
        query = select(table).order_by(key_col).limit(batch_size)
        if last is not None:
            query = query.where(key_col > last)
        with runtime.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return
            done = 0
            for row in rows:
                done += _rotate_row(conn, ring, target, row, report)
        last = getattr(rows[-1], target.key_column)
        if on_batch is not None:
            on_batch(table.name, done)


def _rotate_row(conn: Any, ring: KeyRing, target: _Target, row: Any, report: RotationReport) -> int:
    table = target.table
    key_col = table.c[target.key_column]
    values: dict[str, Any] = {}
    conditions = [key_col == getattr(row, target.key_column)]
    for column in target.columns:
        blob = getattr(row, column)
        name = f"{table.name}.{column}"
        if blob is None:
            continue
        if key_id_of(blob) == ring.primary.id:
            report.current[name] = report.current.get(name, 0) + 1
            continue
        values[column] = ring.rewrap(blob, target.binding(row, column))
        conditions.append(table.c[column] == blob)
        report.rewrapped[name] = report.rewrapped.get(name, 0) + 1
    if target.key_id_column:
        has_tokens = any(getattr(row, c) is not None for c in target.columns)
        desired = ring.primary.id if has_tokens else None
        if getattr(row, target.key_id_column) != desired:
            values[target.key_id_column] = desired
    if not values:
        return 0
    result = conn.execute(update(table).where(*conditions).values(**values))
    if result.rowcount != 1:
        report.skipped_changed += 1
        for column in target.columns:
            if column in values:
                name = f"{table.name}.{column}"
                report.rewrapped[name] -= 1
        return 0
    return 1
