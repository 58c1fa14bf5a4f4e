"""The Workspace: the typed services a notebook (or a script) works with, over one set of settings.

``ws.projects``, ``ws.versions``, ``ws.runs``, ``ws.workers``, ``ws.stats`` and ``ws.tests`` do the work; ``ws.build`` and
``ws.run`` are the two everyday shortcuts. Magics and widgets are thin views over it, so every behaviour a
notebook user sees is testable without a kernel. It is cheap to create: the database opens, the project is
created and Temporal is resolved on first use, and Temporal work runs on the runtime loop, never the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from wfb_jupyter.services import (
    BuildResult,
    ExecutionHandle,
    Projects,
    Runs,
    ServiceContext,
    Stats,
    TestRuns,
    Versions,
    Workers,
)
from wfb_jupyter.settings import WfbSettings
from wfb_jupyter.temporal import ResolvedServer, TemporalConnection


class Workspace:
    """Everything a notebook does, for the user and project named in ``settings``."""

    def __init__(
        self, settings: WfbSettings | None = None, *, temporal: TemporalConnection | None = None
    ) -> None:
        self._context = ServiceContext(settings or WfbSettings(), temporal)
        self.projects = Projects(self._context)
        self.workers = Workers(self._context, self.projects)
        self.versions = Versions(self._context, self.projects, self.workers)
        self.runs = Runs(self._context, self.projects, self.versions, self.workers)
        self.stats = Stats(self._context, self.projects, self.runs)
        self.tests = TestRuns(self._context, self.projects, self.versions, self.runs)

    @property
    def settings(self) -> WfbSettings:
        """The live settings (``%config`` changes them); ``settings.resolve()`` says what they amount to."""
        return self._context.config

    @settings.setter
    def settings(self, settings: WfbSettings) -> None:
        self._context.config = settings

    @property
    def engine(self) -> Engine:
        return self._context.engine

    @property
    def database_url(self) -> str:
        return self._context.settings.database_url

    @property
    def temporal(self) -> TemporalConnection:
        return self._context.temporal

    def server(self) -> ResolvedServer:
        """The Temporal server in use (resolving, and maybe starting, the local one on first call)."""
        return self._context.server()

    def build(self, name: str | None, source: str, **options: Any) -> BuildResult:
        """``versions.build``: compile and store a definition as the next version, and serve it."""
        return self.versions.build(name, source, **options)

    def run(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        wait: bool = False,
        timeout: float | None = None,
        workflow_id: str | None = None,
    ) -> ExecutionHandle:
        """Start an execution (``runs.start``); with ``wait``, block until it ends (its ``outcome`` is set)."""
        handle = self.runs.start(name, inputs, version=version, workflow_id=workflow_id)
        if wait:
            handle.wait(timeout)
        return handle


_workspace: Workspace | None = None


def workspace(settings: WfbSettings | None = None) -> Workspace:
    """The process-wide Workspace (the magics' and widgets'); ``settings`` replaces its settings if given."""
    global _workspace
    if _workspace is None:
        _workspace = Workspace(settings or _shell_settings())
    elif settings is not None:
        _workspace.settings = settings
    return _workspace


def _shell_settings() -> WfbSettings | None:
    """The settings ``%load_ext`` registered with the running IPython (so ``%config`` applies), if any."""
    from IPython import get_ipython

    shell = get_ipython()
    configurables = getattr(shell, "configurables", [])
    return next((c for c in configurables if isinstance(c, WfbSettings)), None)
