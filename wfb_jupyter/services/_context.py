"""What the services of one Workspace share: the live settings, the database, Temporal and the runtime loop.

Settings are resolved on each use, so a ``%config`` change takes effect at the next call; the engine and the
connection manager are cached by what they depend on.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from temporalio.client import Client

from wfb_jupyter.payloads import project_data_converter
from wfb_jupyter.runtime import runtime
from wfb_jupyter.services._results import ProjectInfo
from wfb_jupyter.settings import Settings, WfbSettings
from wfb_jupyter.storage import get_engine, run_write, session_scope
from wfb_jupyter.temporal import ResolvedServer, TemporalConnection, connection

T = TypeVar("T")
CALL_TIMEOUT = 60.0
WORKER_TIMEOUT = 120.0


class ServiceContext:
    def __init__(self, config: WfbSettings, temporal: TemporalConnection | None = None) -> None:
        self.config = config
        # None: the process-wide connection manager (the usual case); tests and scripts may pass their own.
        self._temporal = temporal
        self.projects: dict[tuple[str, str, str], ProjectInfo] = {}

    @property
    def settings(self) -> Settings:
        return self.config.resolve()

    @property
    def engine(self) -> Engine:
        return get_engine(self.settings.database_url)

    @property
    def temporal(self) -> TemporalConnection:
        """The connection manager, configured from the current settings; its clients (and so the workers
        of this process) convert values with the project database's payload store."""
        settings = self.settings
        manager = self._temporal
        if manager is None:
            manager = connection()
            manager.configure(settings.temporal)
        manager.use_data_converter(project_data_converter(settings, self.engine))
        return manager

    def server(self) -> ResolvedServer:
        return self.temporal.server()

    def read(self, work: Callable[[Session], T]) -> T:
        with session_scope(self.engine) as session:
            return work(session)

    def write(self, work: Callable[[Session], T]) -> T:
        return run_write(self.engine, work)

    def on_loop(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = CALL_TIMEOUT) -> T:
        """Run Temporal work on the runtime loop (never the caller's, which a notebook cell blocks)."""
        return runtime().run(coroutine, timeout)

    def with_client(
        self,
        call: Callable[[Client], Coroutine[Any, Any, T]],
        timeout: float | None = CALL_TIMEOUT,
    ) -> T:
        temporal = self.temporal

        async def go() -> T:
            return await call(await temporal.get_client())

        return self.on_loop(go(), timeout)
