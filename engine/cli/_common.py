"""What every command shares: settings and the runtime, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from engine.runtime import Runtime
from engine.settings import Settings, load_settings


@dataclass
class CliState:
    debug: bool = False
    _runtime: Runtime | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(load_settings())
        return self._runtime


def state(ctx: typer.Context) -> CliState:
    """The CliState of this invocation (root callback sets it)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # invoked without the root callback (tests)
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
