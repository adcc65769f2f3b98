"""The data model (SQLAlchemy 2 typed ORM). Identical on SQLite and Postgres.

Token and secret columns hold ciphertext only (``*_enc``, bytes from
``engine.auth.crypto``); no plaintext token column exists anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrement needs INTEGER


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored time as an aware datetime: SQLite hands back naive ones, and every
    stored time is UTC (an aware value is returned unchanged)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONType, list[Any]: JSONType}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)  # OIDC sub or "local"
    display_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """Per-user API tokens for the HTTP API, stored as a SHA-256 hash only."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderApp(Base):
    """The installation's app credentials for one provider (client id + encrypted
    secret), used by every user's connect; ``user_id`` is who saved them. One row
    per provider (``engine.auth.tokens.save_app_credentials``)."""

    __tablename__ = "provider_apps"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProviderAccount(Base):
    """One connected account per user and provider. Tokens are ciphertext."""

    __tablename__ = "provider_accounts"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    external_user_id: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="connected")
    """connected | needs_reconnect | disconnected"""
    access_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_key_id: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scopes: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OAuthState(Base):
    """One OAuth attempt: accepted once, before it expires."""

    __tablename__ = "oauth_states"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    code_verifier_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Track(Base):
    """Canonical recording metadata."""

    __tablename__ = "tracks"
    # Re-imports of id-less file tracks look tracks up by exact title (store.tracks);
    # a hash index on Postgres, since a btree refuses very long titles.
    __table_args__ = (Index("ix_tracks_title", "title", postgresql_using="hash"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    artists: Mapped[list[Any]] = mapped_column(default=list)
    album: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    isrc: Mapped[str | None] = mapped_column(String(12), index=True)
    explicit: Mapped[bool | None] = mapped_column(Boolean)
    release_date: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provider_ids: Mapped[list[TrackProviderId]] = relationship(
        back_populates="track", cascade="all, delete-orphan"
    )


class TrackProviderId(Base):
    """The id a provider uses for a track (several per provider are allowed)."""

    __tablename__ = "track_provider_ids"
    __table_args__ = (UniqueConstraint("provider", "provider_track_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_track_id: Mapped[str] = mapped_column(String(255))
    track: Mapped[Track] = relationship(back_populates="provider_ids")


class Playlist(Base):
    """A playlist or library from a provider account or from a file."""

    __tablename__ = "playlists"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_accounts.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))  # provider | file
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_playlist_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="playlist")  # playlist | liked | albums
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Snapshot(Base):
    """An immutable capture of a playlist's items at a time."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_playlist_status", "playlist_id", "status", "taken_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    """in_progress | complete | failed"""
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[str | None] = mapped_column(String(36))
    error: Mapped[str | None] = mapped_column(Text)


class SnapshotItem(Base):
    __tablename__ = "snapshot_items"
    __table_args__ = (UniqueConstraint("snapshot_id", "position"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    provider_item_id: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ItemOverride(Base):
    """A curator's override of one playlist item as the product shows it:
    ``hide`` it, or ``replace`` its track with another."""

    __tablename__ = "item_overrides"
    __table_args__ = (UniqueConstraint("playlist_id", "track_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    action: Mapped[str] = mapped_column(String(16))  # hide | replace
    replacement_track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchDecision(Base):
    """Source track -> a target provider's track, or "not available".

    ``decided_by`` is ``auto`` for the matcher or ``curator``; a curator's
    decision acts as a rule for later runs. Undone decisions keep their row with
    ``undone_at`` set, so history is never lost.
    """

    __tablename__ = "match_decisions"
    __table_args__ = (
        Index("ix_match_decisions_source", "user_id", "source_track_id", "target_provider"),
        Index("ix_match_decisions_pending", "user_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source_track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    target_provider: Mapped[str] = mapped_column(String(32))
    target_track_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # matched | not_available | pending
    score: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str | None] = mapped_column(String(16))  # auto | review | none
    rule: Mapped[str | None] = mapped_column(String(32))
    parts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    decided_by: Mapped[str] = mapped_column(String(32), default="auto")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    job_id: Mapped[str | None] = mapped_column(String(36))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_user_created", "user_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    """queued | running | waiting | succeeded | failed | cancelled"""
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resume_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    """The runner holding the job (``host:pid:nonce``); None when nobody does."""
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the holder's lease lapses unless it renews it first."""


class JobRecord(Base):
    """Append-only working records of one job, too many for its checkpoint: the
    rows of a migrate's match plan (``kind="plan"``, ``seq`` = source position)
    and the candidates it gathered (``kind="candidates"``, one row per lookup)."""

    __tablename__ = "job_records"
    __table_args__ = (UniqueConstraint("job_id", "kind", "seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Export(Base):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    playlist_id: Mapped[int | None] = mapped_column(ForeignKey("playlists.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Upload(Base):
    """A playlist file a user uploaded (API or app); jobs name it by id, never by path."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeatureFlag(Base):
    __tablename__ = "feature_flags"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserSetting(Base):
    """Per-user preferences (matching thresholds, retention...), as JSON values."""

    __tablename__ = "user_settings"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncGroup(Base):
    """One playlist kept the same on N members (``engine.jobs.group_sync``).

    ``base_order`` is the merged order of the last applied run (recording keys);
    ``previewed_at`` is set by the first dry run: an applying run refuses before it.
    """

    __tablename__ = "sync_groups"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused
    max_removal_share: Mapped[float] = mapped_column(Float, default=0.2)
    schedule: Mapped[str | None] = mapped_column(String(100))
    """``every:<seconds>`` or a five-field cron expression; None = by hand."""
    base_order: Mapped[list[Any]] = mapped_column(default=list)
    previewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_job_id: Mapped[str | None] = mapped_column(String(36))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    members: Mapped[list[SyncGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="SyncGroupMember.position"
    )


class SyncGroupMember(Base):
    """One member of a sync group: a provider playlist, an account's liked
    tracks, or a playlist file. ``held`` maps the member's ids to recording
    keys as of the last applied run (the per-member part of the base)."""

    __tablename__ = "sync_group_members"
    __table_args__ = (UniqueConstraint("group_id", "position"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sync_groups.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    """Precedence in the merge: a higher position decides a conflicting move."""
    kind: Mapped[str] = mapped_column(String(16))  # playlist | liked | file
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_accounts.id", ondelete="CASCADE")
    )
    provider_playlist_id: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(Text)
    held: Mapped[dict[str, Any]] = mapped_column(default=dict)
    group: Mapped[SyncGroup] = relationship(back_populates="members")


class SyncGroupReview(Base):
    """What a sync group could not decide alone, for a person (the Review page):
    ``removal_guard`` (a run would remove too much; confirming runs it) or
    ``match`` (a review-level match left one member without a track)."""

    __tablename__ = "sync_group_reviews"
    __table_args__ = (Index("ix_sync_group_reviews_open", "user_id", "resolved_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("sync_groups.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # removal_guard | match
    job_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(16))  # confirmed | dismissed


class SavedAlbum(Base):
    """An album saved in a provider account's library, as the last pull saw it
    (``pull`` with ``albums``); the library job matches them by UPC first."""

    __tablename__ = "saved_albums"
    __table_args__ = (UniqueConstraint("account_id", "provider_album_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("provider_accounts.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    provider_album_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    artists: Mapped[list[Any]] = mapped_column(default=list)
    upc: Mapped[str | None] = mapped_column(String(32))
    release_date: Mapped[str | None] = mapped_column(String(10))
    track_count: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    pulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
