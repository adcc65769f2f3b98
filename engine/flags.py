"""Feature flags: switch a provider or a feature off without a restart.

A flag is named ``provider.<name>`` or ``feature.<name>`` (``provider.spotify``,
``feature.sync``) and is on unless switched off. Settings (``CROSSFADE_FLAGS``,
``"feature.sync=off,provider.spotify=on"``) give the start-up value; a row in
the ``feature_flags`` table overrides it. The table is read on every check (a
primary-key lookup), so ``crossfade flags set`` takes effect at once in every
process: the API, the app, the worker and the CLI.

The call every surface makes before doing flagged work::

    engine.flags.require(runtime_or_engine, settings, "feature.sync")

raises :class:`engine.errors.FeatureDisabledError` (status 503) when it is off.
``runtime_or_engine`` is a ``Runtime``, an ``Engine``, a ``Connection`` or a
``Session``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.orm import Session

from engine.errors import ConfigError, FeatureDisabledError, UsageError
from engine.settings import Settings
from engine.store._source import conflict_insert, connection_of
from engine.store.models import FeatureFlag, utcnow

if TYPE_CHECKING:
    from engine.runtime import Runtime


KNOWN_FLAGS: dict[str, str] = {
    "provider.spotify": "Talk to Spotify.",
    "provider.deezer": "Talk to Deezer.",
    "provider.tidal": "Talk to TIDAL.",
    "provider.youtube": "Talk to YouTube.",
    "feature.pull": "Capture playlists from providers (snapshots).",
    "feature.migrate": "Copy playlists to another provider.",
    "feature.sync": "Keep playlists in sync across providers.",
    "feature.export": "Write playlists to files.",
    "feature.snapshot_gc": "Prune old snapshots.",
    "feature.review": "Review and decide uncertain matches.",
    "feature.api": "Serve the HTTP API.",
}
"""Flags every surface knows about, with what switching them off stops. Other
names of the form ``provider.x`` / ``feature.x`` are accepted too."""

NAME_PATTERN = re.compile(r"^(provider|feature)\.[a-z0-9][a-z0-9_\-]*$")
ON_WORDS = frozenset({"on", "true", "1", "yes", "enabled"})
OFF_WORDS = frozenset({"off", "false", "0", "no", "disabled"})

Origin = Literal["default", "settings", "database"]


@dataclass(frozen=True)
class FlagState:
    """A flag's effective value and where it came from."""

    name: str
    enabled: bool
    origin: Origin
    description: str = ""


def check_name(name: str) -> str:
    """The flag name, validated (``provider.spotify``, ``feature.sync``)."""
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"invalid flag name {name!r}: expected provider.<name> or feature.<name> in lower case"
        )
    return name


def parse_switch(word: str) -> bool:
    """``on``/``off`` (and true/false, 1/0, yes/no) as a bool."""
    lowered = word.strip().lower()
    if lowered in ON_WORDS:
        return True
    if lowered in OFF_WORDS:
        return False
    raise UsageError(f"invalid flag value {word!r}: expected on or off")


def parse_flags(text: str) -> dict[str, bool]:
    """Settings' ``flags`` string (``"feature.sync=off,provider.spotify=on"``)."""
    result: dict[str, bool] = {}
    for index, item in enumerate(p.strip() for p in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise UsageError(f"expected name=on|off, got {item!r}")
            result[check_name(name.strip())] = parse_switch(value)
        except UsageError as exc:
            raise ConfigError(f"invalid setting flags, item {index + 1}: {exc}") from exc
    return result


def _source(source: object) -> Engine | Connection | Session:
    engine = getattr(source, "engine", None)  # a Runtime
    if isinstance(engine, Engine):
        return engine
    if isinstance(source, Engine | Connection | Session):
        return source
    raise UsageError(f"flags need a Runtime, Engine, Connection or Session, not {source!r}")


def _database_flags(source: object, names: list[str] | None = None) -> dict[str, bool]:
    query = select(FeatureFlag.name, FeatureFlag.enabled)
    if names is not None:
        query = query.where(FeatureFlag.name.in_(names))
    with connection_of(_source(source)) as connection:
        return {name: bool(enabled) for name, enabled in connection.execute(query)}


def flag_state(
    source: Runtime | Engine | Connection | Session, settings: Settings, name: str
) -> FlagState:
    """The effective value of one flag: database, else settings, else on."""
    check_name(name)
    stored = _database_flags(source, [name])
    description = KNOWN_FLAGS.get(name, "")
    if name in stored:
        return FlagState(name, stored[name], "database", description)
    configured = parse_flags(settings.flags)
    if name in configured:
        return FlagState(name, configured[name], "settings", description)
    return FlagState(name, True, "default", description)


def is_enabled(
    source: Runtime | Engine | Connection | Session, settings: Settings, name: str
) -> bool:
    """Whether the flag is on right now."""
    return flag_state(source, settings, name).enabled


def require(source: Runtime | Engine | Connection | Session, settings: Settings, name: str) -> None:
    """Raise FeatureDisabledError (503) when ``name`` is switched off.

    >>> require(runtime, runtime.settings, "feature.sync")  # doctest: +SKIP
    """
    state = flag_state(source, settings, name)
    if not state.enabled:
        where = {"database": " by an operator", "settings": " in settings"}.get(state.origin, "")
        raise FeatureDisabledError(
            f"{name} is switched off{where}; turn it back on with `crossfade flags set {name} on`"
        )


def require_provider(
    source: Runtime | Engine | Connection | Session, settings: Settings, provider: str
) -> None:
    """``require(..., "provider.<provider>")``."""
    require(source, settings, f"provider.{provider}")


def list_flags(
    source: Runtime | Engine | Connection | Session, settings: Settings
) -> list[FlagState]:
    """Every known or configured flag with its effective value, by name."""
    stored = _database_flags(source)
    configured = parse_flags(settings.flags)
    names = sorted({*KNOWN_FLAGS, *configured, *stored})
    states = []
    for name in names:
        description = KNOWN_FLAGS.get(name, "")
        if name in stored:
            states.append(FlagState(name, stored[name], "database", description))
        elif name in configured:
            states.append(FlagState(name, configured[name], "settings", description))
        else:
            states.append(FlagState(name, True, "default", description))
    return states


def set_flag(source: Runtime | Engine | Connection | Session, name: str, enabled: bool) -> None:
    """Switch a flag on or off for every process, overriding settings."""
    check_name(name)
    target = _source(source)
    if isinstance(target, Session):
        _upsert(target.connection(), name, enabled)
    elif isinstance(target, Connection):
        _upsert(target, name, enabled)
    else:
        with target.begin() as connection:
            _upsert(connection, name, enabled)


def clear_flag(source: Runtime | Engine | Connection | Session, name: str) -> bool:
    """Drop the database value so settings decide again; True if there was one."""
    check_name(name)
    target = _source(source)
    statement = delete(FeatureFlag).where(FeatureFlag.name == name)
    if isinstance(target, Session):
        return bool(target.connection().execute(statement).rowcount)
    if isinstance(target, Connection):
        return bool(target.execute(statement).rowcount)
    with target.begin() as connection:
        return bool(connection.execute(statement).rowcount)


def _upsert(connection: Connection, name: str, enabled: bool) -> None:
    values = {"name": name, "enabled": enabled, "updated_at": utcnow()}
    statement = conflict_insert(connection.dialect.name, FeatureFlag).values(values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"enabled": statement.excluded.enabled, "updated_at": values["updated_at"]},
        )
    )
